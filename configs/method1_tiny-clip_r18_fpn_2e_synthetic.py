# Method 1 on the synthetic shapes with tiny networks (CPU quickstart and the end-to-end tests).
#
#   python -c "from mmrec.datasets.synthetic import generate_synthetic_refer as g; g('data/synthetic')"
#   python tools/train.py configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py     # the tiny CLIP
#   python tools/train.py configs/method1_tiny-clip_r18_fpn_2e_synthetic.py
#   python tools/test.py configs/method1_tiny-clip_r18_fpn_2e_synthetic.py work_dirs/.../best_*.pth
#
# A ResNet-18 of quarter width with no pretrained weights, a thin FPN and a tiny CLIP directory (any
# save_pretrained CLIP works: set model.roi_head.bbox_head.encoder.name_or_path).
_base_ = './method1_clip-vit-b32_r50_fpn_5e_refcoco.py'

data_root = 'data/synthetic/'
clip_dir = 'work_dirs/tiny-clip_1xb64-30e_synthetic-regions/clip'
image_scale = (128, 128)
channels = 32

model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, base_channels=16, num_stages=4,
                  out_indices=(0, 1, 2, 3), frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    frozen_modules=(),  # trained from scratch: nothing to keep
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(
            # crops from the detector input (roi_align): the synthetic images are not rescaled much, and the
            # tiny CLIP trained on roi_align crops (CropReferredRegion)
            encoder=dict(type='CLIPEncoder', name_or_path=clip_dir, crop_source='input'),
            in_channels=channels,
            fc_out_channels=128)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=20)))

pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackRECInputs'),
]
dataset = dict(
    type='REFERDataset',
    data_root=data_root,
    ann_file='synthetic/instances.json',
    split_file='synthetic/refs(unc).p',
    data_prefix=dict(img_path='images/'),
    pipeline=pipeline)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(dataset, _delete_=True, split='train'))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(dataset, _delete_=True, split='val', test_mode=True))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=2, milestones=[2], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
load_from = None
