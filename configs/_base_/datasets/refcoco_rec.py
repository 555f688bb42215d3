# RefCOCO (UNC splits) for REC in mmdet's data layout:
#   data/coco/refcoco/instances.json, data/coco/refcoco/refs(unc).p, data/coco/train2014/*.jpg
# One sample = one image with all its expressions of the split (image-major); the metric expands them.
# RefCOCO+ / RefCOCOg: override ann_file / split_file / split (see refcoco+_rec.py and refcocog_rec.py here).
dataset_type = 'REFERDataset'
data_root = 'data/coco/'
ann_file = 'refcoco/instances.json'
split_file = 'refcoco/refs(unc).p'
data_prefix = dict(img_path='train2014/')
backend_args = None  # image loading only; REFERDataset reads its annotation files locally
image_scale = (1333, 800)  # the detector's input size (mmdet's COCO test scale)

# Another scale: override the whole pipeline in the config that needs it (no positional pipeline indices).
# No random flip: it would turn "the man on the left" into a wrong label.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]
# Testing also keeps the loaded image (before the detector's resize) in the data sample: the REC models'
# CLIP crops come from it (encoder crop_source='original': PIL-exact bicubic, as CLIP's own preprocessing).
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='KeepOriginalImage'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]

rec_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file=ann_file,
    split_file=split_file,
    data_prefix=data_prefix)

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(rec_dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(rec_dataset, split='val', pipeline=test_pipeline, test_mode=True))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(rec_dataset, split=['val', 'testA', 'testB'], pipeline=test_pipeline, test_mode=True))

val_evaluator = dict(type='RECMetric', iou_thr=0.5)
test_evaluator = val_evaluator
