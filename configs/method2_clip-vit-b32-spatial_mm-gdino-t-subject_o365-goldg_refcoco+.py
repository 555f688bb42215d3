# method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py on RefCOCO+ val / testA / testB.
# REC accuracy: not measured here. Reference point: MM-GDINO-T alone 53.1 / 58.9 / 47.9 (val / testA / testB @1,
# mmdet's configs/mm_grounding_dino/README.md, O365,GoldG column). RefCOCO+ has no location words by design,
# so the spatial reasoner rarely answers; the subject prompt still narrows the candidates to the subject's class.
_base_ = './method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py'

_rec_files = dict(ann_file='refcoco+/instances.json', split_file='refcoco+/refs(unc).p')
val_dataloader = dict(dataset=_rec_files)
test_dataloader = dict(dataset=_rec_files)
