"""A tiny GroundingDINO (mmdet's class, MM-GDINO-T's layout shrunk) for CPU tests and smoke runs, with its text
model a tiny BERT from :func:`~mmrec.models.method2.tiny_bert.save_tiny_bert` (no download). Used by the tests
(re-exported by ``mmrec.testing``) and by ``tools/benchmark.py --parts grounding --tiny``."""
import copy
from typing import Optional

from mmengine.config import ConfigDict

_LANGUAGE_MODEL = dict(  # MM-GDINO-T's, on RECBertModel
    type='RECBertModel', max_tokens=256, pad_to_max=False, use_sub_sentence_represent=True,
    special_tokens_list=['[CLS]', '[SEP]', '.', '?'], add_pooling_layer=False)

_EMBED = 256  # fixed by mmdet's GroundingDINO (text and query sine position encodings)
_FFN = 64

#: A tiny GroundingDINO (mmdet's class, MM-GDINO-T's layout shrunk) for CPU tests and smoke runs: mmdet's
#: GroundingDINO hard-codes 256-channel text and query position encodings, so the embedding width stays 256;
#: everything else is small (a ResNet-18 layout with 8 base channels, one encoder layer, two decoder layers, few
#: queries, narrow feed-forward layers).
TINY_GROUNDING_DINO = dict(
    type='GroundingDINO',
    num_queries=16,
    with_box_refine=True,
    as_two_stage=True,
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True, pad_mask=False),
    language_model=_LANGUAGE_MODEL,
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=4, out_indices=(1, 2, 3),
                  frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True, style='pytorch'),
    neck=dict(type='ChannelMapper', in_channels=[16, 32, 64], kernel_size=1, out_channels=_EMBED, act_cfg=None,
              bias=True, norm_cfg=dict(type='GN', num_groups=32), num_outs=4),
    encoder=dict(
        num_layers=1,
        num_cp=-1,  # mmdet's MM-GDINO configs say 6, which needs fairscale
        layer_cfg=dict(self_attn_cfg=dict(embed_dims=_EMBED, num_levels=4, num_points=2, dropout=0.0),
                       ffn_cfg=dict(embed_dims=_EMBED, feedforward_channels=_FFN, ffn_drop=0.0)),
        text_layer_cfg=dict(self_attn_cfg=dict(num_heads=4, embed_dims=_EMBED, dropout=0.0),
                            ffn_cfg=dict(embed_dims=_EMBED, feedforward_channels=_FFN, ffn_drop=0.0)),
        fusion_layer_cfg=dict(v_dim=_EMBED, l_dim=_EMBED, embed_dim=_FFN, num_heads=4, init_values=1e-4)),
    decoder=dict(
        num_layers=2,
        return_intermediate=True,
        layer_cfg=dict(self_attn_cfg=dict(embed_dims=_EMBED, num_heads=8, dropout=0.0),
                       cross_attn_text_cfg=dict(embed_dims=_EMBED, num_heads=8, dropout=0.0),
                       cross_attn_cfg=dict(embed_dims=_EMBED, num_levels=4, num_points=2, dropout=0.0),
                       ffn_cfg=dict(embed_dims=_EMBED, feedforward_channels=_FFN, ffn_drop=0.0)),
        post_norm_cfg=None),
    positional_encoding=dict(num_feats=_EMBED // 2, normalize=True, offset=0.0, temperature=20),
    bbox_head=dict(type='GroundingDINOHead', num_classes=256, sync_cls_avg_factor=True,
                   contrastive_cfg=dict(max_text_len=256, log_scale='auto', bias=True),
                   loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                   loss_bbox=dict(type='L1Loss', loss_weight=5.0)),
    dn_cfg=dict(label_noise_scale=0.5, box_noise_scale=1.0,
                group_cfg=dict(dynamic=True, num_groups=None, num_dn_queries=10)),
    train_cfg=None,
    test_cfg=dict(max_per_img=8))


def tiny_grounding_dino_config(bert_dir: str, max_per_img: Optional[int] = None) -> ConfigDict:
    """The tiny GroundingDINO's model config with its text model read from ``bert_dir`` (see
    :func:`~mmrec.models.method2.tiny_bert.save_tiny_bert`), as a ``ConfigDict`` (mmdet's GroundingDINO encoder
    reads its layer configs by attribute, as a config file gives them)."""
    config = copy.deepcopy(TINY_GROUNDING_DINO)
    config['language_model']['name'] = bert_dir
    if max_per_img is not None:
        config['test_cfg']['max_per_img'] = max_per_img
    return ConfigDict(config)
