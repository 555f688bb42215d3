# Method 2 as configs/method2.py evaluates it (CLIPProposalScorer over the RefCOCO-fine-tuned Faster R-CNN R50-FPN,
# crops from the loaded image), without a data set: configs/benchmarks/ add one from _base_/datasets/. It trains
# nothing (a data set base that has a train loader needs train_dataloader = None in the leaf config).
_base_ = ['./models/method2_faster-rcnn_r50_fpn_clip-vit-b32.py', './schedules/test-only.py', './default_runtime.py']

model = dict(scorer=dict(encoder=dict(crop_source='original')))
