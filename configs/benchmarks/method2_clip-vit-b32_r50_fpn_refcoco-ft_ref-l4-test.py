# Method 2 (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN, as configs/method2.py) on
# Ref-L4 test (RefL4Metric and RECMetric):
#
#   python tools/test.py configs/benchmarks/method2_clip-vit-b32_r50_fpn_refcoco-ft_ref-l4-test.py DETECTOR.pth
#
# Where the data comes from and how to lay it out: docs/datasets.md.
_base_ = [
    '../_base_/models/method2_faster-rcnn_r50_fpn_clip-vit-b32.py',
    '../_base_/datasets/ref-l4-test_rec.py',
    '../_base_/default_runtime.py',
]

model = dict(scorer=dict(encoder=dict(crop_source='original')))  # crops from the loaded image, as method2.py
train_dataloader = None  # method 2 trains nothing
train_cfg = None
optim_wrapper = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
