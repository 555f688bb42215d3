# Method 2 rows of the quickstart: the tiny detector's top-10 detections re-ranked by the quickstart's tiny
# region-text CLIP with spatial reasoning, on the synthetic val split. The detector checkpoint picks the row:
# the untuned detector (faster-rcnn_r18-tiny_fpn_12e_source-shapes.py) or the fine-tuned one
# (faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py).
#   python tools/test.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_synthetic.py DETECTOR.pth \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
# Crop similarity alone (the report's method 2): method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py.
_base_ = [
    '../_base_/models/method2_faster-rcnn_r18-tiny_fpn_clip-vit-b32.py',
    '../_base_/datasets/synthetic_rec.py',
    '../_base_/schedules/test-only.py',
    '../_base_/default_runtime.py',
]

clip_dir = 'work_dirs/quickstart/clip/clip'
model = dict(
    # the detector's CPU settings (_base_/models/tiny_synthetic_network.py), as it trained
    roi_head={{_base_.tiny_cpu_settings.roi_head}},
    test_cfg={{_base_.tiny_cpu_settings.test_cfg}},
    # ReCLIP-style geometry for location, size and relation words (a crop cannot show them); the softmax
    # temperature is the tiny CLIP's own
    scorer=dict(encoder=dict(name_or_path=clip_dir),
                reasoner=dict(type='SpatialReasoningRescorer', temperature=None)))
test_dataloader = dict(dataset=dict(split='val'))

train_dataloader = None  # method 2 trains nothing (_base_/schedules/test-only.py)
