# The quickstart's generalised row: method 2 over the fine-tuned tiny detector with spatial reasoning, the settings
# of method2_tiny-clip_r18-tiny_fpn_synthetic.py (tests/test_configs.py checks that they stay the same), answering
# each expression with every candidate whose score (CLIP cosine, or the reasoner's probability) reaches
# model.scorer.generalized_score_thr, or with none, on the synthetic gRefCOCO data. The quickstart chooses the
# threshold on the val split with tools/sweep.py and evaluates testA with it:
#   python tools/sweep.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_grec_synthetic.py DETECTOR.pth \
#       --grid model.scorer.generalized_score_thr=0.1,0.2,0.3 \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
_base_ = [
    '../_base_/models/method2_faster-rcnn_r18-tiny_fpn_clip-vit-b32.py',
    '../_base_/datasets/synthetic_grefcoco_grec.py',
    '../_base_/default_runtime.py',
]

clip_dir = 'work_dirs/quickstart/clip/clip'
model = dict(
    # the detector's CPU settings (_base_/models/tiny_synthetic_network.py), as it trained
    roi_head={{_base_.tiny_cpu_settings.roi_head}},
    test_cfg={{_base_.tiny_cpu_settings.test_cfg}},
    # 0.35: the threshold the quickstart chose on val (seed 0, docs/results.md)
    scorer=dict(encoder=dict(name_or_path=clip_dir),
                reasoner=dict(type='SpatialReasoningRescorer', temperature=None),
                generalized_score_thr=0.35))
test_dataloader = dict(dataset=dict(split='val'))

# Method 2 trains nothing: the detector is trained by its own config, CLIP is frozen.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
