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
# every REFER data set under data/coco (put refcoco, refcoco+ and refcocog there). Trained from ImageNet as
# mmdet's 1x schedule (12 epochs, lr 0.02 for 16 images per batch); box AP and REC accuracy: not measured here.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmrec'], allow_failed_imports=False)  # mmrec's weights-only checkpoint loader

data_root = 'data/coco/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_train2014_minus_refer_val_test.json',
        data_prefix=dict(img='train2014/')))
# Detection validation on COCO val2014: RefCOCO/+/g's images all come from train2014, none from val2014.
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_val2014.json',
        data_prefix=dict(img='val2014/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2014.json')
test_evaluator = val_evaluator
auto_scale_lr = dict(enable=False, base_batch_size=16)
