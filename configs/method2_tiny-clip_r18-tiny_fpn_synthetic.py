# Method 2 on the synthetic shapes: the tiny detector of
# configs/detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py re-ranked by a tiny CLIP (any save_pretrained
# CLIP directory; the quickstart trains one with configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py).
#   python tools/test.py configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py DETECTOR.pth \
#       --cfg-options model.scorer.encoder.name_or_path=work_dirs/tiny-clip_1xb64-30e_synthetic-regions/clip
_base_ = [
    './_base_/models/method2_faster-rcnn_r18-tiny_fpn_clip-vit-b32.py',
    './_base_/datasets/synthetic_rec.py',
    './_base_/schedules/test-only.py',
    './_base_/default_runtime.py',
]

train_dataloader = None  # method 2 trains nothing (_base_/schedules/test-only.py)
