"""A frozen SigLIP / SigLIP 2 (``transformers``) behind the :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder`
interface.

SigLIP is trained with a sigmoid loss per (image, text) pair, ``sigmoid(logit_scale * cosine + logit_bias)``,
instead of CLIP's softmax over a batch; its embeddings are still compared by cosine, so it slots into both
methods unchanged: ``encode_boxes(...) @ encode_texts(...).T`` are the scores. Its learnt ``logit_scale`` and
``logit_bias`` are exposed as :attr:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder.logit_scale` /
``logit_bias``; the temperature the spatial reasoner (and, with ``temperature=None``, method 1's prompt
scorer) takes by default is ``1 / logit_scale`` (a softmax over boxes ignores the bias).

Two architectures load from one ``name_or_path``:
- ``model_type='siglip'``: SigLIP (``google/siglip-base-patch16-224``, ...) and the fixed-resolution SigLIP 2
  checkpoints (``google/siglip2-base-patch16-224``, ...): square crops of the vision config's ``image_size``;
- ``model_type='siglip2'``: SigLIP 2 NaFlex (``google/siglip2-base-patch16-naflex``): a square crop of
  ``patch_size * floor(sqrt(num_patches))`` pixels, cut into patches as its image processor does.

As released, both take pixels normalised with mean = std = 0.5 and texts padded to the text model's full
length (``padding='max_length'``; the text is pooled at the last position, without an attention mask);
SigLIP 2 was trained on lower-cased text (``lowercase=True``; SigLIP's own tokenizer lower-cases anyway).
"""
import math
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from torch import Tensor

from .clip_encoder import PretrainedEncoder, hf_how_to_get, load_hf_pretrained

DEFAULT_SIGLIP = 'google/siglip-base-patch16-224'
#: The pixel statistics of the released SigLIP / SigLIP 2 models (RGB, [0, 1] scale).
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)
SIGLIP_MODEL_TYPES = ('siglip', 'siglip2')


def _load_siglip_pair(path: str) -> Tuple:
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    model_type = AutoConfig.from_pretrained(path).model_type
    if model_type not in SIGLIP_MODEL_TYPES:
        raise ValueError(f'it holds a {model_type!r} model, not one of {SIGLIP_MODEL_TYPES}')
    return AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def load_siglip(name_or_path: str) -> Tuple:
    """``(SiglipModel or Siglip2Model, tokenizer)`` from a hub name or local directory, with an error naming it
    and saying how to get the weights."""
    return load_hf_pretrained(name_or_path, _load_siglip_pair, 'SigLIP',
                              hf_how_to_get('SigLIP', DEFAULT_SIGLIP, 'AutoModel', 'siglip'))


def naflex_side(vision_config) -> int:
    """Side of the square crop that fills a SigLIP 2 NaFlex model's patch budget."""
    return int(vision_config.patch_size) * math.isqrt(int(vision_config.num_patches))


def to_patches(pixels: Tensor, patch_size: int) -> Tensor:
    """``(N, C, S, S)`` -> ``(N, (S / p) ** 2, p * p * C)`` patches in SigLIP 2 NaFlex's order (rows of patches,
    each patch row-major with the channels last), as its image processor makes them."""
    n, c, h, w = pixels.shape
    grid = pixels.reshape(n, c, h // patch_size, patch_size, w // patch_size, patch_size)
    return grid.permute(0, 2, 4, 3, 5, 1).reshape(n, (h // patch_size) * (w // patch_size), -1)


@MODELS.register_module()
class SigLIPEncoder(PretrainedEncoder):
    """A frozen SigLIP or SigLIP 2 from ``transformers`` (see the module docstring).

    The weights come from ``name_or_path`` every time the model is built and stay out of checkpoints
    (:class:`~mmrec.models.encoders.clip_encoder.PretrainedEncoder`).

    Args:
        name_or_path: hub name (``'google/siglip-base-patch16-224'``, ``'google/siglip2-base-patch16-224'``, ...)
            or local directory written by ``save_pretrained`` holding the model and its tokenizer.
        lowercase: lower-case expressions before tokenizing (SigLIP 2's training text was lower-cased).
        autocast: run the networks under float16 autocast on CUDA (ignored on CPU).
        text_cache_size, crop_source: see :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder`.
    """

    def __init__(self, name_or_path: str = DEFAULT_SIGLIP, lowercase: bool = True, autocast: bool = True,
                 text_cache_size: int = 4096, crop_source: str = 'input', init_cfg: Optional[dict] = None) -> None:
        model, tokenizer = load_siglip(name_or_path)
        vision = model.config.vision_config
        naflex = model.config.model_type == 'siglip2'
        crop_size = naflex_side(vision) if naflex else int(vision.image_size)
        super().__init__(model, crop_size=crop_size, image_mean=SIGLIP_MEAN, image_std=SIGLIP_STD,
                         autocast=autocast, text_cache_size=text_cache_size, crop_source=crop_source,
                         init_cfg=init_cfg)
        self.name_or_path = name_or_path
        self.naflex = naflex
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.max_text_tokens = int(model.config.text_config.max_position_embeddings)

    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        pixels = pixels.to(self.device)
        with self._autocast():
            if not self.naflex:
                return self.clip.vision_model(pixel_values=pixels).pooler_output
            patch_size = int(self.clip.config.vision_config.patch_size)
            side = pixels.shape[-1] // patch_size
            patches = to_patches(pixels, patch_size)
            return self.clip.vision_model(
                pixel_values=patches,
                pixel_attention_mask=torch.ones(patches.shape[:2], dtype=torch.long, device=self.device),
                spatial_shapes=torch.tensor([[side, side]] * len(pixels), dtype=torch.long, device=self.device),
            ).pooler_output

    def _embed_texts(self, texts: List[str]) -> Tensor:
        texts = [text.lower() for text in texts] if self.lowercase else texts
        tokens = self.tokenizer(texts, padding='max_length', truncation=True, max_length=self.max_text_tokens,
                                return_tensors='pt').to(self.device)
        with self._autocast():
            return self.clip.text_model(input_ids=tokens['input_ids']).pooler_output
