# Method 2: CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN (the report's setting:
# top-10 detections, tight crops at 224x224, plain cosine argmax).
#
#   python tools/test.py configs/method2.py FINETUNED_DETECTOR.pth
#
# prints accuracy (IoU >= 0.5), mean IoU and the proposal upper bound for RefCOCO val / testA / testB.
# The detector checkpoint comes from configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py. CLIP comes
# from `model.scorer.encoder.name_or_path`: a hub name (downloaded on first use) or a local directory
# written by `save_pretrained`, e.g. --cfg-options model.scorer.encoder.name_or_path=/models/clip-vit-base-patch32
# The model (detector + scorer settings, variants) is in _base_/models/method2_faster-rcnn_r50_fpn_clip-vit-b32.py.
_base_ = [
    './_base_/models/method2_faster-rcnn_r50_fpn_clip-vit-b32.py',
    './_base_/datasets/refcoco_rec.py',
    './_base_/schedules/test-only.py',
    './_base_/default_runtime.py',
]

# CLIP crops come from the loaded image (KeepOriginalImage in the test pipeline), resampled exactly as PIL's
# Image.resize(box=...) does (bicubic, CLIP's filter), as PIL-based research code crops, whatever the detector's
# 1333x800 resize.
model = dict(scorer=dict(encoder=dict(crop_source='original')))

train_dataloader = None  # method 2 trains nothing (_base_/schedules/test-only.py)
