# Fine-tune OpenAI's CLIP ViT-B/32 on RefCOCO train (referred-object crop, expression) pairs; the REC
# methods then take work_dirs/<this config>/clip as their CLIP instead of the released one.
#   python tools/train.py configs/clip/clip-vit-base-p32_1xb128-5e_refcoco-regions.py
#   bash tools/dist_train.sh configs/clip/clip-vit-base-p32_1xb128-5e_refcoco-regions.py 8 --auto-scale-lr
# Without network, point `model.pretrained` at a local copy (a directory written by save_pretrained).
_base_ = ['../_base_/datasets/refcoco_region-text.py', '../_base_/default_runtime.py']

model = dict(type='RegionTextCLIP', pretrained='openai/clip-vit-base-patch32')

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5)
# Small steps keep what CLIP knows (fine-tuning recipes use 1e-5 .. 5e-6 with AdamW).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=5, eta_min=1e-7),
]
auto_scale_lr = dict(enable=False, base_batch_size=128)

custom_hooks = [dict(type='SaveCLIPPretrainedHook', save_dir='clip')]
