# Method 2 over a one-stage detector: RECDetector wrapping mmdet's RTMDet-L (mmdet::rtmdet/rtmdet_l_8xb32-300e_coco.py,
# model written out, 80 COCO classes) whose detections CLIPProposalScorer re-ranks (top-10, tight crops, cosine
# argmax, as the Faster R-CNN setting). RECDetector takes any mmdet detector config as `detector`: swap it for
# another (DINO, RetinaNet, ...) and give that detector's checkpoint (keys without prefix) to tools/test.py.
# Changes from mmdet's config: SyncBN -> BN (nothing is trained here; one process), class-agnostic NMS and a
# 0.05 score threshold, as the Faster R-CNN REC setting (an object found under two classes must not take two
# of the top-K slots).
_act = dict(type='SiLU', inplace=True)
_norm = dict(type='BN')
model = dict(
    type='RECDetector',
    _scope_='mmdet',
    detector=dict(
        type='RTMDet',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[103.53, 116.28, 123.675],
            std=[57.375, 57.12, 58.395],
            bgr_to_rgb=False,
            batch_augments=None),
        backbone=dict(
            type='CSPNeXt',
            arch='P5',
            expand_ratio=0.5,
            deepen_factor=1,
            widen_factor=1,
            channel_attention=True,
            norm_cfg=_norm,
            act_cfg=_act),
        neck=dict(
            type='CSPNeXtPAFPN',
            in_channels=[256, 512, 1024],
            out_channels=256,
            num_csp_blocks=3,
            expand_ratio=0.5,
            norm_cfg=_norm,
            act_cfg=_act),
        bbox_head=dict(
            type='RTMDetSepBNHead',
            num_classes=80,
            in_channels=256,
            stacked_convs=2,
            feat_channels=256,
            anchor_generator=dict(type='MlvlPointGenerator', offset=0, strides=[8, 16, 32]),
            bbox_coder=dict(type='DistancePointBBoxCoder'),
            loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0),
            loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
            with_objectness=False,
            exp_on_reg=True,
            share_conv=True,
            pred_kernel_size=1,
            norm_cfg=_norm,
            act_cfg=_act),
        train_cfg=dict(assigner=dict(type='DynamicSoftLabelAssigner', topk=13), allowed_border=-1, pos_weight=-1,
                       debug=False),
        test_cfg=dict(nms_pre=30000, min_bbox_size=0, score_thr=0.05,
                      nms=dict(type='nms', iou_threshold=0.65, class_agnostic=True), max_per_img=100)),
    scorer=dict(
        type='CLIPProposalScorer',
        encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32', crop_source='original'),
        top_k=10,
        crop_mode='crop',
        detector_score_weight=0.0,
        prompt_templates=['{}']))
