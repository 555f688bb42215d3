# RedCircle (Shtedritski et al., ICCV 2023) as method 2 settings: OpenAI's CLIP ViT-L/14@336 and RN50x16
# (EncoderEnsemble, equal weights) score the whole image with a red ellipse drawn around each box
# (crop_mode='circle'), minus each box's mean score against a bank of 500 expressions of the evaluated data set,
# those of other images (score_subtraction, drawn once with seed 0; the default runtime's ExpressionBankHook
# hands the expressions over), every detection of a COCO-trained detector scored (top_k=None), with FGVP's
# text prompt "a photo of ...".
#
# Paper figure, RefCOCO val: 49.8 (RedCircle's paper, as FGVP's README reports it: ViT-L/14@336 + RN50x16, three
# prompts -- the circle, greyscale outside it, blur outside it -- with score subtraction; FGVP's rerun: 51.4).
# mmrec draws the circle prompt only, so this config is the nearest setting, not the same one.
# NOT measured by mmrec: no CLIP weights or COCO images are reachable offline here.
#
#   python tools/test.py configs/zero-shot/redcircle_clip-vit-l14-336-rn50x16_r50_fpn_coco_refcoco.py \
#       --cfg-options model.scorer.encoder.encoders.0.pretrained=/models/ViT-L-14-336-openai.pt \
#                     model.scorer.encoder.encoders.1.pretrained=/models/RN50x16-openai.pt
#
# (docs/usage.md, "Other backbones": how to save the OpenCLIP weight files on a machine with network.) The bank is drawn
# from the whole test loader's data set (val, testA and testB together here; FGVP draws per split: evaluate one
# split with --cfg-options test_dataloader.dataset.split=val to match it). Each image's boxes are scored minus
# their mean over the bank's expressions of other images, so never against the query itself; FGVP's code keeps
# the image's own (--cfg-options model.scorer.score_subtraction.exclude_same_image=False does too).
_base_ = ['../method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py', './_base_/openai-clips_coco-detector.py']

load_from = _base_.coco_detector
model = dict(scorer=dict(
    encoder=dict(_delete_=True, **_base_.clips_vit_l14_336_rn50x16),  # replaces the base's single ViT-B/32
    top_k=None,
    crop_mode='circle',
    prompt_templates=['a photo of {}'],
    score_subtraction=dict(type='ScoreSubtraction', num_texts=500, source='dataset', seed=0)))
