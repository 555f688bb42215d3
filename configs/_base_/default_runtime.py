# Runtime shared by all mmrec configs: mmdet's registries plus mmrec's modules.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmrec'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # tools/test.py --show-dir switches drawing on (gt green, prediction red, expression written).
    visualization=dict(type='RECVisualizationHook', draw=False),
    # hands the val / test data set's expressions to a scorer with score_subtraction=dict(source='dataset')
    # before the loop (does nothing for other models)
    expression_bank=dict(type='ExpressionBankHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
