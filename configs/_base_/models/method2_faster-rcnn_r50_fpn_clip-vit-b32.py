# Method 2's model: Faster R-CNN R50-FPN whose detections are re-ranked by CLIPProposalScorer (the report's
# setting: top-10 detections, tight crops at 224x224, plain cosine argmax). The detector is mmdet's
# mmdet::_base_/models/faster-rcnn_r50_fpn.py written out (80 COCO classes), so that this one file is the whole
# model; the REC test settings use class-agnostic NMS.
# CLIP comes from `model.scorer.encoder.name_or_path`: a hub name (downloaded on first use) or a local
# directory written by `save_pretrained`. Variants: crop_mode='context' | 'blur' | 'crop+blur' (ReCLIP),
# detector_score_weight > 0, prompt_templates=['a photo of {}.', ...]. The encoder crops from the detector's
# input (crop_source='input', roi_align) unless a config sets crop_source='original' and keeps the loaded image
# in its test pipeline (KeepOriginalImage), as the RefCOCO configs do.
model = dict(
    type='RECTwoStageDetector',
    # built in mmdet's registries also outside a runner (tools/demo.py, tests), as a model from an mmdet::
    # base config is: its data preprocessor and parts are mmdet's
    _scope_='mmdet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0, 0.0, 0.0, 0.0], target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0, 0.0, 0.0, 0.0],
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    scorer=dict(
        type='CLIPProposalScorer',
        encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32'),
        top_k=10,
        crop_mode='crop',
        detector_score_weight=0.0,
        prompt_templates=['{}']),
    # the detector's training settings (method 2 trains nothing itself: configs/detector/ train the detector)
    train_cfg=dict(
        rpn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                          match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1, add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                          match_low_quality=False, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        # class-agnostic NMS: an object found under two classes must not take two of the top-K slots
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5, class_agnostic=True), max_per_img=100)))
