# Pieces of the zero-shot reference configs: OpenAI's CLIPs as ensemble members (OpenCLIP for the ResNet and the
# 336-pixel ViT-L/14, which HuggingFace transformers has no class for; transformers for ViT-B/32) and mmdet's COCO
# Faster R-CNN R50-FPN. `pretrained='openai'` and the hub name download on a machine with network; offline, point
# them at local copies (README, "Other backbones"), e.g. --cfg-options model.scorer.encoder.encoders.0.pretrained=...
clip_rn50x16 = dict(type='OpenCLIPEncoder', model_name='RN50x16', pretrained='openai')
clip_vit_l14_336 = dict(type='OpenCLIPEncoder', model_name='ViT-L-14-336', pretrained='openai')
clip_vit_b32 = dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32')
coco_detector = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
                 'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
