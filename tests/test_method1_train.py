"""Method 1 training: the branch's targets, the loss going down, and train -> resume -> test end to end.

Everything is tiny and offline: synthetic REFER data (96 x 96 images), a randomly initialised two-layer
CLIP saved with ``save_pretrained``, and ``configs/method1_tiny-clip_r18_fpn_2e_synthetic.py`` (a child of
``configs/method1.py``'s config with a quarter-width ResNet-18).
"""
import copy
import glob
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData
from mmdet.registry import DATASETS, MODELS, TASK_UTILS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import get_box_tensor

import mmrec  # noqa: F401  (registers everything)
from mmrec.datasets.synthetic import generate_synthetic_refer, synthetic_vocabulary
from mmrec.testing import save_tiny_clip

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(REPO, 'configs', 'method1_tiny-clip_r18_fpn_2e_synthetic.py')


@pytest.fixture(scope='module')
def tiny_setup(tmp_path_factory):
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')  # the models are built from configs outside a runner, as the runner would
    root = tmp_path_factory.mktemp('method1')
    data_root = str(root / 'data')
    generate_synthetic_refer(data_root, num_images={'train': 4, 'val': 2}, image_size=(96, 96), seed=0)
    clip_dir = save_tiny_clip(str(root / 'clip'), texts=synthetic_vocabulary())
    options = {
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
        'model.roi_head.bbox_head.encoder.name_or_path': clip_dir,
        'default_hooks.logger.interval': 1,
    }
    return dict(root=root, options=options)


def tiny_config(options: dict) -> Config:
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(options)
    return cfg


def test_text_targets_follow_the_roi_heads_assignment():
    """The branch's targets come from the RoI head's assigner: one set of IoU thresholds."""
    from mmrec.models.method1.text_conditioned_roi_head import text_targets
    assigner = TASK_UTILS.build(dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3, min_pos_iou=0.5,
                                     match_low_quality=False))
    referred = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 40.0, 40.0]])
    rois = torch.tensor([[0.0, 0.0, 10.0, 10.0],   # IoU 1 with expression 0
                         [0.0, 0.0, 10.0, 6.0],    # IoU 0.6 -> positive
                         [0.0, 0.0, 10.0, 4.0],    # IoU 0.4 -> ignored (between 0.3 and 0.5)
                         [25.0, 25.0, 40.0, 40.0]])  # IoU 0.5625 with expression 1
    assign_result = assigner.assign(InstanceData(priors=rois),
                                    InstanceData(bboxes=referred, labels=torch.zeros(2, dtype=torch.long)))
    labels = text_targets(assign_result.gt_inds, torch.tensor([0, 1]))
    # the assigner ignores RoI 2 for every referred box (it is never sampled)
    assert labels.tolist() == [[1, 1, -1, 0], [0, 0, -1, 1]]


def test_iou_thresholds_are_the_assigners_alone(tiny_setup):
    """The branch trains on the RoI head's assigner: an IoU threshold on the head is refused, even one equal
    to the assigner's, with the key that sets it."""
    cfg = tiny_config(tiny_setup['options'])
    roi_head = copy.deepcopy(cfg.model.roi_head)
    roi_head.train_cfg = cfg.model.train_cfg.rcnn
    MODELS.build(roi_head)
    assert roi_head.train_cfg.assigner.pos_iou_thr == 0.5
    roi_head.bbox_head.pos_iou_thr = 0.5
    with pytest.raises(TypeError, match=r'pos_iou_thr .*model.train_cfg.rcnn.assigner.pos_iou_thr$'):
        MODELS.build(roi_head)


