"""OpenCLIPEncoder: tiny OpenCLIP architectures (a ResNet tower like RN50x16's, a ViT) from small model configs,
their weights loaded from local files through the real ``pretrained=`` path, OpenCLIP's bundled tokenizer."""
import pickle

import open_clip
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.runner.checkpoint import load_state_dict

import mmrec.models  # noqa: F401  (registers the encoders)
from mmrec.models.encoders.open_clip_encoder import OpenCLIPEncoder, published_settings
from mmrec.testing import squares_view
from mmrec.testing.tiny_encoders import TINY_OPEN_CLIP_VISION, save_tiny_open_clip



@pytest.fixture(scope='module')
def tiny_models(tmp_path_factory):
    """``tower -> (model_name, weight file)``: the ResNet saved with ``torch.save``, the ViT as safetensors."""
    root = tmp_path_factory.mktemp('open_clip')
    return {'resnet': save_tiny_open_clip(str(root), 'resnet'),
            'vit': save_tiny_open_clip(str(root), 'vit', safetensors=True)}


@pytest.fixture(params=['resnet', 'vit'])
def tower(request):
    return request.param


def test_loads_the_weight_file_with_the_models_image_size_and_normalisation(tiny_models, tower):
    name, weights = tiny_models[tower]
    encoder = MODELS.build(dict(type='OpenCLIPEncoder', model_name=name, pretrained=weights))
    assert encoder.crop_size == TINY_OPEN_CLIP_VISION[tower]['image_size']
    torch.testing.assert_close(encoder.image_mean.flatten(), torch.tensor(open_clip.OPENAI_DATASET_MEAN))
    torch.testing.assert_close(encoder.image_std.flatten(), torch.tensor(open_clip.OPENAI_DATASET_STD))
    # the weights are the file's (not a fresh random init): equal to OpenCLIP's own loading of the file
    reference = open_clip.create_model(name, pretrained=weights).eval()
    for key, tensor in reference.state_dict().items():
        assert torch.equal(encoder.clip.state_dict()[key], tensor), key
    assert encoder.logit_scale == pytest.approx(float(reference.logit_scale.detach().exp()))
    assert encoder.temperature == pytest.approx(1 / encoder.logit_scale) and encoder.logit_bias == 0.0

    # frozen: no gradients, eval mode whatever the parent does, weights out of checkpoints and kept on load
    assert not any(p.requires_grad for p in encoder.parameters())
    torch.nn.ModuleDict(dict(encoder=encoder)).train()
    assert not any(module.training for module in encoder.modules())
    assert not [key for key in encoder.state_dict() if key.startswith('clip.')]
    load_state_dict(encoder, {f'clip.{k}': torch.zeros_like(v) for k, v in reference.state_dict().items()})
    assert all(torch.equal(encoder.clip.state_dict()[k], v) for k, v in reference.state_dict().items())


def test_embeddings_are_the_models_own_unit_length(tiny_models, tower):
    name, weights = tiny_models[tower]
    encoder = OpenCLIPEncoder(model_name=name, pretrained=weights)
    reference = open_clip.create_model(name, pretrained=weights).eval()
    tokenizer = open_clip.get_tokenizer(name)
    texts = ['the red square', 'blue', '', ' '.join(['left'] * 200)]  # an empty and an over-long expression
    with torch.no_grad():
        expected_texts = F.normalize(reference.encode_text(tokenizer(texts)), dim=-1)
    text_embeddings = encoder.encode_texts(texts)
    assert text_embeddings.shape == (4, 24)
    torch.testing.assert_close(text_embeddings, expected_texts)

    view, boxes = squares_view(encoder)
    for mode in ('crop', 'context', 'blur'):
        crops = encoder.crop_boxes(view, boxes, crop_mode=mode)
        assert crops.shape == (3, 3, encoder.crop_size, encoder.crop_size)
        with torch.no_grad():
            pixels = (crops / 255 - encoder.image_mean) / encoder.image_std  # OpenAI's normalisation
            expected = F.normalize(reference.encode_image(pixels), dim=-1)
        torch.testing.assert_close(encoder.encode_boxes(view, boxes, crop_mode=mode), expected)


