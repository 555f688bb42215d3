"""CLIPEncoder: real ``transformers`` CLIP classes, loaded with ``from_pretrained`` from a tiny saved model."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.runner.checkpoint import load_state_dict

from mmrec.models import CLIPEncoder
from mmrec.testing import colored_squares, detector_input, save_tiny_clip
from mmrec.models.crops import InputNormalization
from mmrec.models.crops.crop_geometry import CropGeometry
from mmrec.models.encoders.text_cache import TextCache


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory) -> str:
    return save_tiny_clip(str(tmp_path_factory.mktemp('tiny_clip')))


@pytest.fixture
def encoder(clip_dir) -> CLIPEncoder:
    return MODELS.build(dict(type='CLIPEncoder', name_or_path=clip_dir))


def clip_weights(encoder: CLIPEncoder) -> dict:
    return {name: tensor.clone() for name, tensor in encoder.clip.state_dict().items()}


def test_loads_from_local_dir_and_stays_frozen(encoder):
    assert encoder.crop_size == 32  # the saved vision config's image size
    assert not any(p.requires_grad for p in encoder.parameters())
    before = clip_weights(encoder)
    parent = torch.nn.ModuleDict(dict(encoder=encoder))
    encoder.init_weights()
    parent.train()
    assert not encoder.training and not encoder.clip.training
    assert not any(module.training for module in encoder.clip.modules())
    after = clip_weights(encoder)
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_text_embeddings_are_unit_and_cached(clip_dir):
    encoder = CLIPEncoder(name_or_path=clip_dir, text_cache_size=2)
    calls = []
    embed = encoder._embed_texts
    encoder._embed_texts = lambda texts: calls.append(list(texts)) or embed(texts)
    first = encoder.encode_texts(['red square', 'blue', 'red square'])
    assert first.shape == (3, 16)
    torch.testing.assert_close(first.norm(dim=1), torch.ones(3))
    torch.testing.assert_close(first[0], first[2])
    assert calls == [['red square', 'blue']]  # each distinct string once
    again = encoder.encode_texts(['blue', 'red square'])
    assert calls == [['red square', 'blue']]  # all from the cache
    torch.testing.assert_close(again, first[[1, 0]])
    encoder.encode_texts(['green'])  # a third string: the least recently used one ("blue") is dropped
    assert list(encoder.text_cache) == ['red square', 'green']
    encoder.encode_texts(['blue'])
    assert calls[-1] == ['blue']


def test_a_text_cache_set_from_outside_is_filled_then_read_without_change(clip_dir):
    encoder = CLIPEncoder(name_or_path=clip_dir)
    own, shared = encoder.text_cache, TextCache(encoder.text_cache.size)  # as a sweep sets one per point group
    encoder.text_cache = shared
    filled = encoder.encode_texts(['red square', 'blue'])
    encoder.text_cache = shared.read_only()
    assert torch.equal(encoder.encode_texts(['blue', 'red square']), filled[[1, 0]])
    encoder.encode_texts(['green'])  # a miss: encoded, not kept
    assert list(shared) == ['red square', 'blue'] and len(own) == 0  # neither added to nor reordered


def test_long_expressions_are_truncated_at_77_tokens(encoder):
    words = 'the red square next to a blue circle under the green triangle'.split()
    long_a = ' '.join(words * 20)  # about 240 words: far past 77 tokens
    long_b = long_a + ' but not the yellow one'
    tokens = encoder.tokenizer([long_a], truncation=True, max_length=encoder.max_text_tokens)['input_ids'][0]
    assert encoder.max_text_tokens == 77 and len(tokens) == 77
    embeddings = encoder.encode_texts([long_a, long_b, 'the red square'])
    assert torch.isfinite(embeddings).all()
    torch.testing.assert_close(embeddings[0], embeddings[1])  # differences after token 77 are cut off
    assert not torch.allclose(embeddings[0], embeddings[2])


def test_empty_expression_encodes(encoder):
    embedding = encoder.encode_texts([''])
    assert torch.isfinite(embedding).all() and embedding.norm().item() == pytest.approx(1.0, abs=1e-5)


def test_encode_boxes_encodes_the_shared_crops(encoder):
    image, boxes = colored_squares()
    inputs, meta, preprocessor = detector_input(image, scale=(150, 100))
    view = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor)).view(inputs, meta)
    box_tensor = torch.from_numpy(np.stack(list(boxes.values())))
    for mode in ('crop', 'context', 'blur'):
        embeddings = encoder.encode_boxes(view, box_tensor, crop_mode=mode)
        crops = encoder.crop_boxes(view, box_tensor, crop_mode=mode)
        assert crops.shape == (3, 3, 32, 32) and embeddings.shape == (3, 16)
        torch.testing.assert_close(embeddings, encoder.encode_pixels(crops))
        torch.testing.assert_close(embeddings.norm(dim=1), torch.ones(3))
    # the real CLIP path runs on CLIP-normalised pixels: normalising by hand and calling the vision tower agrees
    pixels = (crops / 255 - encoder.image_mean) / encoder.image_std
    manual = encoder.clip.visual_projection(encoder.clip.vision_model(pixel_values=pixels).pooler_output)
    torch.testing.assert_close(embeddings, torch.nn.functional.normalize(manual, dim=-1))


def test_checkpoints_leave_clip_out_and_loading_keeps_it(encoder, clip_dir):
    assert not [key for key in encoder.state_dict() if key.startswith('clip.')]
    before = clip_weights(encoder)
    encoder.load_state_dict({}, strict=True)  # nothing reported missing
    # a checkpoint that does carry (other) CLIP weights does not replace the configured ones
    foreign = {f'clip.{name}': torch.zeros_like(t) for name, t in before.items()}
    load_state_dict(encoder, foreign, strict=True)  # mmengine's loader, as the runner uses
    after = clip_weights(encoder)
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_missing_local_path_says_how_to_get_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match='(?s)does not exist.*save_pretrained.*name_or_path='):
        CLIPEncoder(name_or_path=str(tmp_path / 'no_such_clip'))


def test_unreachable_hub_name_says_how_to_get_weights(monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(OSError, match='(?s)could not load CLIP.*save_pretrained'):
        CLIPEncoder(name_or_path='mmrec-tests/no-such-clip')


def test_incomplete_local_dir_says_how_to_get_weights(tmp_path):
    (tmp_path / 'clip').mkdir()
    with pytest.raises(OSError, match='could not load CLIP'):
        CLIPEncoder(name_or_path=str(tmp_path / 'clip'))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_gpu_autocast_matches_cpu(encoder):
    texts = ['red square', 'blue']
    image, boxes = colored_squares()
    inputs, meta, preprocessor = detector_input(image, scale=(150, 100))
    geometry = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor))
    box_tensor = torch.from_numpy(np.stack(list(boxes.values())))
    cpu = encoder.encode_boxes(geometry.view(inputs, meta), box_tensor), encoder.encode_texts(texts)
    encoder.clear_text_cache()
    encoder.cuda()
    gpu = encoder.encode_boxes(geometry.view(inputs.cuda(), meta), box_tensor.cuda()), encoder.encode_texts(texts)
    for a, b in zip(cpu, gpu):
        assert b.dtype == torch.float32 and b.device.type == 'cuda'
        torch.testing.assert_close(a, b.cpu(), atol=2e-2, rtol=0)  # float16 autocast
