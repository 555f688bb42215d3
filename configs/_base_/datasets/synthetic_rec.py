# The synthetic shapes data set (mmrec.datasets.synthetic; tools/make_synthetic_refer.py data/synthetic)
# in the REFER layout: data/synthetic/synthetic/{instances.json, refs(unc).p}, images in data/synthetic/images/.
_base_ = './refcoco_rec.py'

data_root = 'data/synthetic/'
image_scale = (320, 240)  # the generator's default image size: no resizing
# Another scale: override the whole pipeline in the config that needs it (no positional pipeline indices).

synthetic_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]
synthetic_files = dict(
    data_root=data_root,
    ann_file='synthetic/instances.json',
    split_file='synthetic/refs(unc).p',
    data_prefix=dict(img_path='images/'),
    pipeline=synthetic_pipeline)
# Small data: no worker processes (their start-up costs more than they save on a laptop CPU).
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(_loader, dataset=synthetic_files)
val_dataloader = dict(_loader, dataset=synthetic_files)
test_dataloader = dict(_loader, dataset=dict(synthetic_files, split=['val', 'testA', 'testB']))
