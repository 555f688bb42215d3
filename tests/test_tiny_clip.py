"""The tiny CLIP builder: a word-level CLIP tokenizer for a small vocabulary and a from_pretrained round trip."""
import pytest
import torch
from transformers import (AutoTokenizer, CLIPModel, CLIPTextModelWithProjection, CLIPTokenizer,
                          CLIPVisionModelWithProjection)

from mmrec.datasets.synthetic_language import vocabulary
from mmrec.models.clip_training.tiny_clip import build_tiny_clip, build_word_tokenizer

TINY_VISION = dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                   num_attention_heads=2)
TINY_TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)


@pytest.fixture(scope='module')
def tokenizer() -> CLIPTokenizer:
    return build_word_tokenizer(vocabulary(), model_max_length=16)


def test_every_vocabulary_word_is_one_token(tokenizer):
    words = vocabulary()
    ids = [tokenizer(word, add_special_tokens=False)['input_ids'] for word in words]
    assert all(len(word_ids) == 1 for word_ids in ids), dict(zip(words, ids))
    assert len({word_ids[0] for word_ids in ids}) == len(words)  # distinct words, distinct tokens


def test_text_round_trips_with_start_and_end_tokens(tokenizer):
    text = 'the big red circle to the right of the small blue square'
    ids = tokenizer(text)['input_ids']
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert len(ids) == len(text.split()) + 2  # one token per word
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    # Case and spacing are normalised as CLIP does.
    assert tokenizer('The  Big RED circle')['input_ids'] == tokenizer('the big red circle')['input_ids']


def test_unknown_words_fall_back_to_bytes_not_to_the_end_token(tokenizer):
    ids = tokenizer('the zebra')['input_ids']
    assert ids.count(tokenizer.eos_token_id) == 1 and ids[-1] == tokenizer.eos_token_id
    assert len(ids) > 4  # 'zebra' is spelt with several byte tokens
    assert tokenizer.decode(ids, skip_special_tokens=True) == 'the zebra'


def test_long_text_is_truncated_but_keeps_the_end_token(tokenizer):
    text = ' '.join(['red'] * 40)
    ids = tokenizer(text, truncation=True)['input_ids']
    assert len(ids) == 16
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert ids[1:-1] == tokenizer('red', add_special_tokens=False)['input_ids'] * 14


def test_rejects_empty_vocabulary():
    with pytest.raises(ValueError, match='at least one'):
        build_word_tokenizer(['', '  '])


def _text_embeds(model, tokenizer, texts):
    tokens = tokenizer(texts, padding=True, return_tensors='pt')
    with torch.no_grad():
        pooled = model.text_model(**tokens).pooler_output
        return model.text_projection(pooled)


def test_text_embedding_does_not_depend_on_padding():
    """CLIP pools at the first end token: a text padded in a batch must embed as it does alone."""
    model, tokenizer = build_tiny_clip(vocabulary(), text_config=TINY_TEXT, vision_config=TINY_VISION)
    model.eval()
    alone = _text_embeds(model, tokenizer, ['the red circle'])
    batched = _text_embeds(model, tokenizer, ['the red circle', 'the big red circle to the left of the blue one'])
    assert torch.allclose(alone[0], batched[0], atol=1e-5)
    assert not torch.allclose(batched[0], batched[1], atol=1e-3)


def test_saved_directory_reloads_with_transformers_classes(tmp_path):
    model, tokenizer = build_tiny_clip(vocabulary(), max_text_length=12, text_config=TINY_TEXT,
                                       vision_config=TINY_VISION, projection_dim=16)
    model.eval()
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    texts = ['the small green triangle', 'the leftmost square', 'a zebra']
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        image_embeds = model.visual_projection(model.vision_model(pixel_values=pixels).pooler_output)
    text_embeds = _text_embeds(model, tokenizer, texts)

    reloaded = CLIPModel.from_pretrained(tmp_path).eval()
    for tokenizer_class in (AutoTokenizer, CLIPTokenizer):
        reloaded_tokenizer = tokenizer_class.from_pretrained(tmp_path)
        assert reloaded_tokenizer.model_max_length == 12
        assert torch.allclose(_text_embeds(reloaded, reloaded_tokenizer, texts), text_embeds, atol=1e-5)
    with torch.no_grad():
        assert torch.allclose(reloaded.visual_projection(reloaded.vision_model(pixel_values=pixels).pooler_output),
                              image_embeds, atol=1e-5)
        # The single-tower classes the REC methods may use load the same weights from the directory.
        vision = CLIPVisionModelWithProjection.from_pretrained(tmp_path).eval()
        assert torch.allclose(vision(pixel_values=pixels).image_embeds, image_embeds, atol=1e-5)
        text = CLIPTextModelWithProjection.from_pretrained(tmp_path).eval()
        tokens = AutoTokenizer.from_pretrained(tmp_path)(texts, padding=True, return_tensors='pt')
        assert torch.allclose(text(**tokens).text_embeds, text_embeds, atol=1e-5)
