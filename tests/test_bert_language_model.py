"""RECBertModel: mmdet's GroundingDINO / GLIP language model on transformers 5, checked against mmdet's own
BERT encoder (padding mask) and against BERT run on each sub-sentence alone (GroundingDINO's 3-D mask)."""
import pytest
import torch
from mmdet.models.language_models.bert import BertModel as MMDetBertModel
from mmdet.registry import MODELS
from transformers import BertModel as HFBertModel

import mmrec  # noqa: F401  (registers RECBertModel)
from mmrec.models.method2.bert_language_model import additive_attention_mask
from mmrec.testing import save_tiny_bert

WORDS = 'the left lion man on dog cat red second from right guy in'.split()
GDINO_TEXT = dict(pad_to_max=False, use_sub_sentence_represent=True, special_tokens_list=['[CLS]', '[SEP]', '.', '?'],
                  add_pooling_layer=False)


@pytest.fixture(scope='module')
def bert_dir(tmp_path_factory) -> str:
    return save_tiny_bert(str(tmp_path_factory.mktemp('tiny_bert')), WORDS)


def build(bert_dir: str, **options):
    model = MODELS.build(dict(type='RECBertModel', name=bert_dir, **options))
    return model.eval()


def test_additive_mask_is_transformers_4s_extended_mask():
    padding = torch.tensor([[1, 1, 0]])
    mask = additive_attention_mask(padding, torch.float32)
    low = torch.finfo(torch.float32).min
    assert mask.shape == (1, 1, 3, 3)
    assert torch.equal(mask[0, 0], torch.tensor([[0., 0., low]] * 3))
    pairs = torch.tensor([[[True, False], [True, True]]])
    assert torch.equal(additive_attention_mask(pairs, torch.float16)[0, 0],
                       torch.tensor([[0., torch.finfo(torch.float16).min], [0., 0.]], dtype=torch.float16))
    with pytest.raises(ValueError, match='attention mask must be'):
        additive_attention_mask(torch.ones(1, 1, 2, 2), torch.float32)


def test_mmdet_bert_model_cannot_run_on_this_transformers(bert_dir):
    """Why RECBertModel exists: mmdet's wrapper calls the tokenizer's removed batch_encode_plus."""
    mmdet_model = MMDetBertModel(name=bert_dir, **GDINO_TEXT).eval()
    if hasattr(mmdet_model.tokenizer, 'batch_encode_plus'):
        pytest.skip('this transformers still has batch_encode_plus')
    with pytest.raises(AttributeError, match='batch_encode_plus'):
        mmdet_model(['lion .'])


def test_padding_mask_path_equals_mmdets_encoder(bert_dir):
    """GLIP's path (2-D padding mask): the same features as mmdet's own BertEncoder on the same tokens."""
    ours = build(bert_dir, pad_to_max=False)
    mmdet_model = MMDetBertModel(name=bert_dir, pad_to_max=False).eval()
    captions = ['the left lion', 'man on the right of the red dog']
    with torch.no_grad():
        out = ours(captions)
        tokens = ours.tokenizer(captions, padding='longest', return_tensors='pt')
        expected = mmdet_model.language_backbone({'input_ids': tokens['input_ids'],
                                                  'attention_mask': tokens['attention_mask'],
                                                  'position_ids': None, 'token_type_ids': None})
    assert set(out) == {'embedded', 'masks', 'hidden'}
    assert torch.equal(out['masks'], tokens['attention_mask'])
    for key in ('embedded', 'hidden'):
        torch.testing.assert_close(out[key], expected[key], rtol=0, atol=1e-6)
    assert out['embedded'][0, tokens['attention_mask'][0] == 0].abs().sum() == 0  # padding zeroed


def test_state_dict_names_match_mmdets(bert_dir):
    """A GroundingDINO checkpoint's language_model.* weights load unchanged."""
    ours = build(bert_dir, **GDINO_TEXT)
    mmdet_model = MMDetBertModel(name=bert_dir, **GDINO_TEXT)
    assert set(ours.state_dict()) == set(mmdet_model.state_dict())
    assert ours.language_backbone.body.language_dim == 32


def test_sub_sentence_mask_equals_bert_on_each_phrase_alone(bert_dir):
    """GroundingDINO's path: each phrase between special tokens sees only itself, positions restart per
    phrase, so every token's features equal BERT's on its phrase alone (no mask at all)."""
    ours = build(bert_dir, **GDINO_TEXT)
    hf = HFBertModel.from_pretrained(bert_dir, add_pooling_layer=False).eval()
    captions = ['lion . man on the left .', 'dog .']  # the second is padded to the first's length
    with torch.no_grad():
        out = ours(captions)
    ids = ours.tokenizer(captions, padding='longest', return_tensors='pt')['input_ids']
    masks, positions = out['masks'], out['position_ids']
    assert masks.shape == (2, 9, 9) and masks.dtype == torch.bool
    # [CLS] | lion . | man on the left . | [SEP]   and   [CLS] | dog . | [SEP] | 5 x [PAD]
    expected_blocks = [[[0], [1, 2], [3, 4, 5, 6, 7], [8]], [[0], [1, 2], [3]] + [[i] for i in range(4, 9)]]
    for row, blocks in enumerate(expected_blocks):
        for block in blocks:
            for i in block:
                assert masks[row, i].nonzero().flatten().tolist() == block
            assert positions[row, block].tolist() == list(range(len(block)))
    assert out['text_token_mask'].tolist() == [[True] * 9, [True] * 4 + [False] * 5]
    for row, blocks in enumerate(expected_blocks):
        for block in blocks:
            with torch.no_grad():
                alone = hf(input_ids=ids[row, block][None], output_hidden_states=True).last_hidden_state[0]
            torch.testing.assert_close(out['embedded'][row, block], alone, rtol=0, atol=1e-5)
            torch.testing.assert_close(out['hidden'][row, block], alone, rtol=0, atol=1e-5)


def test_eager_attention_reads_the_mask_as_sdpa_does(bert_dir):
    captions = ['lion . man on the left .', 'dog .']
    with torch.no_grad():
        sdpa = build(bert_dir, **GDINO_TEXT)(captions)
        eager = build(bert_dir, attn_implementation='eager', **GDINO_TEXT)(captions)
    torch.testing.assert_close(sdpa['embedded'], eager['embedded'], rtol=0, atol=1e-5)


def test_mistakes_name_the_key(bert_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"language_model.name=.*save_pretrained"):
        build(str(tmp_path / 'missing'))
    with pytest.raises(ValueError, match=r"special_tokens_list: \['##'\] not in the tokenizer vocabulary"):
        build(bert_dir, use_sub_sentence_represent=True, special_tokens_list=['[CLS]', '##'])
    with pytest.raises(ValueError, match='special_tokens_list is needed'):
        build(bert_dir, use_sub_sentence_represent=True)
    with pytest.raises(ValueError, match="attn_implementation='flash_attention_2' cannot take"):
        build(bert_dir, attn_implementation='flash_attention_2')
