# Method 1's schedule: AdamW for 5 epochs (lr 1e-4 for 16 images per batch = 8 GPUs x 2; --auto-scale-lr scales
# it to the real batch size), warm-up over 500 iterations, one decay step before the last epoch; every epoch is
# validated.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=5, milestones=[4], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
