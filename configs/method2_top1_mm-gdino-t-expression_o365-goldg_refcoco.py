# The baseline row: MM-GDINO-T alone, as mmdet evaluates it on RefCOCO (the whole expression as the prompt,
# tokens_positive=-1, the top-scoring box is the answer), through mmrec's data set and RECMetric so that it is
# comparable with the re-ranking configs: the scorer keeps the detector's top-1 (top_k=1), so CLIP and the
# reasoner have nothing to choose and the answer is GroundingDINO's own.
# Published: 53.1 / 59.7 / 46.4 (val / testA / testB @1, mmdet's configs/mm_grounding_dino/README.md, O365,GoldG
# column, mmdet::mm_grounding_dino/refcoco/grounding_dino_swin-t_pretrain_zeroshot_refexp.py on MDETR's
# annotations). Not measured here. Weights: as in the base config.
_base_ = './method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py'

model = dict(prompt='expression', scorer=dict(top_k=1, reasoner=None))