def fixed_proposals(referred: torch.Tensor, height: int, width: int, seed: int = 0) -> InstanceData:
    """Jittered copies of the referred boxes (positives with regression targets) and random boxes."""
    generator = torch.Generator().manual_seed(seed)
    size = (referred[:, 2:] - referred[:, :2]).repeat(1, 2)
    jittered = referred.repeat(4, 1) + 0.15 * size.repeat(4, 1) * torch.randn(4 * len(referred), 4,
                                                                               generator=generator)
    corner = torch.rand(24, 2, generator=generator) * torch.tensor([width * 0.7, height * 0.7])
    random_boxes = torch.cat([corner, corner + 8 + torch.rand(24, 2, generator=generator) * 30], dim=1)
    boxes = torch.cat([jittered, random_boxes])
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    return InstanceData(bboxes=boxes, scores=torch.ones(len(boxes)))


def test_training_lowers_the_loss(tiny_setup):
    """A few dozen AdamW steps on a batch of tiny REFER data lower the total loss (RPN + branch).

    The RoI head gets fixed proposals (mmdet's ``proposals`` field of the data samples): with the RPN's own
    ones, the set of positives and their regression targets change while the RPN learns, so the loss of
    different iterations would measure different things. The RPN itself is trained as usual.
    """
    torch.manual_seed(0)
    cfg = tiny_config(tiny_setup['options'])
    cfg.model.train_cfg.rcnn.sampler.num = 512  # keep every proposal: no sampling noise between iterations
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = model.data_preprocessor(pseudo_collate([dataset[0], dataset[1]]), True)
    for index, sample in enumerate(batch['data_samples']):
        height, width = sample.metainfo['img_shape']
        sample.proposals = fixed_proposals(get_box_tensor(sample.gt_instances.bboxes), height, width, seed=index)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    history = []
    for _ in range(24):
        losses = model.loss(batch['inputs'], batch['data_samples'])
        assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_text', 'loss_bbox'} <= set(losses)
        total, log_vars = model.parse_losses(losses)  # sums the per-level RPN losses too
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append(dict(log_vars))
    mean = lambda key, part: sum(h[key] for h in part) / len(part)  # noqa: E731
    for key in ('loss', 'loss_text', 'loss_bbox', 'loss_rpn_cls'):
        assert mean(key, history[-5:]) < 0.7 * mean(key, history[:5]), [h[key] for h in history]
    # CLIP stays frozen and out of the trainable parameters
    assert not any(p.requires_grad for p in model.roi_head.bbox_head.encoder.parameters())


def test_predict_layout_and_no_proposals(tiny_setup):
    """One box per expression in original pixels, and the candidates; an empty RPN answers the image."""
    cfg = tiny_config(tiny_setup['options'])
    model = MODELS.build(cfg.model).eval()
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    batch = model.data_preprocessor(pseudo_collate([dataset[0]]), False)
    sample = batch['data_samples'][0]
    with torch.no_grad():
        result = model.predict(batch['inputs'], batch['data_samples'])[0]
    num_texts = len(sample.metainfo['texts'])
    assert result.pred_instances.bboxes.shape == (num_texts, 4)
    assert result.pred_instances.scores.shape == (num_texts, )
    height, width = sample.metainfo['ori_shape']
    boxes = result.candidates.bboxes
    assert len(boxes) >= 1 and (boxes[:, 2] <= width + 1e-3).all() and (boxes[:, 3] <= height + 1e-3).all()

    class NoProposals(torch.nn.Module):  # an RPN that finds nothing
        def predict(self, x, data_samples, rescale=False):
            return [InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0)) for _ in data_samples]

    model.rpn_head = NoProposals()
    empty_sample = DetDataSample(metainfo=dict(sample.metainfo))
    with torch.no_grad():
        result = model.predict(batch['inputs'], [empty_sample])[0]
    assert result.pred_instances.bboxes.tolist() == [[0.0, 0.0, float(width), float(height)]] * num_texts


