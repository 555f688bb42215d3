# Faster R-CNN R50-FPN trained on COCO train2014 less every RefCOCO / RefCOCO+ / RefCOCOg val and test image:
# a COCO detector that has not seen the REC evaluation images (as MAttNet's detector was trained).
#
#   python tools/prepare_refcoco.py data/coco --coco-ann annotations/instances_train2014.json
#   bash tools/dist_train.sh configs/detector/faster-rcnn_r50_fpn_1x_coco-2014-minus-refer.py 8
#   python tools/test.py configs/method2_clip-vit-b32_r50_fpn_coco_refcoco.py \
#       work_dirs/faster-rcnn_r50_fpn_1x_coco-2014-minus-refer/epoch_12.pth
#
# Why: COCO 2017 train (= train2014 + most of val2014) holds RefCOCO/+/g's val and test images, so mmdet's
# COCO checkpoints (the `load_from` of the *_coco_refcoco configs) have seen their boxes. prepare_refcoco.py
# writes the annotation file: every train2014 image and instance except the images of any non-train split of
# every REFER data set under data/coco (put refcoco, refcoco+ and refcocog there). Trained from ImageNet with
# mmdet's 1x schedule (12 epochs, lr 0.02 for 16 images per batch); box AP and REC accuracy: not measured here.
# The rest (mmdet's Faster R-CNN, dataset and schedule bases, no detection validation set) is the fine-tuning
# config's.
_base_ = './faster-rcnn_r50_fpn_1x_refcoco-train.py'

train_dataloader = dict(dataset=dict(ann_file='annotations/instances_train2014_minus_refer_val_test.json'))
optim_wrapper = dict(optimizer=dict(lr=0.02))  # mmdet's from-scratch rate (the base fine-tunes at half of it)
load_from = None  # from ImageNet (the backbone's torchvision weights), not from a COCO checkpoint
