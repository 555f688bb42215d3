# Method 1 baseline row of the report's Table 1: COCO Faster R-CNN R50-FPN proposals scored by the
# CLIPTextConditionedHead without a trained branch (CLIP with spatial prompts + objectness + local search).
#
#   python tools/test.py configs/method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py
#
# Nothing is trained: the RPN comes from `load_from` (mmdet's COCO checkpoint; a local path offline).
_base_ = './method1_clip-vit-b32_r50_fpn_5e_refcoco.py'

model = dict(
    roi_head=dict(
        bbox_roi_extractor=None,  # no branch, no RoI features
        bbox_head=dict(branch=None)))

train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
