# RefCOCO+ (UNC splits: train / val / testA / testB): no absolute location words in the expressions.
_base_ = './refcoco_rec.py'

_rec_files = dict(ann_file='refcoco+/instances.json', split_file='refcoco+/refs(unc).p')
train_dataloader = dict(dataset=_rec_files)
val_dataloader = dict(dataset=_rec_files)
test_dataloader = dict(dataset=_rec_files)
