# Ref-L4 val (Hugging Face dataset JierunChen/Ref-L4, CC BY-NC 4.0), one expression per Parquet row, evaluated
# with Ref-L4's own figures (RefL4Metric: acc@0.5/0.75/0.9, mAcc@0.5:0.95, by box size) and RECMetric. Layout
# (docs/datasets.md): data/ref-l4/ref-l4-val.parquet, data/ref-l4/ref-l4-test.parquet, data/ref-l4/images/ (the
# extracted images.tar.gz). Ref-L4 has no train split. Test split: ref-l4-test_rec.py.
_base_ = './refcoco_rec.py'

ref_l4_dataset = dict(
    _delete_=True,
    type='RefL4Dataset',
    data_root='data/ref-l4/',
    ann_file='ref-l4-val.parquet',
    data_prefix=dict(img_path='images/'),
    pipeline={{_base_.test_pipeline}},
    test_mode=True)
train_dataloader = None
val_dataloader = dict(dataset=ref_l4_dataset)
test_dataloader = dict(dataset=ref_l4_dataset)
val_evaluator = [dict(type='RefL4Metric'), dict(type='RECMetric', iou_thr=0.5)]
test_evaluator = val_evaluator
