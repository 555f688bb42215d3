# A small Faster R-CNN (ResNet-18 at quarter width, thin FPN, random init) for the synthetic shapes: the
# quickstart's detector and the one the tool tests train. Three classes (circle, square, triangle); train
# images only, from the COCO-format file that tools/prepare_refcoco.py writes:
#   python tools/prepare_refcoco.py data/synthetic --dataset synthetic
#   python tools/train.py configs/detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py
# No detection validation: the detector is judged through
# tools/test.py configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py CKPT.
_base_ = [
    '../_base_/models/faster-rcnn_r18-tiny_fpn_synthetic.py',
    '../_base_/datasets/synthetic_detection.py',
    '../_base_/detector_train-only.py',
]

train_cfg = dict(max_epochs=20, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=20, milestones=[15], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=5, max_keep_ckpts=2))
log_processor = dict(window_size=10)
