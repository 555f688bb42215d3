# RefClef (ReferItGame over SAIAPR TC-12 images), UNC splits (train / val / testA / testB / testC), through
# REFERDataset: the REFER layout of RefCOCO with its own image folder (docs/datasets.md):
#   data/refclef/instances.json, data/refclef/refs(unc).p, data/refclef/refs(berkeley).p,
#   data/refclef/saiapr_tc-12/<file_name of instances.json>
# Berkeley splits (train / val / test): refclef-berkeley_rec.py. Pipelines, batch sizes and the metric are
# RefCOCO's (refcoco_rec.py).
_base_ = './refcoco_rec.py'

refclef_files = dict(
    data_root='data/refclef/',
    ann_file='instances.json',
    split_file='refs(unc).p',
    data_prefix=dict(img_path='saiapr_tc-12/'))
train_dataloader = dict(dataset=refclef_files)
val_dataloader = dict(dataset=refclef_files)
test_dataloader = dict(dataset=dict(refclef_files, split=['val', 'testA', 'testB', 'testC']))
