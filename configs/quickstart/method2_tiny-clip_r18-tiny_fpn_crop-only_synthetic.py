# Method 2 as the report scores it, for the quickstart's comparison rows: the most similar crop wins, no
# spatial reasoning (the difference to method2_tiny-clip_r18-tiny_fpn_synthetic.py is what geometry adds).
#   python tools/test.py configs/quickstart/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py DETECTOR.pth \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/quickstart/clip/clip
_base_ = './method2_tiny-clip_r18-tiny_fpn_synthetic.py'

model = dict(scorer=dict(spatial_reasoning=None))
