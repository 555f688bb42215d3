# Method 1's model (method1_faster-rcnn_r50_fpn_clip-vit-b32.py) on the synthetic shapes' tiny network
# (tiny_synthetic_network.py: quarter-width ResNet-18, 32-channel FPN, 128-wide branch fcs), so that the tiny
# detector's checkpoint loads into it, the box head's shared fcs into the branch. Trained from scratch by
# default (nothing frozen). CLIP: the tiny region-text CLIP of configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py
# (any save_pretrained CLIP directory works: model.roi_head.bbox_head.encoder.name_or_path).
_base_ = ['./method1_faster-rcnn_r50_fpn_clip-vit-b32.py', './tiny_synthetic_network.py']

model = dict(
    backbone={{_base_.tiny_synthetic_detector.backbone}},
    neck={{_base_.tiny_synthetic_detector.neck}},
    rpn_head={{_base_.tiny_synthetic_detector.rpn_head}},
    frozen_modules=(),
    roi_head=dict(
        bbox_roi_extractor={{_base_.tiny_synthetic_detector.roi_head.bbox_roi_extractor}},
        bbox_head=dict(
            # crops from the detector input (roi_align): the synthetic images are not rescaled much, and the
            # tiny CLIP trained on roi_align crops (CropReferredRegion)
            encoder=dict(name_or_path='work_dirs/tiny-clip_1xb64-30e_synthetic-regions/clip', crop_source='input'),
            branch=dict(in_channels={{_base_.tiny_channels}},
                        fc_out_channels={{_base_.tiny_synthetic_detector.roi_head.bbox_head.fc_out_channels}}))),
    # scenes of 3-6 objects: few proposals
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=20)))
