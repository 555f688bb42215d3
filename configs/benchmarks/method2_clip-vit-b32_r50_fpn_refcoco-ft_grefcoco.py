# Method 2 (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN, as configs/method2.py) on
# gRefCOCO val (GRECMetric; the one box per expression is kept when its score reaches score_thr):
#
#   python tools/test.py configs/benchmarks/method2_clip-vit-b32_r50_fpn_refcoco-ft_grefcoco.py DETECTOR.pth
#
# Several boxes or none per expression: --cfg-options model.scorer.generalized_score_thr=T test_evaluator.score_thr=T
# (no T has been chosen on gRefCOCO val yet).
#
# Where the data comes from and how to lay it out: docs/datasets.md.
_base_ = ['../_base_/method2_clip-vit-b32_r50_fpn_test-only.py', '../_base_/datasets/grefcoco_grec.py']
