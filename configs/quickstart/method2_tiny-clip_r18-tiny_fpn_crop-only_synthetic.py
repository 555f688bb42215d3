# Method 2 as the report scores it, for the quickstart's comparison rows: the most similar crop wins, no
# spatial reasoning. A variant of method2_tiny-clip_r18-tiny_fpn_synthetic.py (their difference is what geometry
# adds; tests/test_configs.py checks that it is the only one).
#   python tools/test.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py DETECTOR.pth \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
_base_ = './method2_tiny-clip_r18-tiny_fpn_synthetic.py'

model = dict(scorer=dict(reasoner=None))  # crop similarity alone
