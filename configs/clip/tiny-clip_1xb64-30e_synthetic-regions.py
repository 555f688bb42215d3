# A tiny CLIP trained from scratch on the synthetic shapes' (referred-object crop, expression) pairs, for
# the quickstart: the REC methods then take work_dirs/<this config>/clip as their CLIP
# (e.g. --cfg-options model.scorer.encoder.name_or_path=work_dirs/.../clip).
#   python tools/train.py configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py
# The data come from mmrec.datasets.generate_synthetic_refer('data/synthetic', image_size=(320, 240)).
# Measured on 2 CPU cores with the generator's defaults (320x240, 200 train images = 973 pairs): 480
# iterations, about 0.3 s each when the machine is idle (~2.5 min). Scoring the val split's ground-truth
# boxes with the saved CLIP (CLIPEncoder, crop mode 'crop'): attribute expressions 0.82 (0.94 without a
# size word, 0.74 with one), spatial 0.41, relational 0.33 -- a crop cannot show where an object is.
_base_ = ['../_base_/datasets/synthetic_region-text.py', '../_base_/default_runtime.py']

model = dict(
    type='RegionTextCLIP',
    tiny_clip=dict(
        vocab='mmrec.datasets.synthetic_vocabulary',  # every word the generator writes
        max_text_length=16,  # the longest synthetic expression is 12 words
        vision_config=dict(image_size=_base_.crop_size, patch_size=8, hidden_size=64, intermediate_size=256,
                           num_hidden_layers=2, num_attention_heads=4),
        text_config=dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4),
        projection_dim=64))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=30, eta_min=2e-5),
]

default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=1))
custom_hooks = [dict(type='SaveCLIPPretrainedHook', save_dir='clip')]
log_processor = dict(window_size=10)
