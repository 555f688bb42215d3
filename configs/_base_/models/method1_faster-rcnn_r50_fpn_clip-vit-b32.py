# Method 1's model: Faster R-CNN R50-FPN whose RoI box predictor is the CLIPTextConditionedHead. The detector
# part (data preprocessor, backbone, FPN, RPN, RoI extractor, their train / test settings) is mmdet's
# mmdet::_base_/models/faster-rcnn_r50_fpn.py, which this file extends: only what differs is written here.
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
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

num_proposals = 100  # top-K RPN proposals scored per image at test time

model = dict(
    type='TextConditionedRCNN',
    # built in mmdet's registries also outside a runner (tools/demo.py, tests), as a model from an mmdet::
    # base config is: its data preprocessor and parts are mmdet's
    _scope_='mmdet',
    frozen_modules=('backbone', 'neck'),
    roi_head=dict(
        type='TextConditionedRoIHead',
        bbox_head=dict(
            _delete_=True,  # not mmdet's Shared2FCBBoxHead
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
    # mmdet's settings but for the RoIs sampled per image (256: the branch is smaller than a box head's job)
    train_cfg=dict(rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(
        rpn=dict(max_per_img=num_proposals),
        rcnn=None))  # the head scores the proposals itself
