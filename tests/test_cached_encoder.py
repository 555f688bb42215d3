"""CachedEncoder: the crop-embedding cache wraps the encoder (an ensemble as a whole, its members' crops entries
of their own) instead of travelling in the CropView; attach_cache installs it and detaching restores the bare
encoder, with the model's state_dict keys and encoder attributes unchanged."""
import dataclasses

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

import mmrec.models  # noqa: F401  (registers the models)
import mmrec.testing  # noqa: F401  (registers MeanColorEncoder)
from mmrec.cache import CachedEncoder, RECCache, attach_cache
from mmrec.models.crops import InputNormalization
from mmrec.models.crops.crop_geometry import CropGeometry, CropView
from mmrec.testing import colored_squares, detector_input, tiny_method2_config

SQUARES = {'red': [4, 6, 24, 26], 'blue': [36, 6, 56, 26]}
MEMBERS = [dict(type='MeanColorEncoder', crop_size=32), dict(type='MeanColorEncoder', crop_size=16)]


@pytest.fixture(scope='module')
def scene():
    image, boxes = colored_squares(size=(64, 32), squares=SQUARES)
    inputs, meta, preprocessor = detector_input(image, scale=(128, 48), keep_ratio=False)
    view = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor)).view(inputs, meta)
    return view, torch.from_numpy(np.stack([boxes[name] for name in SQUARES]))


def test_the_view_carries_no_cache():
    assert 'cache' not in {field.name for field in dataclasses.fields(CropView)}


@pytest.mark.parametrize('options', [{}, dict(crop_mode='blur', blur_sigma=0.2)])
def test_a_cached_encoder_answers_as_the_encoder_and_reads_its_entries_back(scene, options):
    view, boxes = scene
    encoder = MODELS.build(dict(type='MeanColorEncoder'))
    cache = RECCache(None)
    cached = cache.cached_encoder(encoder)
    assert isinstance(cached, CachedEncoder) and cached.encoder is encoder and cache.cached_encoder(encoder) is cached
    expected = encoder.encode_boxes(view, boxes, **options)
    assert torch.equal(cached.encode_boxes(view, boxes, **options), expected)  # computed
    assert torch.equal(cached.encode_boxes(view, boxes, **options), expected)  # read
    assert cache.stats['crops']['computed'] == 1 and cache.stats['crops']['memory'] == 1
    assert cache.stats['crops']['boxes_encoded'] == len(boxes)
    cached.encode_boxes(view, boxes[:1], **options)  # another batch of boxes: another entry
    assert cache.stats['crops']['computed'] == 2


def test_an_ensemble_is_wrapped_as_a_whole_and_its_members_crops_are_entries_of_their_own(scene):
    view, boxes = scene
    ensemble = MODELS.build(dict(type='EncoderEnsemble', encoders=MEMBERS, weights=[1, 3]))
    cache = RECCache(None)
    embeddings = cache.cached_encoder(ensemble).encode_boxes(view, boxes, crop_mode='context')
    assert torch.equal(embeddings, ensemble.encode_boxes(view, boxes, crop_mode='context'))
    assert cache.stats['crops']['computed'] == 2  # one entry per member
    # a member asked on its own (another model's encoder) reads the entry the ensemble's wrapper made
    member = cache.cached_encoder(ensemble.encoders[1])
    assert torch.equal(member.encode_boxes(view, boxes, crop_mode='context'),
                       ensemble.encoders[1].encode_boxes(view, boxes, crop_mode='context'))
    assert cache.stats['crops']['computed'] == 2 and cache.stats['crops']['memory'] == 1


def test_attach_installs_the_wrapper_without_touching_the_model_and_detach_restores_the_encoder():
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    model = MODELS.build(cfg.model).eval()
    keys, encoder = list(model.state_dict()), model.scorer.encoder
    assert model.crop_encoder(encoder) is encoder
    cache = RECCache(None)
    attach_cache(model, cache, cfg.model)
    assert model.crop_encoder(encoder) is cache.cached_encoder(encoder)
    assert model.scorer.encoder is encoder and list(model.state_dict()) == keys
    attach_cache(model, None, cfg.model)
    assert model.crop_encoder(encoder) is encoder and model.rec_cache is None and model.detection_cache is None
