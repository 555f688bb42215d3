# Method 2 in ReCLIP's ground-truth boxes setting: CLIPProposalScorer with spatial reasoning chooses among all
# the annotated objects of each image (RefCOCO's instances.json) instead of a detector's detections. The referred
# object is always a candidate (rec/upper_bound is 100%), so the accuracy counts the scorer's errors alone; the
# gap to configs/method2_clip-vit-b32-spatial_r50_fpn_refcoco-ft_refcoco.py is the detector's share.
# The detector network is not run, so no checkpoint is needed:
#   python tools/test.py configs/method2_clip-vit-b32-spatial_gt-boxes_refcoco.py
# Without spatial reasoning: --cfg-options model.scorer.reasoner=None
_base_ = './method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py'

model = dict(
    candidate_source='ground_truth',  # the data samples' gt_candidates, uniform prior score 1.0
    scorer=dict(
        top_k=None,  # every annotated object is scored, as in ReCLIP
        # spatial reasoning as in method2_clip-vit-b32-spatial_r50_fpn_refcoco-ft_refcoco.py
        reasoner=dict(type='SpatialReasoningRescorer', temperature=None)))

# the datasets give each image's annotated objects (REFERDataset(with_candidates=True) -> gt_candidates)
val_dataloader = dict(dataset=dict(with_candidates=True))
test_dataloader = dict(dataset=dict(with_candidates=True))
