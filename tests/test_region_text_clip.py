"""Region-text CLIP training: the crop transform, the contrastive loss, learning, and the saved CLIP."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmdet.structures.bbox import HorizontalBoxes
from transformers import CLIPImageProcessor

import mmrec.datasets  # noqa: F401  (registers the dataset and transforms)
import mmrec.engine  # noqa: F401  (registers SaveCLIPPretrainedHook)
import mmrec.models  # noqa: F401
from mmrec.datasets import REFERDataset, generate_synthetic_refer, synthetic_vocabulary
from mmrec.datasets.region_crop import CropReferredRegion
from mmrec.models.encoders.clip_encoder import CLIPEncoder
from mmrec.models.clip_training.region_text_clip import (RegionTextCLIP, contrastive_loss, retrieval_accuracy,
                                           same_target_mask)

TINY_CONFIG = 'configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py'
TINY_CLIP = dict(vocab='mmrec.datasets.synthetic_vocabulary', max_text_length=16,
                 vision_config=dict(image_size=32, patch_size=8, hidden_size=48, intermediate_size=96,
                                    num_hidden_layers=1, num_attention_heads=4),
                 text_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=1,
                                  num_attention_heads=4),
                 projection_dim=32)


# ------------------------------------------------------------------------------------------- crop transform
def _square_image() -> np.ndarray:
    """60x60 BGR: blue background, a red 20x20 square at x, y in [20, 40)."""
    img = np.zeros((60, 60, 3), dtype=np.uint8)
    img[:] = (200, 0, 0)
    img[20:40, 20:40] = (0, 0, 200)
    return img


def _sample(img: np.ndarray, boxes) -> dict:
    return dict(img=img, img_shape=img.shape[:2], img_path='square.png',
                gt_bboxes=HorizontalBoxes(torch.tensor(boxes, dtype=torch.float32)))


def test_crop_cuts_exactly_the_referred_box():
    out = CropReferredRegion(size=16)(_sample(_square_image(), [[20, 20, 40, 40]]))
    assert out['img'].shape == (16, 16, 3) and out['img'].dtype == np.uint8
    red = np.array([0, 0, 200], dtype=np.uint8)
    # Only the red square (the one-pixel rim is resampled with the pixels next to the box, as roi_align does).
    assert (out['img'][1:-1, 1:-1] == red).all()
    assert (out['img'][..., 2] > out['img'][..., 0]).all()
    assert out['img_shape'] == (16, 16)
    assert out['crop_box'] == [20, 20, 40, 40]
    assert torch.allclose(out['gt_bboxes'].tensor, torch.tensor([[0., 0., 16., 16.]]))


def test_context_adds_a_margin_of_the_box_size():
    out = CropReferredRegion(size=16, crop_mode='context', context_ratio=0.5)(_sample(_square_image(), [[20, 20, 40, 40]]))
    assert out['crop_box'] == [10, 10, 50, 50]  # 10 px (half of 20) on every side
    assert torch.allclose(out['gt_bboxes'].tensor, torch.tensor([[4., 4., 12., 12.]]))
    assert (out['img'][:3] == np.array([200, 0, 0], dtype=np.uint8)).all()  # blue margin
    assert (out['img'][5:11, 5:11] == np.array([0, 0, 200], dtype=np.uint8)).all()  # red square


def test_blur_mode_shows_the_whole_image_sharp_inside_the_box_only():
    img = _square_image()
    img[0:10, 0:10] = (0, 200, 0)  # a green patch outside the box, blurred away
    out = CropReferredRegion(size=30, crop_mode='blur', blur_sigma=0.1)(_sample(img, [[20, 20, 40, 40]]))
    assert out['crop_box'] == [0, 0, 60, 60]
    assert torch.allclose(out['gt_bboxes'].tensor, torch.tensor([[10., 10., 20., 20.]]))
    assert (out['img'][11:19, 11:19] == np.array([0, 0, 200], dtype=np.uint8)).all()  # sharp red box
    assert 0 < out['img'][2, 2, 1] < 200  # the green patch is smeared


def test_circle_mode_shows_the_whole_image_with_a_red_ellipse_around_the_box():
    out = CropReferredRegion(size=30, crop_mode='circle')(_sample(_square_image(), [[20, 20, 40, 40]]))
    assert out['crop_box'] == [0, 0, 60, 60]
    assert torch.allclose(out['gt_bboxes'].tensor, torch.tensor([[10., 10., 20., 20.]]))
    red_bgr = np.array([0, 0, 255], dtype=np.uint8)
    assert (out['img'][10, 15] == red_bgr).all() and (out['img'][15, 10] == red_bgr).all()  # on the ellipse
    assert (out['img'][15, 15] == np.array([0, 0, 200], dtype=np.uint8)).all()  # the square inside it
    assert (out['img'][2, 2] == np.array([200, 0, 0], dtype=np.uint8)).all()  # the blue background


def test_jitter_moves_the_window_within_its_limits():
    np.random.seed(3)
    windows = [CropReferredRegion(size=8, jitter=0.2)(_sample(_square_image(), [[20, 20, 40, 40]]))['crop_box']
               for _ in range(20)]
    assert len({tuple(w) for w in windows}) == 20  # random
    for x1, y1, x2, y2 in windows:
        assert 16 - 1e-4 <= (x1 + x2) / 2 <= 34 + 1e-4 and 16 - 1e-4 <= (x2 - x1) <= 24 + 1e-4


def test_crop_needs_one_box_per_sample():
    with pytest.raises(ValueError, match='crop_mode'):
        CropReferredRegion(size=8, crop_mode='square')
    with pytest.raises(ValueError, match='one_expression_per_sample'):
        CropReferredRegion(size=8)(_sample(_square_image(), [[0, 0, 10, 10], [20, 20, 40, 40]]))


# ------------------------------------------------------------------------------------------------ the loss
def test_duplicates_are_positives_by_object_or_by_words():
    targets = [('ann', 1, 10), ('ann', 1, 10), ('ann', 2, 20), ('ann', 3, 30)]
    texts = ['the red circle', 'the big red circle', 'the blue square', 'The  red circle']
    expected = torch.tensor([[1, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]], dtype=torch.bool)
    assert torch.equal(same_target_mask(targets, texts), expected)


def test_contrastive_loss_equals_hand_computed_value():
    eye = torch.eye(2)
    distinct = torch.eye(2, dtype=torch.bool)
    # logits = I: each row's softmax gives the match e / (e + 1).
    assert contrastive_loss(eye, eye, torch.tensor(1.0), distinct).item() == pytest.approx(math.log(1 + math.exp(-1)))
    # The same pairs marked duplicates of each other: nothing is left to push apart.
    assert contrastive_loss(eye, eye, torch.tensor(1.0), torch.ones(2, 2, dtype=torch.bool)).item() == pytest.approx(0.0)
    # Retrieval: crop 0 is nearest to text 1, a hit only where 1 is a positive of 0.
    crops, texts = torch.tensor([[0., 1.], [0., 1.]]), torch.eye(2)
    assert retrieval_accuracy(crops, texts, distinct).item() == pytest.approx(0.5)
    assert retrieval_accuracy(crops, texts, torch.ones(2, 2, dtype=torch.bool)).item() == pytest.approx(1.0)


def test_model_needs_exactly_one_clip_source():
    with pytest.raises(ValueError, match='exactly one'):
        RegionTextCLIP()
    with pytest.raises(ValueError, match='dotted path'):
        RegionTextCLIP(tiny_clip=dict(vocab='mmrec.no_such_module.words'))


def test_fine_tuning_starts_from_the_pretrained_weights(tmp_path):
    """``pretrained`` loads a saved CLIP (as for openai/clip-vit-base-patch32), and the runner's
    ``init_weights`` must not re-initialise it."""
    torch.manual_seed(0)
    source = RegionTextCLIP(tiny_clip=TINY_CLIP).eval()
    source.save_pretrained(str(tmp_path))
    model = RegionTextCLIP(pretrained=str(tmp_path))
    model.init_weights()
    model.eval()
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    texts = ['the big red circle', 'the leftmost square']
    with torch.no_grad():
        assert torch.allclose(model.encode_texts(texts), source.encode_texts(texts), atol=1e-5)
        assert torch.allclose(model.encode_images(pixels), source.encode_images(pixels), atol=1e-5)


# -------------------------------------------------------------------------------------- training on pairs
@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('synthetic'))
    generate_synthetic_refer(root, num_images={'train': 8, 'val': 2}, image_size=(96, 96), seed=1)
    return root


def _region_dataset(root: str, size: int) -> REFERDataset:
    return REFERDataset(
        data_root=root, ann_file='synthetic/instances.json', split_file='synthetic/refs(unc).p',
        data_prefix=dict(img_path='images/'), split='train', one_expression_per_sample=True,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadReferExpressions'),
                  dict(type='CropReferredRegion', size=size), dict(type='PackRECInputs')])


def test_training_lowers_the_loss_and_learns_crop_to_text_retrieval(synthetic_root):
    torch.manual_seed(0)
    dataset = _region_dataset(synthetic_root, size=32)
    model = RegionTextCLIP(tiny_clip=TINY_CLIP)
    batch = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(len(dataset))]), training=True)
    texts = [sample.texts[0] for sample in batch['data_samples']]
    targets = [sample.expressions[0]['ann_id'] for sample in batch['data_samples']]
    positives = same_target_mask(targets, texts)
    # A random ranking finds a positive with probability (positives in the row) / (pairs).
    chance = positives.float().mean(dim=1).mean().item()
    assert len(texts) >= 20 and chance < 0.2

    def evaluate():
        model.eval()
        with torch.no_grad():
            losses = model(**batch, mode='loss')
        model.train()
        return losses['loss_contrastive'].item(), losses['acc_region_to_text'].item()

    loss_before, acc_before = evaluate()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(40):
        optimizer.zero_grad()
        model(**batch, mode='loss')['loss_contrastive'].backward()
        optimizer.step()
    loss_after, acc_after = evaluate()
    assert loss_after < 0.5 * loss_before
    assert acc_after >= 0.8 and acc_after > acc_before + 0.3
    assert acc_after > chance + 0.6


# ------------------------------------------------------------------------------ config, runner, saved CLIP
def test_tiny_config_trains_and_saves_a_clip_the_rec_encoder_loads(synthetic_root, tmp_path, repo_root):
    cfg = Config.fromfile(osp.join(repo_root, TINY_CONFIG))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.update(batch_size=8, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = synthetic_root
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = None
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()

    clip_dir = osp.join(cfg.work_dir, 'clip')
    processor = CLIPImageProcessor.from_pretrained(clip_dir)
    assert processor.crop_size == {'height': 64, 'width': 64}
    encoder = CLIPEncoder(name_or_path=clip_dir)
    assert encoder.crop_size == 64

    model = runner.model.eval()
    sample = runner.train_dataloader.dataset[0]
    batch = model.data_preprocessor(pseudo_collate([sample]), training=False)
    texts = ['the big red circle', sample['data_samples'].texts[0]]
    with torch.no_grad():
        expected_text = model.encode_texts(texts)
        expected_image = model.encode_images(batch['inputs'])
    assert torch.allclose(encoder.encode_texts(texts), expected_text, atol=1e-5)
    rgb = sample['inputs'].flip(0).float()[None]  # the packed crop is BGR uint8
    assert torch.allclose(encoder.encode_pixels(rgb), expected_image, atol=1e-5)
