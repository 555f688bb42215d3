# Method 2 baseline row: the same scorer over mmdet's COCO-trained Faster R-CNN R50-FPN (no fine-tuning).
#
#   python tools/test.py configs/method2_clip-vit-b32_r50_fpn_coco_refcoco.py
#
# The COCO detector is loaded from `load_from` (downloaded on first use; give a local path offline, or pass
# the checkpoint on the command line). Its training images include RefCOCO's val/test images (COCO train2014).
_base_ = './method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py'

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
             'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
