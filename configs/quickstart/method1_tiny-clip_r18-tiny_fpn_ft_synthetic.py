# Method 1 fine-tuned row of the quickstart: the CLIPTextConditionedHead in the tiny synthetic Faster R-CNN,
# starting from the untuned detector (faster-rcnn_r18-tiny_fpn_12e_source-shapes.py, as configs/method1.py
# starts from mmdet's COCO detector): its backbone and FPN stay frozen, the RPN and the head's branch (RoI
# features -> the tiny CLIP's text space, initialised from the detector's shared fcs, plus box regression)
# train on the synthetic train split. CLIP is the quickstart's tiny region-text CLIP.
#   python tools/train.py configs/quickstart/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py \
#       --cfg-options load_from=UNTUNED_DETECTOR.pth
#   python tools/test.py configs/quickstart/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py work_dirs/.../epoch_N.pth
# Its network is the tiny detector's (quarter-width ResNet-18, 32-channel FPN, 128-wide shared fcs), so the
# untuned detector's checkpoint loads into it, the box head's shared fcs into the branch. The REC data at their
# own size (the detector's); val for testing.
_base_ = [
    '../_base_/models/method1_faster-rcnn_r18-tiny_fpn_tiny-clip.py',
    '../_base_/datasets/synthetic_rec.py',
    '../_base_/schedules/adamw_5e.py',
    '../_base_/default_runtime.py',
]

clip_dir = 'work_dirs/quickstart/clip/clip'
model = dict(
    frozen_modules=('backbone', 'neck'),
    roi_head=dict(
        # the detector's CPU settings (_base_/models/tiny_synthetic_network.py), as it trained
        bbox_roi_extractor={{_base_.tiny_cpu_settings.roi_head.bbox_roi_extractor}},
        # spatial reasoning as in method 2's quickstart rows (the zero-shot baseline has it too)
        bbox_head=dict(encoder=dict(name_or_path=clip_dir),
                       reasoner=dict(type='SpatialReasoningRescorer', temperature=None))))

test_dataloader = dict(dataset=dict(split='val'))
val_dataloader = None
val_cfg = None
val_evaluator = None

max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[max_epochs - 1], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
log_processor = dict(window_size=10)
load_from = 'work_dirs/quickstart/detector_untuned/epoch_12.pth'
