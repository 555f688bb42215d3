# Method 2 over a grounding detector: RECDetector wrapping MM-Grounding-DINO-T (mmdet's GroundingDINO class with
# the model of mmdet::mm_grounding_dino/grounding_dino_swin-t_pretrain_obj365.py, written out), prompted per
# expression (prompt=, mmrec/models/method2/prompts.py), whose detections CLIPProposalScorer re-ranks with the
# spatial reasoner (top-10, tight crops, cosine argmax, the detector's scores as the reasoner's prior).
# Changes from mmdet's model, none of which changes its outputs: the language model is RECBertModel (mmdet's
# BertModel cannot run on transformers 5; same arguments, outputs and parameter names), gradient checkpointing
# is off (with_cp=False; num_cp=-1: mmdet's 6 needs fairscale) and the backbone has no ImageNet init (the
# whole detector comes from the checkpoint); test_cfg.max_per_img=30 as mmdet's RefCOCO evaluation.
# BERT: `lang_model_name` is a hub name (downloaded on first use) or a save_pretrained directory:
#   --cfg-options model.detector.language_model.name=/models/bert-base-uncased
lang_model_name = 'bert-base-uncased'
grounding_detector = dict(
    type='GroundingDINO',
    num_queries=900,
    with_box_refine=True,
    as_two_stage=True,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=False),
    language_model=dict(
        type='RECBertModel',
        name=lang_model_name,
        max_tokens=256,
        pad_to_max=False,
        use_sub_sentence_represent=True,
        special_tokens_list=['[CLS]', '[SEP]', '.', '?'],
        add_pooling_layer=False),
    backbone=dict(
        type='SwinTransformer',
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(1, 2, 3),
        with_cp=False,
        convert_weights=False,
        frozen_stages=-1),
    neck=dict(
        type='ChannelMapper',
        in_channels=[192, 384, 768],
        kernel_size=1,
        out_channels=256,
        act_cfg=None,
        bias=True,
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=4),
    encoder=dict(
        num_layers=6,
        num_cp=-1,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, num_levels=4, dropout=0.0),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, ffn_drop=0.0)),
        text_layer_cfg=dict(
            self_attn_cfg=dict(num_heads=4, embed_dims=256, dropout=0.0),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=1024, ffn_drop=0.0)),
        fusion_layer_cfg=dict(v_dim=256, l_dim=256, embed_dim=1024, num_heads=4, init_values=1e-4)),
    decoder=dict(
        num_layers=6,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0),
            cross_attn_text_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0),
            cross_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, ffn_drop=0.0)),
        post_norm_cfg=None),
    positional_encoding=dict(num_feats=128, normalize=True, offset=0.0, temperature=20),
    bbox_head=dict(
        type='GroundingDINOHead',
        num_classes=256,
        sync_cls_avg_factor=True,
        contrastive_cfg=dict(max_text_len=256, log_scale='auto', bias=True),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0)),
    dn_cfg=dict(
        label_noise_scale=0.5,
        box_noise_scale=1.0,
        group_cfg=dict(dynamic=True, num_groups=None, num_dn_queries=100)),
    train_cfg=None,
    test_cfg=dict(max_per_img=30))

model = dict(
    type='RECDetector',
    _scope_='mmdet',
    detector=grounding_detector,
    candidate_source='detector',
    prompt='subject',
    scorer=dict(
        type='CLIPProposalScorer',
        encoder=dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32', crop_source='original'),
        top_k=10,
        crop_mode='crop',
        detector_score_weight=0.0,
        prompt_templates=['{}'],
        reasoner=dict(type='SpatialReasoningRescorer', temperature=None)))  # temperature: CLIP's 1 / logit_scale

# mmdet's GroundingDINO test pipeline (FixScaleResize to 800x1333, pillow) with the REC steps; CLIP crops come
# from the loaded image (KeepOriginalImage).
grounding_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None, imdecode_backend='pillow'),
    dict(type='KeepOriginalImage'),
    dict(type='LoadReferExpressions'),
    dict(type='FixScaleResize', scale=(800, 1333), keep_ratio=True, backend='pillow'),
    dict(type='PackRECInputs'),
]
