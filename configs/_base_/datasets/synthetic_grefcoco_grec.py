# The synthetic shapes in gRefCOCO's layout (mmrec.datasets.synthetic_grefcoco; tools/make_synthetic_refer.py
# data/synthetic_grefcoco --layout grefcoco): data/synthetic_grefcoco/grefcoco/{instances.json, grefs(unc).json},
# images in data/synthetic_grefcoco/images/; refs to one object, to two or three ("both red circles"), or to none.
# Evaluated with GRECMetric; its score_thr keeps every box the model answers (cosines and probabilities are >= -1),
# so that a generalised model's own threshold (generalized_score_thr) is the only one.
_base_ = './refcoco_rec.py'

data_root = 'data/synthetic_grefcoco/'
image_scale = (320, 240)  # the generator's default image size: no resizing

grec_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadGRECExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]
grec_dataset = dict(
    _delete_=True,
    type='GRefCOCODataset',
    data_root=data_root,
    ann_file='grefcoco/instances.json',
    split_file='grefcoco/grefs(unc).json',
    data_prefix=dict(img_path='images/'),
    split='val',
    pipeline=grec_pipeline,
    test_mode=True)
# Small data: no worker processes (their start-up costs more than they save on a laptop CPU).
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = None
val_dataloader = dict(_loader, dataset=grec_dataset)
test_dataloader = dict(_loader, dataset=grec_dataset)
val_evaluator = dict(_delete_=True, type='GRECMetric', score_thr=-1.0, iou_thr=0.5)
test_evaluator = val_evaluator
