# Method 2 (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN, as configs/method2.py) on
# your own data in data/my_rec/expressions.jsonl (docs/datasets.md):
#
#   python tools/test.py configs/benchmarks/method2_clip-vit-b32_r50_fpn_refcoco-ft_jsonl.py DETECTOR.pth
#
# Where the data comes from and how to lay it out: docs/datasets.md.
_base_ = ['../_base_/method2_clip-vit-b32_r50_fpn_test-only.py', '../_base_/datasets/rec_jsonl.py']
