# gRefCOCO (generalised REC: an expression refers to one object, several, or none), UNC splits (train / val
# released; testA / testB held for the challenge), over COCO train2014 (docs/datasets.md):
#   data/coco/grefcoco/instances.json, data/coco/grefcoco/grefs(unc).json, data/coco/train2014/*.jpg
# Evaluated with GRECMetric: Precision@(F1=1, IoU>=0.5), N-acc (no-target expressions), T-acc. A one-box model
# is scored on its one box per expression, kept when its score reaches score_thr: set it for the model's scores.
_base_ = './refcoco_rec.py'

grec_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='KeepOriginalImage'),
    dict(type='LoadGRECExpressions'),
    dict(type='Resize', scale={{_base_.image_scale}}, keep_ratio=True),
    dict(type='PackRECInputs'),
]
grefcoco_dataset = dict(
    _delete_=True,
    type='GRefCOCODataset',
    data_root='data/coco/',
    ann_file='grefcoco/instances.json',
    split_file='grefcoco/grefs(unc).json',
    data_prefix=dict(img_path='train2014/'),
    split='val',
    pipeline=grec_test_pipeline,
    test_mode=True)
train_dataloader = None
val_dataloader = dict(dataset=grefcoco_dataset)
test_dataloader = dict(dataset=grefcoco_dataset)
val_evaluator = dict(_delete_=True, type='GRECMetric', score_thr=0.7, iou_thr=0.5)
test_evaluator = val_evaluator
