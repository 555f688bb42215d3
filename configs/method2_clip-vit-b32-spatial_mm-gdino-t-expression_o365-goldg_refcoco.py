# method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py with the whole expression as the
# detector's prompt (prompt='expression', how mmdet evaluates GroundingDINO on RefCOCO): CLIP and the spatial
# reasoner choose among MM-GDINO-T's top-10 for the expression. REC accuracy: not measured here; MM-GDINO-T
# alone: 53.1 / 59.7 / 46.4 (val / testA / testB @1, mmdet's configs/mm_grounding_dino/README.md). Weights: as
# in the base config. RefCOCO+ / RefCOCOg: the dataloader overrides of the subject configs apply unchanged.
_base_ = './method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py'

model = dict(prompt='expression')
