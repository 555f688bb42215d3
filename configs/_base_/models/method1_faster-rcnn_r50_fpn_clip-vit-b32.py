# Method 1's model: Faster R-CNN R50-FPN whose RoI box predictor is the CLIPTextConditionedHead. The detector
# part (data preprocessor, backbone, FPN, RPN, their train / test settings) is mmdet's
# mmdet::_base_/models/faster-rcnn_r50_fpn.py written out, so that this one file is the whole model.
#
# The RPN and the head's trainable branch (RoI features -> CLIP embedding space, scored against the expression's
# CLIP text embedding, plus class-agnostic box regression) are fine-tuned; CLIP, the backbone and the FPN stay
# frozen (frozen_modules). Test-time score of proposal i for an expression (all three terms are distributions
# over the top-K proposals):  lambda * softmax(S / tau)_i + (1 - lambda) * ((1 - w) * obj_i / sum(obj) + w * branch_i)
# with S_i the mean cosine of crop i to the expression's spatial prompts for i's location label.
# Ablations: model.roi_head.bbox_head.{blend.clip_weight, blend.branch_weight, prompt_scorer.temperature,
# prompt_scorer.prompt_templates, local_search.enable, local_search.translations, local_search.scales,
# local_search.shrink, crop_mode}.
# CLIP comes from model.roi_head.bbox_head.encoder.name_or_path (a hub name or a save_pretrained directory).
# Its crops come from the loaded image (KeepOriginalImage in the test pipeline), resampled exactly as PIL's
# bicubic resize does (crop_source='original'; boxes found in the 1333x800 input are mapped back to it).
num_proposals = 100  # top-K RPN proposals scored per image at test time

model = dict(
    type='TextConditionedRCNN',
    # built in mmdet's registries also outside a runner (tools/demo.py, tests), as a model from an mmdet::
    # base config is: its data preprocessor and parts are mmdet's
    _scope_='mmdet',
    frozen_modules=('backbone', 'neck'),
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
        type='TextConditionedRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='CLIPTextConditionedHead',
            encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32', crop_source='original'),
            prompt_scorer=dict(
                type='SpatialPromptScorer',
                prompt_templates=['{query}', '{query}, {loc}', '{query} in the {loc} of the image'],
                temperature=0.01),  # tau
            # clip_weight: lambda, branch_weight: w
            blend=dict(type='ObjectnessBlend', clip_weight=0.5, branch_weight=0.5, normalize_objectness=True),
            crop_mode='crop',
            local_search=dict(enable=True, rounds=2, translations=[-0.1, 0.0, 0.1], scales=[0.9, 1.0, 1.1],
                              shrink=0.5),
            # the trainable branch, sized like Shared2FCBBoxHead: the COCO checkpoint initialises its fcs
            branch=dict(type='RoITextBranch', in_channels=256, roi_feat_size=7, num_shared_fcs=2, fc_out_channels=1024),
            refine_boxes=True,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
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
            sampler=dict(type='RandomSampler', num=256, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=num_proposals, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=None))  # the head scores the proposals itself
