# The quickstart's *fine-tuned* detector: the untuned source-shapes detector
# (faster-rcnn_r18-tiny_fpn_12e_source-shapes.py) fine-tuned on the quickstart's train split at the REC data's
# image size, as configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py fine-tunes mmdet's COCO detector on
# the RefCOCO train images. Method 2's fine-tuned row uses it.
#   python tools/prepare_refcoco.py data/synthetic --dataset synthetic
#   python tools/train.py configs/quickstart/faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py \
#       --cfg-options load_from=work_dirs/faster-rcnn_r18-tiny_fpn_12e_source-shapes/epoch_12.pth
_base_ = '../detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py'  # data/synthetic at 320x240

# the untuned detector's CPU settings (_base_/models/tiny_synthetic_network.py)
model = {{_base_.tiny_cpu_settings}}

# Fine-tuning a working detector: half the learning rate, a short warm-up, one decay step.
max_epochs = 6
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[5], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
load_from = 'work_dirs/faster-rcnn_r18-tiny_fpn_12e_source-shapes/epoch_12.pth'
