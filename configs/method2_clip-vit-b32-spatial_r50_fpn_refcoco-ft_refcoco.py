# Method 2 with ReCLIP-style spatial reasoning (mmrec.models.spatial_reasoning): for expressions with location,
# size or relation words ("the man on the left", "the bigger elephant", "the cup next to the laptop") CLIP
# scores only what the words describe and the boxes' geometry resolves the rest, the detector scores serving
# as the prior. Not measured on RefCOCO by this project (no data or weights offline); on the quickstart's
# synthetic data it lifts method 2 from crop similarity alone by about 35 points (README, Quickstart).
#   python tools/test.py configs/method2_clip-vit-b32-spatial_r50_fpn_refcoco-ft_refcoco.py FINETUNED_DETECTOR.pth
_base_ = './method2_clip-vit-b32_r50_fpn_refcoco-ft_refcoco.py'

model = dict(scorer=dict(spatial_reasoning=dict(temperature=None)))  # temperature: CLIP's 1 / logit_scale
