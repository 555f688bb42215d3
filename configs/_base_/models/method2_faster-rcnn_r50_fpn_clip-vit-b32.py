# Method 2's model: mmdet's Faster R-CNN R50-FPN whose detections are re-ranked by CLIPProposalScorer (the
# report's setting: top-10 detections, tight crops at 224x224, plain cosine argmax).
# CLIP comes from `model.scorer.encoder.name_or_path`: a hub name (downloaded on first use) or a local
# directory written by `save_pretrained`. Variants: crop_mode='context' | 'blur' | 'crop+blur' (ReCLIP),
# detector_score_weight > 0, prompt_templates=['a photo of {}.', ...]. The encoder crops from the detector's
# input (crop_source='input', roi_align) unless a config sets crop_source='original' and keeps the loaded image
# in its test pipeline (KeepOriginalImage), as the RefCOCO configs do.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    type='RECTwoStageDetector',
    scorer=dict(
        type='CLIPProposalScorer',
        encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32'),
        top_k=10,
        crop_mode='crop',
        detector_score_weight=0.0,
        prompt_templates=['{}']),
    # class-agnostic NMS: an object found under two classes must not take two of the top-K slots
    test_cfg=dict(rcnn=dict(nms=dict(type='nms', iou_threshold=0.5, class_agnostic=True))))
