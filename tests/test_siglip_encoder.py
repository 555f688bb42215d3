"""SigLIPEncoder: tiny SigLIP and SigLIP 2 NaFlex models built from ``transformers`` configs with a real
``SiglipTokenizer`` (a SentencePiece model trained on a few words), saved with ``save_pretrained`` and loaded
through ``name_or_path``."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS, TASK_UTILS

import mmrec.models  # noqa: F401  (registers the encoders)
from mmrec.models.encoders.siglip_encoder import SigLIPEncoder, to_patches
from mmrec.models.spatial_reasoning import build_reasoner
from mmrec.testing import save_tiny_clip, squares_view
from mmrec.testing.tiny_encoders import save_tiny_siglip


@pytest.fixture(scope='module')
def siglip_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp('siglip')
    return {'siglip': save_tiny_siglip(str(root / 'siglip')),
            'naflex': save_tiny_siglip(str(root / 'naflex'), naflex=True)}


@pytest.fixture(params=['siglip', 'naflex'])
def kind(request):
    return request.param


def test_loads_the_saved_model_frozen_with_its_scale_and_bias(siglip_dirs, kind):
    encoder = MODELS.build(dict(type='SigLIPEncoder', name_or_path=siglip_dirs[kind]))
    assert encoder.naflex == (kind == 'naflex') and encoder.crop_size == 32
    torch.testing.assert_close(encoder.image_mean.flatten(), torch.full((3,), 0.5))
    assert encoder.logit_scale == pytest.approx(10.0) and encoder.logit_bias == pytest.approx(-5.0)
    assert encoder.temperature == pytest.approx(0.1)
    assert build_reasoner(dict(), encoder).temperature == pytest.approx(0.1)  # its temperature, not CLIP's 0.01
    prompt_scorer = dict(type='SpatialPromptScorer', encoder=encoder)
    assert TASK_UTILS.build(dict(prompt_scorer, temperature=None)).temperature == pytest.approx(0.1)
    assert TASK_UTILS.build(prompt_scorer).temperature == 0.01  # method 1's configured default is kept
    assert not any(p.requires_grad for p in encoder.parameters())
    torch.nn.ModuleDict(dict(encoder=encoder)).train()
    assert not any(module.training for module in encoder.modules())
    assert not [key for key in encoder.state_dict() if key.startswith('clip.')]


def test_texts_are_lower_cased_padded_to_full_length_and_pooled_at_the_end(siglip_dirs, kind):
    from transformers import AutoModel, AutoTokenizer

    encoder = SigLIPEncoder(name_or_path=siglip_dirs[kind])
    model, tokenizer = AutoModel.from_pretrained(siglip_dirs[kind]).eval(), AutoTokenizer.from_pretrained(
        siglip_dirs[kind])
    texts = ['the red square', 'a blue circle', '']
    tokens = tokenizer(texts, padding='max_length', max_length=16, return_tensors='pt')
    with torch.no_grad():
        expected = F.normalize(model.text_model(input_ids=tokens['input_ids']).pooler_output, dim=-1)
    torch.testing.assert_close(encoder.encode_texts(texts), expected)
    torch.testing.assert_close(encoder.encode_texts(['THE RED Square']), expected[:1])
    long = encoder.encode_texts([' '.join(['red'] * 100), ' '.join(['red'] * 100) + ' blue'])
    torch.testing.assert_close(long[0], long[1])  # truncated at the text model's 16 positions


def test_box_embeddings_are_the_vision_towers_on_the_normalised_crops(siglip_dirs, kind):
    encoder = SigLIPEncoder(name_or_path=siglip_dirs[kind])
    view, boxes = squares_view(encoder)
    crops = encoder.crop_boxes(view, boxes)
    pixels = crops / 127.5 - 1  # SigLIP's mean = std = 0.5
    with torch.no_grad():
        if kind == 'siglip':
            features = encoder.clip.vision_model(pixel_values=pixels).pooler_output
        else:  # NaFlex takes patch sequences, as its image processor makes them
            from transformers.models.siglip2.image_processing_siglip2 import convert_image_to_patches

            patches = torch.stack([convert_image_to_patches(image, 8) for image in pixels])
            features = encoder.clip.vision_model(pixel_values=patches,
                                                 pixel_attention_mask=torch.ones(3, 16, dtype=torch.long),
                                                 spatial_shapes=torch.tensor([[4, 4]] * 3)).pooler_output
    embeddings = encoder.encode_boxes(view, boxes)
    torch.testing.assert_close(embeddings, F.normalize(features, dim=-1))
    torch.testing.assert_close(embeddings.norm(dim=1), torch.ones(3))


def test_patches_follow_the_naflex_image_processor():
    from transformers.models.siglip2.image_processing_siglip2 import convert_image_to_patches

    pixels = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    expected = torch.stack([convert_image_to_patches(image, 4) for image in pixels])
    assert torch.equal(to_patches(pixels, 4), expected)


def test_missing_or_wrong_model_names_it_and_says_how_to_get_weights(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=r"(?s)SigLIP directory .*no_such_siglip.* does not exist.*"
                                                r"google/siglip-base-patch16-224.*name_or_path="):
        SigLIPEncoder(name_or_path=str(tmp_path / 'no_such_siglip'))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(OSError, match=r"(?s)could not load SigLIP from 'mmrec-tests/no-such-siglip'.*save_pretrained"):
        SigLIPEncoder(name_or_path='mmrec-tests/no-such-siglip')
    clip_dir = save_tiny_clip(str(tmp_path / 'clip'))  # a CLIP directory is not a SigLIP
    with pytest.raises(OSError, match=r"(?s)could not load SigLIP .*'clip' model, not one of"):
        SigLIPEncoder(name_or_path=clip_dir)
