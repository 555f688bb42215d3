# Not a model: the sizes that shrink a Faster R-CNN R50-FPN to the synthetic shapes' network (a ResNet-18 at
# quarter width trained from scratch, no pretrained download; a 32-channel FPN; 128-wide shared fcs; three
# classes: circle, square, triangle). Variables, not `model`, so that every tiny model base merges the same
# network into its own model (one checkpoint loads into the tiny detector and the tiny method 1 / 2 models):
#   _base_ = ['./method2_faster-rcnn_r50_fpn_clip-vit-b32.py', './tiny_synthetic_network.py']
#   model = {{_base_.tiny_synthetic_detector}}
synthetic_classes = ('circle', 'square', 'triangle')
tiny_channels = 32
tiny_synthetic_detector = dict(
    backbone=dict(depth=18, base_channels=16, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=tiny_channels),
    rpn_head=dict(in_channels=tiny_channels, feat_channels=tiny_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=tiny_channels),
        bbox_head=dict(in_channels=tiny_channels, fc_out_channels=128, num_classes=len(synthetic_classes))))
# The quickstart's CPU settings of the tiny detector (same network, cheaper training), merged by its configs
# (model = {{_base_.tiny_cpu_settings}}, or the parts they need): a fixed 2x2 RoIAlign sampling grid instead of
# the adaptive one (whose cost grows with the box size, and dominated the step time), fewer RPN proposals and
# sampled RoIs for scenes of 3-6 objects.
tiny_cpu_settings = dict(
    roi_head=dict(bbox_roi_extractor=dict(roi_layer=dict(sampling_ratio=2))),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=300), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
