"""The trainable branch of method 1: RoI features scored against the text, plus box regression.

RoI features go through shared fully connected layers (named like mmdet's ``Shared2FCBBoxHead`` so that a
COCO Faster R-CNN checkpoint initialises them), then
- a linear projection into CLIP's joint embedding space, whose cosine with an expression's CLIP text
  embedding (times a learnt scale, plus a learnt bias) is the logit "this RoI is the referred object": a
  classifier whose weights are generated from the text, so any expression is a class;
- class-agnostic box deltas (4 per RoI).
"""
import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class RoITextBranch(BaseModule):
    """RoI features -> (unit embedding in CLIP's space, box deltas); text-conditioned logits.

    Args:
        embed_dim: dimension of CLIP's joint embedding space (the text embeddings' size).
        in_channels: channels of the RoI features.
        roi_feat_size: spatial size of the RoI features.
        num_shared_fcs: number of shared fully connected layers.
        fc_out_channels: width of the shared layers.
        init_temperature: initial temperature of the cosine (the logit scale is ``1 / temperature``).
        init_prior: initial probability of "referred" for any pair, which sets the initial bias (few pairs
            are positives; starting near their share keeps early losses small).
    """

    def __init__(self,
                 embed_dim: int,
                 in_channels: int = 256,
                 roi_feat_size: int = 7,
                 num_shared_fcs: int = 2,
                 fc_out_channels: int = 1024,
                 init_temperature: float = 0.1,
                 init_prior: float = 0.05,
                 init_cfg=None) -> None:
        if init_cfg is None:
            init_cfg = [dict(type='Xavier', distribution='uniform', layer='Linear', override=[
                dict(type='Normal', name='embed_proj', std=0.01),
                dict(type='Normal', name='fc_reg', std=0.001)])]
        super().__init__(init_cfg=init_cfg)
        if num_shared_fcs < 1:
            raise ValueError(f'RoITextBranch needs at least one shared fc, got num_shared_fcs={num_shared_fcs}')
        if not 0 < init_prior < 1 or init_temperature <= 0:
            raise ValueError(f'RoITextBranch: init_prior must be in (0, 1) and init_temperature > 0, '
                             f'got {init_prior}, {init_temperature}')
        in_features = in_channels * roi_feat_size * roi_feat_size
        self.shared_fcs = nn.ModuleList(
            nn.Linear(in_features if i == 0 else fc_out_channels, fc_out_channels) for i in range(num_shared_fcs))
        self.embed_proj = nn.Linear(fc_out_channels, embed_dim)
        self.fc_reg = nn.Linear(fc_out_channels, 4)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / init_temperature)))
        self.logit_bias = nn.Parameter(torch.tensor(math.log(init_prior / (1 - init_prior))))

    def forward(self, roi_feats: Tensor) -> Tuple[Tensor, Tensor]:
        """``(R, C, S, S)`` RoI features -> ``(R, embed_dim)`` unit embeddings and ``(R, 4)`` box deltas."""
        x = roi_feats.flatten(1)
        for fc in self.shared_fcs:
            x = F.relu(fc(x))
        return F.normalize(self.embed_proj(x), dim=-1), self.fc_reg(x)

    def text_logits(self, roi_embeddings: Tensor, text_embeddings: Tensor) -> Tensor:
        """``(E, R)`` logits that RoI r is the object referred to by text e."""
        texts = F.normalize(text_embeddings.to(roi_embeddings), dim=-1)
        scale = self.logit_scale.exp().clamp(max=100.0)
        return scale * texts @ roi_embeddings.t() + self.logit_bias
