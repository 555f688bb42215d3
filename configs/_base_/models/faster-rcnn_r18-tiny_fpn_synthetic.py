# The synthetic shapes' detector: mmdet's Faster R-CNN R50-FPN shrunk to the tiny network of
# tiny_synthetic_network.py (quarter-width ResNet-18 from scratch, 32-channel FPN, three classes).
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './tiny_synthetic_network.py']

model = {{_base_.tiny_synthetic_detector}}
