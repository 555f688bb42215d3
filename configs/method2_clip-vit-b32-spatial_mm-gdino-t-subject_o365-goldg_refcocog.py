# method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py on RefCOCOg (UMD splits) val / test.
# REC accuracy: not measured here. Reference point: MM-GDINO-T alone 61.2 / 61.1 (val / test @1, mmdet's
# configs/mm_grounding_dino/README.md, O365,GoldG column).
_base_ = './method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py'

_rec_files = dict(ann_file='refcocog/instances.json', split_file='refcocog/refs(umd).p')
val_dataloader = dict(dataset=_rec_files)
test_dataloader = dict(dataset=dict(_rec_files, split=['val', 'test']))
