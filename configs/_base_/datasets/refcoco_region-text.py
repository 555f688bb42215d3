# RefCOCO train (UNC splits) as (referred-object crop, expression) pairs, one expression per sample, for training
# CLIP on regions (configs/clip/). Layout: refcoco_rec.py's. The pairs of another REFER data set:
# synthetic_region-text.py.
data_root = 'data/coco/'
crop_size = 224

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    # The crop mode the REC methods score boxes with (their default: 'crop'); jitter mimics detector boxes.
    dict(type='CropReferredRegion', size=crop_size, crop_mode='crop', jitter=0.05),
    dict(type='PackRECInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='REFERDataset',
        data_root=data_root,
        ann_file='refcoco/instances.json',
        split_file='refcoco/refs(unc).p',
        data_prefix=dict(img_path='train2014/'),
        split='train',
        one_expression_per_sample=True,
        pipeline=train_pipeline))
