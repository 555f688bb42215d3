# The synthetic shapes' train split (synthetic_rec.py's layout) as (referred-object crop, expression) pairs for
# the tiny CLIP: refcoco_region-text.py's loader with small crops, more jitter and a small batch.
_base_ = './refcoco_region-text.py'

data_root = 'data/synthetic/'
crop_size = 64

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    dict(type='CropReferredRegion', size=crop_size, jitter=0.1),  # detector boxes are not exact
    dict(type='PackRECInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(data_root=data_root, ann_file='synthetic/instances.json', split_file='synthetic/refs(unc).p',
                 data_prefix=dict(img_path='images/'), pipeline=train_pipeline))
