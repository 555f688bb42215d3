# Ref-L4 test (see ref-l4-val_rec.py): the same loader and metrics on ref-l4-test.parquet.
_base_ = './ref-l4-val_rec.py'

ref_l4_test = dict(ann_file='ref-l4-test.parquet')
val_dataloader = dict(dataset=ref_l4_test)
test_dataloader = dict(dataset=ref_l4_test)
