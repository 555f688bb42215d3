# RefCOCOg (UMD splits: train / val / test): longer expressions.
_base_ = './refcoco_rec.py'

_rec_files = dict(ann_file='refcocog/instances.json', split_file='refcocog/refs(umd).p')
train_dataloader = dict(dataset=_rec_files)
val_dataloader = dict(dataset=_rec_files)
test_dataloader = dict(dataset=dict(_rec_files, split=['val', 'test']))
