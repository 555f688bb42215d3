# Method 2 over a COCO-trained one-stage detector: RTMDet-L (mmdet's rtmdet_l_8xb32-300e_coco, 51.3 box AP on
# COCO val2017 per mmdet's configs/rtmdet/README.md) + CLIP ViT-B/32 re-ranking, on RefCOCO val / testA / testB.
#
#   python tools/test.py configs/method2_clip-vit-b32_rtmdet-l_coco_refcoco.py
#
# REC accuracy: not measured here (no GPU run of this config yet; README's Results list the measured rows).
# Weights: the detector from `load_from` below (mmdet's model zoo, downloaded on first use; offline, download it
# and pass the local file as CHECKPOINT, it is a plain mmdet checkpoint and loads under `detector.`); CLIP from
# the hub name in the scorer (or a save_pretrained directory: model.scorer.encoder.name_or_path=...).
# Data leak: COCO 2017 train (this detector's training set) holds RefCOCO/+/g val and test images, so these
# figures are optimistic; configs/detector/ has a COCO detector trained without them.
_base_ = [
    './_base_/models/method2_rtmdet-l_clip-vit-b32.py',
    './_base_/datasets/refcoco_rec.py',
    './_base_/schedules/test-only.py',
    './_base_/default_runtime.py',
]

load_from = ('https://download.openmmlab.com/mmdetection/v3.0/rtmdet/rtmdet_l_8xb32-300e_coco/'
             'rtmdet_l_8xb32-300e_coco_20220719_112030-5a0be7c4.pth')

# RTMDet's own test resize (640x640, padded with grey 114); CLIP crops come from the loaded image.
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='KeepOriginalImage'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=(640, 640), keep_ratio=True),
    dict(type='Pad', size=(640, 640), pad_val=dict(img=(114, 114, 114))),
    dict(type='PackRECInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

train_dataloader = None  # method 2 trains nothing (_base_/schedules/test-only.py)
