# Method 2's model: Faster R-CNN R50-FPN whose detections are re-ranked by CLIPProposalScorer (the report's
# setting: top-10 detections, tight crops at 224x224, plain cosine argmax). The detector is mmdet's
# mmdet::_base_/models/faster-rcnn_r50_fpn.py (80 COCO classes), which this file extends; the REC test settings
# use class-agnostic NMS.
# CLIP comes from `model.scorer.encoder.name_or_path`: a hub name (downloaded on first use) or a local
# directory written by `save_pretrained`. Variants: crop_mode='context' | 'blur' | 'crop+blur' (ReCLIP),
# detector_score_weight > 0, prompt_templates=['a photo of {}.', ...]. The encoder crops from the detector's
# input (crop_source='input', roi_align) unless a config sets crop_source='original' and keeps the loaded image
# in its test pipeline (KeepOriginalImage), as the RefCOCO configs do.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    type='RECTwoStageDetector',
    # built in mmdet's registries also outside a runner (tools/demo.py, tests), as a model from an mmdet::
    # base config is: its data preprocessor and parts are mmdet's
    _scope_='mmdet',
    scorer=dict(
        type='CLIPProposalScorer',
        encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32'),
        top_k=10,
        crop_mode='crop',
        detector_score_weight=0.0,
        prompt_templates=['{}']),
    # the detector's training settings are mmdet's (method 2 trains nothing itself: configs/detector/ train the
    # detector); at test time class-agnostic NMS: an object found under two classes must not take two of the
    # top-K slots
    test_cfg=dict(rcnn=dict(nms=dict(class_agnostic=True))))
