# The quickstart's *untuned* detector: the tiny Faster R-CNN trained on a differently distributed synthetic
# source set, never on the quickstart's own train split. It plays the part that mmdet's COCO detector plays on
# RefCOCO (a detector of the right objects that has not seen the REC data): the baseline rows of Table 1 use
# it as it is, and the fine-tuned detector and method 1's fine-tuning start from it.
#
# The source set is drawn by the same generator with another seed at half the image size (160x120) and the
# detector trains at that size, so it learns the shapes at half the pixel size that the REC data show
# (320x240): a scale shift, as between COCO's and RefCOCO's annotated objects, not a different task. Its
# quickstart rows test it at its own scale (the val images resized to 160x120), as mmdet runs a COCO detector
# at the COCO test scale.
#   python tools/make_synthetic_refer.py data/synthetic_source --seed 1000 --width 160 --height 120 \
#       --num-val 0 --num-testA 0 --num-testB 0
#   python tools/prepare_refcoco.py data/synthetic_source --dataset synthetic
#   python tools/train.py configs/quickstart/faster-rcnn_r18-tiny_fpn_12e_source-shapes.py
# The tiny detector of configs/detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py (its schedule's form and
# runtime), with the CPU settings, data and epochs below.
_base_ = '../detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py'

# CPU speed (same network, cheaper training; _base_/models/tiny_synthetic_network.py says which); the fine-tuned
# detector (faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py) and the quickstart's REC models have the same.
model = {{_base_.tiny_cpu_settings}}

data_root = 'data/synthetic_source/'
source_scale = (160, 120)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=source_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[9], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
