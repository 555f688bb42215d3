# Method 2 (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN, as configs/method2.py) on
# Ref-L4 val (acc@0.5/0.75/0.9, mAcc and per size from RefL4Metric, plus RECMetric):
#
#   python tools/test.py configs/benchmarks/method2_clip-vit-b32_r50_fpn_refcoco-ft_ref-l4-val.py DETECTOR.pth
#
# Where the data comes from and how to lay it out: docs/datasets.md.
_base_ = ['../_base_/method2_clip-vit-b32_r50_fpn_test-only.py', '../_base_/datasets/ref-l4-val_rec.py']
