# Method 1 baseline row of the quickstart: the untuned detector's RPN proposals scored by the
# CLIPTextConditionedHead without a trained branch (tiny CLIP with spatial prompts + objectness + local
# search), as configs/method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py does over mmdet's COCO detector.
#   python tools/test.py configs/quickstart/method1_tiny-clip_r18-tiny_fpn_zeroshot_synthetic.py UNTUNED_DETECTOR.pth
_base_ = './method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py'

model = dict(
    roi_head=dict(
        bbox_roi_extractor=None,  # no branch, no RoI features
        bbox_head=dict(with_branch=False)))

train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