def test_detector_answers_known_boxes_in_original_pixels(tiny_setup):
    """Through the real detector input (resized x2 wide and x1.5 high, ImageNet-normalised, BGR -> RGB,
    padded): each colour word gets its square, mapped back to original pixels. The unequal scales catch a
    swapped (w, h) scale factor."""
    from mmrec.testing import colored_squares, detector_input

    cfg = tiny_config(tiny_setup['options'])
    cfg.model.roi_head.bbox_roi_extractor = None
    cfg.model.roi_head.bbox_head.update(branch=None, local_search=dict(enable=False))
    cfg.model.roi_head.bbox_head.blend.clip_weight = 1.0
    cfg.model.roi_head.bbox_head.encoder = dict(type='MeanColorEncoder')
    model = MODELS.build(cfg.model).eval()
    image, boxes = colored_squares((96, 64))
    inputs, metainfo, _ = detector_input(image, scale=(192, 96), keep_ratio=False,
                                         preprocessor=cfg.model.data_preprocessor)
    assert metainfo['scale_factor'] == (2.0, 1.5)
    texts = ['the green one', 'red', 'blue square']
    sample = DetDataSample(metainfo=dict(metainfo, texts=texts))
    candidates = torch.tensor(np.stack([boxes['red'], boxes['blue'], boxes['green'], [30, 2, 50, 12]]))
    to_input = torch.tensor([2.0, 1.5, 2.0, 1.5])
    sample.proposals = InstanceData(bboxes=candidates * to_input, scores=torch.tensor([0.1, 0.2, 0.3, 0.9]))
    with torch.no_grad():
        result = model.predict(inputs[None], [sample])[0]
    expected = torch.tensor(np.stack([boxes['green'], boxes['red'], boxes['blue']]))
    torch.testing.assert_close(result.pred_instances.bboxes, expected)
    torch.testing.assert_close(result.candidates.bboxes, candidates.float())


def test_method1_configs_build_with_their_registered_parts(tiny_setup):
    """configs/method1.py (fine-tuned) and the zero-shot baseline config describe the intended models."""
    method1 = Config.fromfile(osp.join(REPO, 'configs', 'method1.py'))
    assert method1.model.type == 'TextConditionedRCNN'
    assert method1.model.roi_head.bbox_head.type == 'CLIPTextConditionedHead'
    assert method1.model.roi_head.bbox_head.branch is not None
    assert method1.optim_wrapper.optimizer.type == 'AdamW' and method1.train_cfg.max_epochs == 5
    assert method1.default_hooks.checkpoint.save_best == 'rec/accuracy'
    baseline = Config.fromfile(osp.join(REPO, 'configs', 'method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py'))
    assert baseline.model.roi_head.bbox_head.branch is None and baseline.train_dataloader is None
    # the baseline builds (tiny backbone, tiny CLIP) and has nothing to train beyond the RPN
    baseline.merge_from_dict({
        'model.backbone.depth': 18, 'model.backbone.base_channels': 8, 'model.backbone.init_cfg': None,
        'model.neck.in_channels': [8, 16, 32, 64], 'model.neck.out_channels': 16,
        'model.rpn_head.in_channels': 16, 'model.rpn_head.feat_channels': 16,
        'model.roi_head.bbox_head.encoder.name_or_path':
            tiny_setup['options']['model.roi_head.bbox_head.encoder.name_or_path']})
    model = MODELS.build(baseline.model)
    assert model.roi_head.bbox_head.branch is None and model.roi_head.bbox_roi_extractor is None
    assert not any(p.requires_grad for p in model.backbone.parameters())  # frozen_modules


