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
# The model (test-time score, ablation keys, CLIP) is described in _base_/models/method1_faster-rcnn_r50_fpn_clip-vit-b32.py.
_base_ = [
    './_base_/models/method1_faster-rcnn_r50_fpn_clip-vit-b32.py',
    './_base_/datasets/refcoco_rec.py',
    './_base_/schedules/adamw_5e.py',
    './_base_/default_runtime.py',
]

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='rec/accuracy',
                    rule='greater'))

# mmdet's COCO Faster R-CNN R50-FPN: backbone, FPN, RPN and the shared fcs of the branch. Offline, give a
# local path. Its training images include RefCOCO's val/test images (COCO train2014), as in the report.
load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
             'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
