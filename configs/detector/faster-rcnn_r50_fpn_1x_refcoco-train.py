# Faster R-CNN R50-FPN fine-tuned on the RefCOCO (UNC) *train* images: the detector of method 2.
#
#   python tools/train.py configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py
#   python tools/test.py configs/method2.py work_dirs/faster-rcnn_r50_fpn_1x_refcoco-train/epoch_12.pth
#
# Data: the COCO-format file written by `tools/prepare_refcoco.py data/coco` (all COCO boxes of the RefCOCO
# train images that no other REFER split uses). Train images only: RefCOCO val/test images come from COCO
# train2014 as well, so training on them would leak the test boxes.
#
# 80 classes, not class-agnostic: the COCO checkpoint's heads are 80-class, so every weight transfers and
# fine-tuning starts from a working detector; every RefCOCO referent is a COCO object, so nothing is lost.
# The REC configs ignore the labels and use class-agnostic NMS, so one object gives one candidate.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../_base_/detector_train-only.py',  # mmdet's 1x schedule and runtime, no validation loop
]

data_root = 'data/coco/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='refcoco/instances_train_unc_det.json',  # python tools/prepare_refcoco.py data/coco
        data_prefix=dict(img='train2014/')))
# No detection validation set: every other RefCOCO image is a val/test image of some REFER split.
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None

# Fine-tuning from a converged COCO detector: half of mmdet's from-scratch learning rate
# (0.02 for 16 images per batch = 8 GPUs x 2), scaled with the real batch size when --auto-scale-lr is given.
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(enable=False, base_batch_size=16)

# mmdet's COCO-trained Faster R-CNN R50-FPN 1x (37.4 box AP); override with a local path offline.
load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
             'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
