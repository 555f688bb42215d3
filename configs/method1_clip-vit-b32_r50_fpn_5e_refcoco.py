# Method 1 ("fine-tuned" row of the report's Table 1): Faster R-CNN R50-FPN whose ROI box predictor is the
# CLIPTextConditionedHead. The RPN and the head's trainable branch (RoI features -> CLIP embedding space,
# scored against the expression's CLIP text embedding, plus class-agnostic box regression) are fine-tuned on
# RefCOCO train with AdamW for 5 epochs; CLIP, the backbone and the FPN stay frozen. Every epoch is
# evaluated on val with the REC metric and the best checkpoint (rec/accuracy) is kept.
#
#   python tools/train.py configs/method1.py [--amp] [--resume]
#   bash tools/dist_train.sh configs/method1.py 8
#   python tools/test.py configs/method1.py work_dirs/method1/best_rec_accuracy_epoch_N.pth
#
# Test-time score of proposal i for an expression (all three terms are distributions over the top-K
# proposals):  lambda * softmax(S / tau)_i + (1 - lambda) * ((1 - w) * obj_i / sum(obj) + w * branch_i)
# with S_i the mean cosine of crop i to the expression's spatial prompts for i's location label.
# Ablations: model.roi_head.bbox_head.{clip_weight, temperature, branch_weight, prompt_templates,
# local_search.enable, local_search.translations, local_search.scales, local_search.shrink, crop_mode}.
# CLIP comes from model.roi_head.bbox_head.encoder.name_or_path (a hub name or a save_pretrained directory).
# Its crops come from the loaded image (KeepOriginalImage in the test pipeline), resampled exactly as PIL's
# bicubic resize does (crop_source='original'; boxes found in the 1333x800 input are mapped back to it).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    './_base_/datasets/refcoco_rec.py',
    './_base_/default_runtime.py',
]

num_proposals = 100  # top-K RPN proposals scored per image at test time

model = dict(
    type='TextConditionedRCNN',
    frozen_modules=('backbone', 'neck'),
    roi_head=dict(
        _delete_=True,
        type='TextConditionedRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='CLIPTextConditionedHead',
            encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32', crop_source='original'),
            prompt_templates=['{query}', '{query}, {loc}', '{query} in the {loc} of the image'],
            clip_weight=0.5,  # lambda
            temperature=0.01,  # tau
            normalize_objectness=True,
            crop_mode='crop',
            local_search=dict(enable=True, rounds=2, translations=[-0.1, 0.0, 0.1], scales=[0.9, 1.0, 1.1],
                              shrink=0.5),
            # the trainable branch, sized like Shared2FCBBoxHead: the COCO checkpoint initialises its fcs
            with_branch=True,
            in_channels=256,
            roi_feat_size=7,
            num_shared_fcs=2,
            fc_out_channels=1024,
            branch_weight=0.5,
            refine_boxes=True,
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                          min_bbox_size=0),
        rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=num_proposals, nms=dict(type='nms', iou_threshold=0.7),
                 min_bbox_size=0),
        rcnn=None))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=5, milestones=[4], gamma=0.1),
]
# lr 1e-4 is for 16 images per batch (8 GPUs x 2); --auto-scale-lr scales it to the real batch size
auto_scale_lr = dict(enable=False, base_batch_size=16)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='rec/accuracy',
                    rule='greater'))

# mmdet's COCO Faster R-CNN R50-FPN: backbone, FPN, RPN and the shared fcs of the branch. Offline, give a
# local path. Its training images include RefCOCO's val/test images (COCO train2014), as in the report.
load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
             'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
