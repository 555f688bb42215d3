# Method 1 on the synthetic shapes with tiny networks (CPU quickstart and the end-to-end tests).
#
#   python -c "from mmrec.datasets.synthetic import generate_synthetic_refer as g; g('data/synthetic')"
#   python tools/train.py configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py     # the tiny CLIP
#   python tools/train.py configs/method1_tiny-clip_r18_fpn_2e_synthetic.py
#   python tools/test.py configs/method1_tiny-clip_r18_fpn_2e_synthetic.py work_dirs/.../best_*.pth
#
# A ResNet-18 of quarter width with no pretrained weights, a thin FPN and a tiny CLIP directory (any
# save_pretrained CLIP works: set model.roi_head.bbox_head.encoder.name_or_path).
_base_ = [
    './_base_/models/method1_faster-rcnn_r18-tiny_fpn_tiny-clip.py',
    './_base_/datasets/synthetic_rec.py',
    './_base_/schedules/adamw_5e.py',
    './_base_/default_runtime.py',
]

# small images (the synthetic data's 320x240 resized to fit 128x128), val for testing
image_scale = (128, 128)
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = dict(dataset=dict(pipeline=pipeline, split='val'))

train_cfg = dict(max_epochs=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=2, milestones=[2], gamma=0.1),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(max_keep_ckpts=2, save_best='rec/accuracy', rule='greater'))
log_processor = dict(window_size=10)
