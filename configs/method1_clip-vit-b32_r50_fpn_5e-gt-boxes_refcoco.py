# Method 1 (fine-tuned, configs/method1.py) in ReCLIP's ground-truth boxes setting: the CLIPTextConditionedHead
# scores all the annotated objects of each image (RefCOCO's instances.json) instead of the RPN's proposals, with
# uniform objectness. The referred object is always a candidate (rec/upper_bound is 100%), so the accuracy counts
# the head's errors alone; the gap to configs/method1.py is the RPN's share. The branch's box regression and the
# local search are off, so every answer is one of the annotated boxes.
#   python tools/test.py configs/method1_clip-vit-b32_r50_fpn_5e-gt-boxes_refcoco.py METHOD1_CHECKPOINT.pth
# The zero-shot head (no branch; then neither the backbone nor the RPN runs, and no checkpoint is needed):
#   --cfg-options model.roi_head.bbox_roi_extractor=None model.roi_head.bbox_head.branch=None load_from=None
_base_ = './method1_clip-vit-b32_r50_fpn_5e_refcoco.py'

model = dict(
    candidate_source='ground_truth',  # the data samples' gt_candidates as proposals, objectness 1.0
    roi_head=dict(bbox_head=dict(refine_boxes=False, local_search=dict(enable=False))))

# the datasets give each image's annotated objects (REFERDataset(with_candidates=True) -> gt_candidates)
val_dataloader = dict(dataset=dict(with_candidates=True))
test_dataloader = dict(dataset=dict(with_candidates=True))

# evaluation only: training is configs/method1.py's
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
