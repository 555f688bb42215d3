# Method 2's model over the synthetic shapes' tiny detector (tiny_synthetic_network.py): the scorer of
# method2_faster-rcnn_r50_fpn_clip-vit-b32.py unchanged. Its CLIP is still the released ViT-B/32 by name; the
# synthetic configs give a tiny CLIP directory (model.scorer.encoder.name_or_path).
_base_ = ['./method2_faster-rcnn_r50_fpn_clip-vit-b32.py', './tiny_synthetic_network.py']

model = {{_base_.tiny_synthetic_detector}}
