# Pieces of the zero-shot reference configs: the OpenAI CLIP ensembles they score with (EncoderEnsemble, equal
# weights: ReCLIP's summed scores; each member crops PIL-exactly from the loaded image, as the RefCOCO configs)
# and mmdet's COCO Faster R-CNN R50-FPN. OpenCLIP loads the ResNet and the 336-pixel ViT-L/14, which
# HuggingFace transformers has no class for; transformers loads ViT-B/32. `pretrained='openai'` and the hub name
# download on a machine with network; offline, point them at local copies (docs/usage.md, "Other backbones"), e.g.
# --cfg-options model.scorer.encoder.encoders.0.pretrained=...
#
# The members are names of this file only: mmengine keeps no config key that starts with '__', so a final config
# holds the ensembles below, not the members a second time.
__rn50x16 = dict(type='OpenCLIPEncoder', model_name='RN50x16', pretrained='openai')
__vit_l14_336 = dict(type='OpenCLIPEncoder', model_name='ViT-L-14-336', pretrained='openai')
__vit_b32 = dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32')

clips_vit_l14_336_rn50x16 = dict(type='EncoderEnsemble', crop_source='original',
                                 encoders=[__vit_l14_336, __rn50x16])  # RedCircle's, FGVP's
clips_rn50x16_vit_b32 = dict(type='EncoderEnsemble', crop_source='original',
                             encoders=[__rn50x16, __vit_b32])  # ReCLIP's
coco_detector = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
                 'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
