# RefClef with the Berkeley splits (train / val / test) of refs(berkeley).p; see refclef_rec.py.
_base_ = './refclef_rec.py'

refclef_files = dict(split_file='refs(berkeley).p')
train_dataloader = dict(dataset=refclef_files)
val_dataloader = dict(dataset=refclef_files)
test_dataloader = dict(dataset=dict(refclef_files, split=['test']))
