# Method 2 (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN): short entry point.
#   python tools/test.py configs/method2.py FINETUNED_DETECTOR.pth
_base_ = './method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py'
