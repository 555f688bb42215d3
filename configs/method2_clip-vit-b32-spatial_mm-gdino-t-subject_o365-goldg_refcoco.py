# Method 2 over a grounding detector: MM-Grounding-DINO-T (O365 + GoldG, zero-shot: no RefCOCO training) asked
# for each expression's subject ("the left lion" -> "lion", prompt='subject'), so it proposes every lion; CLIP
# ViT-B/32 re-ranks its top-10 and the spatial reasoner picks "the left one". RefCOCO val / testA / testB.
#
#   python tools/test.py configs/method2_clip-vit-b32-spatial_mm-gdino-t-subject_o365-goldg_refcoco.py
#
# REC accuracy: not measured here (no GPU run of this config yet). Reference point: MM-GDINO-T alone, given
# the whole expression, 53.1 / 59.7 / 46.4 (val / testA / testB @1; mmdet's configs/mm_grounding_dino/README.md,
# O365,GoldG column; this project's baseline row is method2_top1_mm-gdino-t-expression_o365-goldg_refcoco.py).
# Weights: the detector from `load_from` below (mmdet's model zoo, configs/mm_grounding_dino/metafile.yml;
# downloaded on first use; offline, download it and pass the local file as CHECKPOINT: a plain mmdet
# checkpoint, it loads under `detector.`); BERT from the hub name in the model base (or a save_pretrained
# directory: model.detector.language_model.name=...); CLIP from model.scorer.encoder.name_or_path.
# Data leak: MM-GDINO's GoldG (MDETR's mixed grounding data) holds COCO train2014 images, RefCOCO val/test
# images excluded by MDETR; its O365 data does not hold COCO images.
_base_ = [
    './_base_/models/method2_mm-gdino-t_clip-vit-b32.py',
    './_base_/datasets/refcoco_rec.py',
    './_base_/schedules/test-only.py',
    './_base_/default_runtime.py',
]

load_from = ('https://download.openmmlab.com/mmdetection/v3.0/mm_grounding_dino/grounding_dino_swin-t_pretrain_'
             'obj365_goldg/grounding_dino_swin-t_pretrain_obj365_goldg_20231122_132602-4ea751ce.pth')

val_dataloader = dict(dataset=dict(pipeline={{_base_.grounding_test_pipeline}}))
test_dataloader = dict(dataset=dict(pipeline={{_base_.grounding_test_pipeline}}))

train_dataloader = None  # method 2 trains nothing (_base_/schedules/test-only.py)