def test_a_weight_file_gets_the_activation_of_the_models_published_weights():
    """RN50x16's and ViT-L-14-336's only published weights (OpenAI's) use QuickGELU; ViT-B-32's disagree."""
    openai = dict(quick_gelu=True, mean=open_clip.OPENAI_DATASET_MEAN, std=open_clip.OPENAI_DATASET_STD)
    assert published_settings('RN50x16', '/weights/RN50x16-openai.pt') == openai
    assert published_settings('ViT-L-14-336', '/weights/vit-l.pt') == openai
    assert 'quick_gelu' not in published_settings('ViT-B-32', '/weights/b32.pt')
    assert published_settings('ViT-B-32', 'openai')['quick_gelu'] is True
    assert published_settings('ViT-B-32', 'laion2b_s34b_b79k')['quick_gelu'] is False


def test_quick_gelu_and_normalisation_can_be_set(tiny_models):
    name, weights = tiny_models['vit']
    default = OpenCLIPEncoder(model_name=name, pretrained=weights)
    quick = OpenCLIPEncoder(model_name=name, pretrained=weights, quick_gelu=True, image_mean=(0.5, 0.5, 0.5),
                            image_std=(0.25, 0.25, 0.25))

    def uses_quick_gelu(encoder):
        return any(isinstance(m, open_clip.transformer.QuickGELU) for m in encoder.clip.modules())

    assert not uses_quick_gelu(default) and uses_quick_gelu(quick)
    torch.testing.assert_close(quick.image_std.flatten(), torch.full((3,), 0.25))
    assert not torch.allclose(default.encode_texts(['red']), quick.encode_texts(['red']))


def test_a_missing_weight_file_names_it_and_says_how_to_get_weights(tmp_path):
    missing = str(tmp_path / 'RN50x16-openai.pt')
    with pytest.raises(FileNotFoundError, match=r"(?s)RN50x16-openai\.pt.*no such file.*create_model\('RN50x16', "
                                                r"pretrained='openai'\).*pretrained=.*network"):
        OpenCLIPEncoder(model_name='RN50x16', pretrained=missing)
    with pytest.raises(FileNotFoundError, match=r"(?s)'laion_typo'.*tags for 'ViT-B-32'.*laion2b_s34b_b79k"):
        OpenCLIPEncoder(model_name='ViT-B-32', pretrained='laion_typo')
    with pytest.raises(IsADirectoryError, match='is a directory'):
        OpenCLIPEncoder(model_name='RN50x16', pretrained=str(tmp_path))
    with pytest.raises(ValueError, match=r'(?s)needs `pretrained`.*RN50x16'):
        OpenCLIPEncoder(model_name='RN50x16')


def test_an_unknown_model_name_is_named_with_close_names():
    with pytest.raises(ValueError, match=r"(?s)no model named 'RN50x61'.*RN50x16.*list_models"):
        OpenCLIPEncoder(model_name='RN50x61', pretrained='openai')


def test_a_tag_needs_network_and_says_so(monkeypatch, tmp_path):
    """A tag downloads when the model is built: offline that fails with an error naming the tag and the fix."""
    import urllib.request

    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setattr(urllib.request, 'urlopen', lambda *a, **k: (_ for _ in ()).throw(OSError('no network')))
    with pytest.raises(OSError, match=r"(?s)could not download OpenCLIP weights 'openai' for 'RN50x16'.*"
                                      r"works only on a machine with network"):
        OpenCLIPEncoder(model_name='RN50x16', pretrained='openai', cache_dir=str(tmp_path))


class _Payload:
    """Unpickling this would call :func:`_ran` (code from the file)."""

    def __reduce__(self):
        return _ran, ()


RAN = []


def _ran():
    RAN.append(True)
    return {}


def test_a_weight_file_that_would_run_code_is_refused(tiny_models, tmp_path):
    name, _ = tiny_models['resnet']
    evil = tmp_path / 'evil.pt'
    with open(evil, 'wb') as f:
        torch.save({'state_dict': _Payload()}, f)
    with pytest.raises(OSError, match=r'(?s)could not load OpenCLIP weights .*evil\.pt'):
        OpenCLIPEncoder(model_name=name, pretrained=str(evil))
    assert not RAN
    assert pickle.loads(pickle.dumps(_Payload())) == {} and RAN  # the payload does run when unpickled in full
