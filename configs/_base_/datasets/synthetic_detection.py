# The synthetic shapes as a detection data set (COCO format, train images only) for the tiny detectors: the file
# that tools/prepare_refcoco.py writes next to the REFER files,
#   python tools/prepare_refcoco.py data/synthetic --dataset synthetic  ->  data/synthetic/synthetic/instances_train_unc_det.json
# mmdet's COCO detection data settings otherwise. No validation or test set: the detectors are judged through
# the REC configs (tools/test.py configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py CKPT).
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

data_root = 'data/synthetic/'
image_scale = (320, 240)  # the generator's default image size: no resizing
# Another scale or data root: override the whole pipeline / data_root in the config that needs it.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),  # fine for a detector: it sees no expressions
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,  # small data: worker start-up costs more than it saves on a laptop CPU
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='synthetic/instances_train_unc_det.json',
        data_prefix=dict(img='images/'),
        metainfo=dict(classes=('circle', 'square', 'triangle')),  # the tiny models' synthetic_classes
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
