# Method 2 as the report scores it, for the quickstart's comparison rows: the most similar crop wins, no
# spatial reasoning. The same settings as method2_tiny-clip_r18-tiny_fpn_synthetic.py otherwise (their difference
# is what geometry adds; tests/test_configs.py checks that it is the only one).
#   python tools/test.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py DETECTOR.pth \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
_base_ = [
    '../_base_/models/method2_faster-rcnn_r18-tiny_fpn_clip-vit-b32.py',
    '../_base_/datasets/synthetic_rec.py',
    '../_base_/default_runtime.py',
]

clip_dir = 'work_dirs/quickstart/clip/clip'
model = dict(
    # the detector's CPU settings (_base_/models/tiny_synthetic_network.py), as it trained
    roi_head={{_base_.tiny_cpu_settings.roi_head}},
    test_cfg={{_base_.tiny_cpu_settings.test_cfg}},
    scorer=dict(encoder=dict(name_or_path=clip_dir), spatial_reasoning=None))  # crop similarity alone
test_dataloader = dict(dataset=dict(split='val'))

# Method 2 trains nothing: the detector is trained by its own config, CLIP is frozen.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