def run_tool(script: str, *args: str) -> str:
    env = dict(os.environ, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', PYTHONPATH=REPO)
    completed = subprocess.run([sys.executable, osp.join(REPO, 'tools', script), *args], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=900)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    return output


def as_cli(options: dict) -> list:
    return ['--cfg-options'] + [f'{key}={value}' for key, value in options.items()]


def test_train_resume_and_test_end_to_end(tiny_setup):
    work_dir = str(tiny_setup['root'] / 'work')
    options = dict(tiny_setup['options'], **{'train_cfg.max_epochs': 1})
    output = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, *as_cli(options))
    assert 'rec/accuracy' in output and 'loss_text' in output
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    best = glob.glob(osp.join(work_dir, 'best_rec_accuracy_epoch_*.pth'))
    assert len(best) == 1
    checkpoint = torch.load(best[0], map_location='cpu', weights_only=False)
    keys = checkpoint['state_dict'].keys()
    assert any(key.startswith('roi_head.bbox_head.branch.') for key in keys)
    assert not any('.encoder.clip.' in key for key in keys)  # the frozen CLIP is not saved

    # resume from the latest checkpoint and train one more epoch
    options['train_cfg.max_epochs'] = 2
    output = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, '--resume', *as_cli(options))
    assert 'resumed epoch: 1' in output.lower() or 'Epoch(train) [2]' in output
    assert 'Epoch(train) [1]' not in output
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))

    output = run_tool('test.py', TINY_CONFIG, osp.join(work_dir, 'epoch_2.pth'), '--work-dir', work_dir,
                      *as_cli(tiny_setup['options']))
    assert 'rec/accuracy' in output and 'rec/upper_bound' in output


GT_CONFIG = osp.join(REPO, 'configs', 'method1_clip-vit-b32_r50_fpn_5e-gt-boxes_refcoco.py')


def not_run(*args, **kwargs):
    raise AssertionError('a network that ground-truth proposals make unnecessary ran')


@pytest.mark.parametrize('with_branch', [False, True])
def test_ground_truth_proposals_replace_the_rpn(with_branch):
    """The ground-truth boxes config (tiny backbone, mean-colour encoder, CLIP alone in the blend): the annotated
    objects, mapped to the input (x2 wide, x1.5 high), are the proposals; the RPN never runs (nor the backbone
    without a branch), and each colour word gets its annotated box back in original pixels, unrefined."""
    from mmrec.structures import pack_candidates
    from mmrec.testing import TINY_DETECTOR_OPTIONS, colored_squares, detector_input

    cfg = Config.fromfile(GT_CONFIG)
    # the box head's sizes are its branch's in method 1
    cfg.merge_from_dict({key.replace('.bbox_head.', '.bbox_head.branch.'): value
                         for key, value in TINY_DETECTOR_OPTIONS.items()})
    cfg.model.roi_head.bbox_head.blend.clip_weight = 1.0
    cfg.model.roi_head.bbox_head.encoder = dict(type='MeanColorEncoder')
    if not with_branch:
        cfg.model.roi_head.bbox_head.branch = None
        cfg.model.roi_head.bbox_roi_extractor = None
    model = MODELS.build(cfg.model).eval()
    assert model.candidate_source == 'ground_truth'
    model.rpn_head.predict = not_run
    if not with_branch:
        model.extract_feat = not_run
    image, boxes = colored_squares((96, 64))
    inputs, metainfo, _ = detector_input(image, scale=(192, 96), keep_ratio=False,
                                         preprocessor=cfg.model.data_preprocessor)
    annotated = [boxes['red'], boxes['blue'], boxes['green'], np.array([30, 2, 50, 12], np.float32)]
    sample = DetDataSample(metainfo=dict(metainfo, texts=['the green one', 'red', 'blue square'], img_path='x.jpg'))
    sample.gt_candidates = pack_candidates([dict(bbox=box.tolist(), ann_id=i) for i, box in enumerate(annotated)])
    with torch.no_grad():
        result = model.predict(inputs[None], [sample])[0]
    expected = torch.tensor(np.stack([boxes['green'], boxes['red'], boxes['blue']]))
    torch.testing.assert_close(result.pred_instances.bboxes, expected)
    torch.testing.assert_close(result.candidates.bboxes, torch.tensor(np.stack(annotated)))
    assert result.candidates.scores.tolist() == [1.0] * 4  # uniform objectness

    del sample.gt_candidates
    with pytest.raises(ValueError, match=r'sample x\.jpg has no gt_candidates.*with_candidates=True'):
        model.predict(inputs[None], [sample])
