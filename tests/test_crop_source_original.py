"""CLIP crops from the original image: ``KeepOriginalImage`` + ``PackRECInputs`` carry the loaded image in the
data sample, ``CLIPEncoder(crop_source='original')`` crops it as PIL's bicubic resize does (whatever the
detector's resize), method 1's head maps its input-pixel boxes back to it, the RefCOCO configs use it."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS, TRANSFORMS
from mmengine.config import Config
from mmengine.structures import InstanceData
from PIL import Image

import mmrec  # noqa: F401  (registers the transforms and models)
from mmrec.apis import RECInferencer
from mmrec.apps.benchmark import VOCABULARY, method_config
from mmrec.models.crops.crop_geometry import CropGeometry
from mmrec.testing import detector_input, save_tiny_clip

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory) -> str:
    return save_tiny_clip(str(tmp_path_factory.mktemp('tiny_clip')), texts=VOCABULARY)


def image_bgr(width: int = 120, height: int = 90, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def pil_bicubic(rgb: np.ndarray, boxes, size: int) -> np.ndarray:
    image = Image.fromarray(rgb)
    return np.stack([np.asarray(image.resize((size, size), Image.BICUBIC, box=tuple(map(float, box))))
                     for box in boxes]).astype(np.float32)


def pipeline(*steps: dict):
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    return Compose([dict(type='mmdet.LoadImageFromNDArray'), *steps])


def test_keep_original_image_is_packed_as_rgb_before_the_resize():
    bgr = image_bgr()
    steps = pipeline(dict(type='KeepOriginalImage'), dict(type='Resize', scale=(200, 150), keep_ratio=True),
                     dict(type='PackRECInputs'))
    packed = steps(dict(img=bgr, img_id=3, img_path=None, texts=['a'], expressions=[dict(text='a')]))
    original = packed['data_samples'].original_image
    assert packed['inputs'].shape == (3, 150, 200)  # the detector's input was resized ...
    assert original.dtype == torch.uint8 and original.shape == (3, 90, 120)  # ... the kept image was not
    assert torch.equal(original, torch.from_numpy(bgr[..., ::-1].transpose(2, 0, 1).copy()))
    # the data preprocessor moves it with the data sample (to the model's device)
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    batch = DetDataPreprocessor()(dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]))
    assert torch.equal(batch['data_samples'][0].original_image, original)
    # without the step nothing is packed
    plain = pipeline(dict(type='PackRECInputs'))(dict(img=bgr, img_id=3, img_path=None, texts=['a'],
                                                      expressions=[dict(text='a')]))
    assert 'original_image' not in plain['data_samples']


def test_keep_original_image_options_and_errors():
    gray = image_bgr()[..., 0]
    kept = TRANSFORMS.build(dict(type='KeepOriginalImage', channel_order='rgb'))(dict(img=gray))
    assert kept['original_img'].shape == (90, 120, 3) and np.array_equal(kept['original_img'][..., 2], gray)
    rgb = image_bgr()
    assert np.array_equal(TRANSFORMS.build(dict(type='KeepOriginalImage', channel_order='rgb'))(
        dict(img=rgb))['original_img'], rgb)
    with pytest.raises(ValueError, match='channel_order'):
        TRANSFORMS.build(dict(type='KeepOriginalImage', channel_order='hsv'))
    with pytest.raises(KeyError, match='right after the image loading'):
        TRANSFORMS.build(dict(type='KeepOriginalImage'))(dict(img_path='x.jpg'))
    with pytest.raises(TypeError, match='uint8'):
        TRANSFORMS.build(dict(type='KeepOriginalImage'))(dict(img=rgb.astype(np.float32), img_path='x.jpg'))


@pytest.mark.parametrize('scale', [(240, 180), (60, 45)])  # the detector enlarges / shrinks the image
def test_encoder_crops_the_original_image_with_pil_bicubic(clip_dir, scale):
    bgr = image_bgr()
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    inputs, meta, preprocessor = detector_input(bgr, scale=scale)
    encoder = MODELS.build(dict(type='CLIPEncoder', name_or_path=clip_dir, crop_source='original'))
    boxes = torch.tensor([[10.25, 5.5, 70.75, 60.0], [0.0, 0.0, 120.0, 90.0], [100.5, 80.25, 125.0, 95.0]])
    original = torch.from_numpy(rgb.transpose(2, 0, 1).copy())
    geometry = CropGeometry.for_detector(preprocessor, encoder)
    assert geometry.needs_original
    view = geometry.view(inputs, meta, original)  # boxes stay in original pixels whatever the resize
    crops = encoder.crop_boxes(view, boxes).permute(0, 2, 3, 1).numpy()
    clipped = [[10.25, 5.5, 70.75, 60.0], [0, 0, 120, 90], [100.5, 80.25, 120.0, 90.0]]  # clipped to the image
    assert np.array_equal(crops, pil_bicubic(rgb, clipped, encoder.crop_size))
    embeddings = encoder.encode_boxes(view, boxes)
    assert torch.allclose(embeddings, encoder.encode_pixels(torch.from_numpy(crops).permute(0, 3, 1, 2)))

    with pytest.raises(ValueError, match="KeepOriginalImage"):
        geometry.view(inputs, meta)
    with pytest.raises(ValueError, match='crop_source'):
        MODELS.build(dict(type='CLIPEncoder', name_or_path=clip_dir, crop_source='both'))
    with pytest.raises(ValueError, match='crop_source'):
        CropGeometry('both')


def test_crop_geometry_names_the_sample_without_an_original_image(clip_dir):
    from mmdet.structures import DetDataSample
    sample = DetDataSample(metainfo=dict(img_path='data/coco/train2014/x.jpg', img_shape=(4, 5)))
    image = torch.zeros(3, 4, 5)
    preprocessor = MODELS.build(dict(type='DetDataPreprocessor'))
    input_encoder = MODELS.build(dict(type='CLIPEncoder', name_or_path=clip_dir))
    original_encoder = MODELS.build(dict(type='CLIPEncoder', name_or_path=clip_dir, crop_source='original'))
    assert CropGeometry.for_detector(preprocessor, input_encoder).view_of(image, sample).resample == 'roi_align'
    geometry = CropGeometry.for_detector(preprocessor, original_encoder)
    with pytest.raises(ValueError, match=r"x\.jpg has no original_image.*KeepOriginalImage"):
        geometry.view_of(image, sample)
    sample.original_image = torch.zeros(3, 4, 5, dtype=torch.uint8)
    assert geometry.view_of(image, sample).pixels is sample.original_image


def test_method1_head_maps_its_input_boxes_to_the_original_image(clip_dir):
    bgr = image_bgr(seed=1)
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    inputs, meta, preprocessor = detector_input(bgr, scale=(240, 180))  # input pixels = 2 x original pixels
    head = MODELS.build(dict(type='CLIPTextConditionedHead', branch=None,
                             encoder=dict(type='CLIPEncoder', name_or_path=clip_dir, crop_source='original')))
    geometry = CropGeometry.for_detector(preprocessor, head.encoder)
    original = torch.from_numpy(rgb.transpose(2, 0, 1).copy())
    input_boxes = torch.tensor([[20.5, 11.0, 141.5, 120.0], [0.0, 0.0, 240.0, 180.0]])
    view = geometry.view(inputs, meta, original)
    encode = head.box_encoder(view)
    expected = head.encoder.encode_pixels(torch.from_numpy(pil_bicubic(
        rgb, (input_boxes / 2).tolist(), head.encoder.crop_size)).permute(0, 3, 1, 2))
    assert torch.allclose(encode(input_boxes), expected, atol=1e-6)
    # the whole predict path crops from the original image
    proposals = InstanceData(bboxes=input_boxes, scores=torch.tensor([0.9, 0.8]))
    predictions, _ = head.predict_image(view, proposals, None, ['red'])
    assert predictions.bboxes.shape == (1, 4)


def test_inferencer_keeps_the_original_image_when_the_pipeline_does_not(clip_dir):
    cfg = method_config(2, clip_dir, top_k=3, tiny=True, crop_source='original')
    pipeline_cfg = cfg.test_dataloader.dataset.pipeline
    cfg.test_dataloader.dataset.pipeline = [step for step in pipeline_cfg if step['type'] != 'KeepOriginalImage']
    inferencer = RECInferencer(cfg, allow_random_weights=True)
    names = [type(step).__name__ for step in inferencer.pipeline.transforms]
    assert names[:2] == ['LoadImageFromNDArray', 'KeepOriginalImage']
    sample = inferencer.predict_sample(image_bgr(160, 120), ['the red car', 'the dog'])
    assert sample.pred_instances.bboxes.shape == (2, 4)
    assert sample.original_image.shape == (3, 120, 160)


REFCOCO_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'method[12]_clip-vit-b32*refcoco.py'))
                         + [osp.join(REPO, 'configs', 'method1.py'), osp.join(REPO, 'configs', 'method2.py')])


@pytest.mark.parametrize('config', REFCOCO_CONFIGS, ids=osp.basename)
def test_refcoco_configs_crop_clip_inputs_from_the_original_image(config):
    cfg = Config.fromfile(config)
    head = cfg.model.get('scorer') or cfg.model.roi_head.bbox_head
    assert head.encoder.crop_source == 'original'
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is None:
            continue
        steps = [step['type'] for step in cfg[loader].dataset.pipeline]
        assert steps[:2] == ['LoadImageFromFile', 'KeepOriginalImage'], (loader, steps)
    if cfg.get('train_dataloader') is not None:  # training crops nothing with CLIP: no copy of every image
        assert 'KeepOriginalImage' not in [step['type'] for step in cfg.train_dataloader.dataset.pipeline]


@pytest.mark.parametrize('name', ['refcoco_rec.py', 'refcoco+_rec.py', 'refcocog_rec.py'])
def test_refcoco_dataset_test_pipelines_keep_the_original_image(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', name))
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert [step['type'] for step in loader.dataset.pipeline][:2] == ['LoadImageFromFile', 'KeepOriginalImage']


def test_box_maps_leave_box_structures_and_shapes_alone():
    from mmdet.structures.bbox import HorizontalBoxes

    from mmrec.models.crops.crop_geometry import to_input, to_original
    boxes = HorizontalBoxes(torch.tensor([[10.0, 20.0, 30.0, 40.0]]))
    scaled = to_input(boxes, (2.0, 0.5))
    torch.testing.assert_close(scaled, torch.tensor([[20.0, 10.0, 60.0, 20.0]]))
    torch.testing.assert_close(boxes.tensor, torch.tensor([[10.0, 20.0, 30.0, 40.0]]))  # not rescaled in place
    one = torch.tensor([20.0, 10.0, 60.0, 20.0])
    torch.testing.assert_close(to_original(one, (2.0, 0.5)), torch.tensor([10.0, 20.0, 30.0, 40.0]))
