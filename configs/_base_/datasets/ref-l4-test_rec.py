# Ref-L4 test: ref-l4-val_rec.py (loader, layout, metrics) on ref-l4-test.parquet.
_base_ = './ref-l4-val_rec.py'

ref_l4_dataset = dict(ann_file='ref-l4-test.parquet')
val_dataloader = dict(dataset=ref_l4_dataset)
test_dataloader = dict(dataset=ref_l4_dataset)
