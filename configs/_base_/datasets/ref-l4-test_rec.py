# Ref-L4 test: the loader and metrics of ref-l4-val_rec.py on ref-l4-test.parquet (a sibling of that file, not a
# child, so that a config built on it stays two _base_ levels deep).
_base_ = './refcoco_rec.py'

ref_l4_dataset = dict(
    _delete_=True,
    type='RefL4Dataset',
    data_root='data/ref-l4/',
    ann_file='ref-l4-test.parquet',
    data_prefix=dict(img_path='images/'),
    pipeline={{_base_.test_pipeline}},
    test_mode=True)
train_dataloader = None
val_dataloader = dict(dataset=ref_l4_dataset)
test_dataloader = dict(dataset=ref_l4_dataset)
val_evaluator = [dict(type='RefL4Metric'), dict(type='RECMetric', iou_thr=0.5)]
test_evaluator = val_evaluator
