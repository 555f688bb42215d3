# Method 1 baseline row of the quickstart: the untuned detector's RPN proposals scored by the
# CLIPTextConditionedHead without a trained branch (tiny CLIP with spatial prompts + objectness + local
# search), as configs/method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py does over mmdet's COCO detector. The
# test-time settings of method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py otherwise (tests/test_configs.py
# compares them).
#   python tools/test.py configs/quickstart/method1_tiny-clip_r18-tiny_fpn_zeroshot_synthetic.py UNTUNED_DETECTOR.pth
_base_ = [
    '../_base_/models/method1_faster-rcnn_r18-tiny_fpn_tiny-clip.py',
    '../_base_/datasets/synthetic_rec.py',
    '../_base_/default_runtime.py',
]

clip_dir = 'work_dirs/quickstart/clip/clip'
model = dict(
    roi_head=dict(
        bbox_roi_extractor=None,  # no branch, no RoI features
        # spatial reasoning as in method 2's quickstart rows
        bbox_head=dict(branch=None, encoder=dict(name_or_path=clip_dir),
                       reasoner=dict(type='SpatialReasoningRescorer', temperature=None))))

test_dataloader = dict(dataset=dict(split='val'))

# evaluation only: nothing is trained
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
load_from = 'work_dirs/quickstart/detector_untuned/epoch_12.pth'
