# ReCLIP (Subramanian et al., ACL 2022) as method 2 settings: the scores of OpenAI's CLIP RN50x16 and ViT-B/32
# summed (EncoderEnsemble, equal weights), each box shown as a crop and as the whole image blurred outside it
# (crop+blur, scores averaged), spatial relations resolved by geometry (the reasoner part), boxes under 5% of the
# image dropped (ReCLIP's size prior), every detection of a COCO-trained detector scored (top_k=None).
#
# Paper figures, RefCOCO val: 45.8 for this setting without the size prior (ReCLIP's row in FGVP's README,
# ViT-B/32 + RN50x16, crop + blur, relations), 54.0 with the 5% size prior (the figure issue 11 quotes).
# NOT measured by mmrec: no CLIP weights or COCO images are reachable offline here.
#
#   python tools/test.py configs/zero-shot/reclip_clip-rn50x16-vit-b32_r50_fpn_coco_refcoco.py \
#       --cfg-options model.scorer.encoder.encoders.0.pretrained=/models/RN50x16-openai.pt \
#                     model.scorer.encoder.encoders.1.name_or_path=/models/clip-vit-base-patch32
#
# (docs/usage.md, "Other backbones": how to save the OpenCLIP RN50x16 file and the HuggingFace ViT-B/32 directory on a
# machine with network; `pretrained='openai'` downloads them there). Differences from ReCLIP's code: mmrec
# stretches each box to the crop square (ReCLIP's CLIP preprocessing resizes the short side and centre-crops),
# the blur is a Gaussian of sigma 0.16 x the image's width across and 0.16 x its height down (ReCLIP: PIL's
# GaussianBlur(100), sigma 100 px both ways; on a 640x480 COCO image mmrec's is 102 px across and 77 px down,
# about the same), and the detector is mmdet's COCO Faster R-CNN R50-FPN (ReCLIP uses MAttNet's detections;
# all of these COCO detectors trained on images that RefCOCO val/test use).
_base_ = ['../method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py', './_base_/openai-clips_coco-detector.py']

load_from = _base_.coco_detector
model = dict(scorer=dict(
    encoder=dict(_delete_=True, **_base_.clips_rn50x16_vit_b32),  # replaces the base's single ViT-B/32
    top_k=None,
    crop_mode='crop+blur',
    blur_sigma=0.16,
    reasoner=dict(type='SpatialReasoningRescorer', temperature=None),
    min_box_fraction=0.05))
