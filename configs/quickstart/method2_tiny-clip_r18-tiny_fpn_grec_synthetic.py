# The quickstart's generalised row: a variant of method2_tiny-clip_r18-tiny_fpn_synthetic.py (tests/test_configs.py
# checks that it differs only in its threshold and data) answering each expression with every candidate whose
# score (CLIP cosine, or the reasoner's probability) reaches model.scorer.generalized_score_thr, or with none, on
# the synthetic gRefCOCO data (tools/make_synthetic_refer.py data/synthetic_grefcoco --layout grefcoco: refs to
# one object, to two or three, or to none). The quickstart chooses the threshold on the val split with
# tools/sweep.py and evaluates testA with it:
#   python tools/sweep.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_grec_synthetic.py DETECTOR.pth \
#       --grid model.scorer.generalized_score_thr=0.1,0.2,0.3 \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
_base_ = './method2_tiny-clip_r18-tiny_fpn_synthetic.py'

# 0.35: the threshold the quickstart chose on val (seed 0, docs/results.md)
model = dict(scorer=dict(generalized_score_thr=0.35))

# gRefCOCO's layout (GRefCOCODataset, as _base_/datasets/grefcoco_grec.py reads the real one), in place of the
# sibling's REFER data; the images are the generator's size, as the sibling's.
data_root = 'data/synthetic_grefcoco/'
grec_dataset = dict(
    _delete_=True,
    type='GRefCOCODataset',
    data_root=data_root,
    ann_file='grefcoco/instances.json',
    split_file='grefcoco/grefs(unc).json',
    data_prefix=dict(img_path='images/'),
    split='val',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadGRECExpressions'),
              dict(type='Resize', scale={{_base_.image_scale}}, keep_ratio=True), dict(type='PackRECInputs')],
    test_mode=True)
val_dataloader = dict(dataset=grec_dataset)
test_dataloader = dict(dataset=grec_dataset)
# score_thr -1 keeps every box the model answers (cosines and probabilities are >= -1): the model's own threshold
# (generalized_score_thr) is the only one.
val_evaluator = dict(_delete_=True, type='GRECMetric', score_thr=-1.0, iou_thr=0.5)
test_evaluator = val_evaluator
