"""Frozen CLIP image/text encoders for scoring boxes against expressions.

Interface (shared by method 1 and method 2; keep it stable)::

    encoder = MODELS.build(dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32'))
    text_emb = encoder.encode_texts(['man on the left', ...])              # (N, D), unit length, cached
    geometry = CropGeometry.for_detector(detector.data_preprocessor, encoder)   # once per detector
    box_emb = encoder.encode_boxes(geometry.view_of(inputs[i], data_sample), boxes_in_original_pixels,
                                   crop_mode='crop')                     # (K, D), unit length
    scores = box_emb @ text_emb.T                                        # cosine similarities

:class:`BaseCLIPEncoder` owns everything but the networks: the crops (cut by a
:class:`~mmrec.models.crops.crop_geometry.CropView`), the text cache and the "frozen" contract. Its ``crop_source``
(``'input'``, default, or ``'original'``) is a setting read by the detector's
:class:`~mmrec.models.crops.crop_geometry.CropGeometry`, which decides where crops come from and how boxes map to
them (see :mod:`mmrec.models.crops.crop_geometry`).

Then the image encoder's normalisation. Subclasses implement only ``_embed_pixels`` (normalised crops ->
embeddings) and ``_embed_texts`` (strings -> embeddings): :class:`PretrainedEncoder` (one frozen pretrained
network kept out of checkpoints) for :class:`CLIPEncoder` (HuggingFace ``transformers`` CLIP),
:class:`~mmrec.models.encoders.open_clip_encoder.OpenCLIPEncoder` (``open_clip_torch``: RN50x16, ViT-L/14@336, LAION
models) and :class:`~.siglip_encoder.SigLIPEncoder` (SigLIP / SigLIP 2 through ``transformers``), and
test doubles (``mmrec.testing.encoders``) with embeddings known in closed form, so the tests exercise the real
crop path. :class:`~mmrec.models.encoders.encoder_ensemble.EncoderEnsemble` combines several encoders behind the same
interface. An encoder's logits are ``logit_scale * cosine + logit_bias`` (:attr:`BaseCLIPEncoder.logit_scale`).
"""
import logging
import os
import os.path as osp
from abc import ABCMeta, abstractmethod
from contextlib import nullcontext
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmdet.registry import MODELS
from torch import Tensor

from ..crops.crop_geometry import CropView, check_crop_source
from .init_arguments import RecordsInitArguments
from .text_cache import TextCache

#: CLIP's pixel statistics (RGB, [0, 1] scale), used by OpenAI's preprocessing.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

DEFAULT_CLIP = 'openai/clip-vit-base-patch32'
#: CLIP's initial logit scale (``1 / 0.01``), for encoders without a learnt one.
DEFAULT_LOGIT_SCALE = 100.0


def clip_image_features(clip: torch.nn.Module, pixel_values: Tensor) -> Tensor:
    """``(N, D)`` projected (not normalised) image embeddings of ``(N, 3, S, S)`` CLIP-normalised pixels.

    The one place that reads a HuggingFace ``CLIPModel``'s image tower: its ``get_image_features`` returns a
    tensor or, in ``transformers`` 5, a model output, so the towers are called directly.
    """
    return clip.visual_projection(clip.vision_model(pixel_values=pixel_values).pooler_output)


def clip_text_features(clip: torch.nn.Module, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
    """``(N, D)`` projected (not normalised) text embeddings of ``(N, L)`` tokens (see
    :func:`clip_image_features`)."""
    pooled = clip.text_model(input_ids=input_ids, attention_mask=attention_mask).pooler_output
    return clip.text_projection(pooled)


class BaseCLIPEncoder(RecordsInitArguments, BaseModule, metaclass=ABCMeta):
    """Frozen image/text encoder with a shared tensor crop path and a bounded per-string text cache.

    Args:
        crop_size: side of the square crops fed to the image encoder.
        image_mean, image_std: the image encoder's pixel normalisation (RGB, [0, 1] scale).
        text_cache_size: most text embeddings kept (least recently used are dropped); 0 disables the cache.
        crop_source: ``'input'`` (``roi_align`` from the detector's input) or ``'original'`` (PIL-exact bicubic
            from the loaded image, which the test pipeline must keep with ``KeepOriginalImage``); read by the
            detector's :class:`~mmrec.models.crops.crop_geometry.CropGeometry`.
    """

    def __init__(self, crop_size: int = 224, image_mean: Sequence[float] = CLIP_MEAN,
                 image_std: Sequence[float] = CLIP_STD, text_cache_size: int = 4096, crop_source: str = 'input',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.crop_source = check_crop_source(crop_source, type(self).__name__)
        self.crop_size = int(crop_size)
        self.text_cache_size = int(text_cache_size)
        self.register_buffer('image_mean', torch.tensor(image_mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('image_std', torch.tensor(image_std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        #: the text embeddings by string (a sweep sets its own while a point scores, see :mod:`.text_cache`)
        self.text_cache = TextCache(self.text_cache_size)

    # -- what subclasses implement ------------------------------------------------------------------------
    @abstractmethod
    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        """``(N, 3, S, S)`` crops normalised with ``image_mean``/``image_std`` -> ``(N, D)`` embeddings."""

    @abstractmethod
    def _embed_texts(self, texts: List[str]) -> Tensor:
        """``N`` strings -> ``(N, D)`` embeddings."""

    # -- public interface ---------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.image_mean.device

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str]) -> Tensor:
        """Unit-length embeddings ``(N, D)`` of ``texts``; each distinct string is encoded once and cached."""
        texts, cache = [str(text) for text in texts], self.text_cache
        missing = [text for text in dict.fromkeys(texts) if text not in cache]
        fresh = {}
        if missing and cache.is_read_only:
            print_log(f'{type(self).__name__}: {len(missing)} text(s) missing from a read-only text cache (a sweep '
                      'point whose text calls differ from those of the point filling it): encoded now; its numbers '
                      'may differ from a separate evaluation by float rounding', logger='current',
                      level=logging.WARNING)
        if missing:
            fresh = dict(zip(missing, F.normalize(self._embed_texts(missing).float(), dim=-1)))
        out = [(fresh[text] if text in fresh else cache.get(text)).to(self.device) for text in texts]
        cache.keep(fresh)
        return torch.stack(out) if out else self.image_mean.new_zeros(0, 0)

    @torch.no_grad()
    def encode_pixels(self, pixels: Tensor) -> Tensor:
        """Unit-length embeddings of ``(N, 3, S, S)`` RGB crops in [0, 255] (CLIP normalisation applied here)."""
        pixels = (pixels.float() / 255.0 - self.image_mean.to(pixels.device)) / self.image_std.to(pixels.device)
        return F.normalize(self._embed_pixels(pixels).float(), dim=-1)

    @torch.no_grad()
    def crop_boxes(self, view: CropView, boxes: Tensor, *, crop_mode: str = 'crop', context_ratio: float = 0.2,
                   blur_sigma: float = 0.1) -> Tensor:
        """The crops :meth:`encode_boxes` encodes: ``(K, 3, S, S)`` RGB in [0, 255] (see its arguments)."""
        return view.crops(boxes, self.crop_size, mode=crop_mode, context_ratio=context_ratio, blur_sigma=blur_sigma)

    @torch.no_grad()
    def encode_boxes(self, view: CropView, boxes: Tensor, *, crop_mode: str = 'crop', context_ratio: float = 0.2,
                     blur_sigma: float = 0.1) -> Tensor:
        """Unit-length embeddings ``(K, D)`` of ``K`` boxes of one image, all cropped and encoded in one call.

        Args:
            view: the image as the crops see it (:meth:`~mmrec.models.crops.crop_geometry.CropGeometry.view_of`).
            boxes: ``(K, 4)`` xyxy boxes in original image pixels; clipped to the image, thin ones grown to 1 px.
            crop_mode: ``'crop'``, ``'context'``, ``'blur'`` or ``'circle'`` (see :mod:`mmrec.models.crops`).
            context_ratio: margin of ``'context'`` crops per side, as a fraction of the box's size.
            blur_sigma: blur of ``'blur'`` crops, as a fraction of the image size.

        A run with a cache reads these embeddings from it through a :class:`~mmrec.cache.CachedEncoder` around
        the encoder, which calls this method on a miss.
        """
        return self.encode_pixels(self.crop_boxes(view, boxes, crop_mode=crop_mode, context_ratio=context_ratio,
                                                  blur_sigma=blur_sigma))

    def clear_text_cache(self) -> None:
        self.text_cache.clear()

    # -- how similarities become logits -------------------------------------------------------------------
    @property
    def logit_scale(self) -> float:
        """``s`` in the encoder's logits ``s * cosine + b``: CLIP's softmax over texts, SigLIP's sigmoid per pair.
        CLIP's initial 100 here (temperature 0.01); encoders with a learnt scale return theirs."""
        return DEFAULT_LOGIT_SCALE

    @property
    def logit_bias(self) -> float:
        """``b`` in the logits ``s * cosine + b``: 0 for CLIP (a softmax ignores it), SigLIP's learnt sigmoid bias."""
        return 0.0

    @property
    def temperature(self) -> float:
        """``1 / logit_scale``: the softmax temperature the encoder was trained with (the default of the
        spatial reasoner and, when asked for, of method 1's prompt scorer)."""
        return 1.0 / self.logit_scale

    def normalize(self, embeddings: Tensor) -> Tensor:
        """Unit-length rows of ``(..., D)`` embeddings, e.g. a mean over prompt templates of this encoder's text
        embeddings (an :class:`~mmrec.models.encoders.encoder_ensemble.EncoderEnsemble` normalises per member)."""
        return F.normalize(embeddings, dim=-1)

    # -- frozen contract ----------------------------------------------------------------------------------
    def init_weights(self) -> None:
        """No-op: the weights are pretrained (or closed-form) and must survive the runner's ``init_weights``."""
        self._is_init = True

    def train(self, mode: bool = True) -> 'BaseCLIPEncoder':
        """Stays in eval mode whatever ``mode`` is: the encoder is frozen (no dropout, fixed statistics)."""
        return super().train(False)


class PretrainedEncoder(BaseCLIPEncoder):
    """A :class:`BaseCLIPEncoder` whose towers are one pretrained network, ``self.clip``, loaded from its source
    (a hub name, a local directory or weight file) every time the encoder is built.

    Its weights are not part of the encoder's ``state_dict``: checkpoints stay detector-sized, and loading one
    never replaces the pretrained weights (nor reports them missing). Subclasses load the network and
    implement ``_embed_pixels`` / ``_embed_texts`` inside :meth:`_autocast`.

    Args:
        network: the pretrained model (frozen here); its ``logit_scale`` (a log, as CLIP stores it) and
            ``logit_bias`` (SigLIP), when present, give :attr:`logit_scale` and :attr:`logit_bias`.
        autocast: run the networks under float16 autocast on CUDA (ignored on CPU).
        crop_size, image_mean, image_std, text_cache_size, crop_source: see :class:`BaseCLIPEncoder`.
    """

    def __init__(self, network: torch.nn.Module, crop_size: int, image_mean: Sequence[float] = CLIP_MEAN,
                 image_std: Sequence[float] = CLIP_STD, autocast: bool = True, text_cache_size: int = 4096,
                 crop_source: str = 'input', init_cfg: Optional[dict] = None) -> None:
        super().__init__(crop_size=crop_size, image_mean=image_mean, image_std=image_std,
                         text_cache_size=text_cache_size, crop_source=crop_source, init_cfg=init_cfg)
        self.clip = network.eval().requires_grad_(False)
        self.autocast = autocast
        self.register_state_dict_post_hook(_drop_clip_weights)
        self.register_load_state_dict_pre_hook(_supply_clip_weights)

    def _autocast(self):
        if self.autocast and self.device.type == 'cuda':
            return torch.autocast(device_type='cuda', dtype=torch.float16)
        return nullcontext()

    @property
    def logit_scale(self) -> float:
        log_scale = getattr(self.clip, 'logit_scale', None)
        return DEFAULT_LOGIT_SCALE if log_scale is None else float(log_scale.detach().float().exp().reshape(-1)[0])

    @property
    def logit_bias(self) -> float:
        bias = getattr(self.clip, 'logit_bias', None)
        return 0.0 if bias is None else float(bias.detach().float().reshape(-1)[0])


@MODELS.register_module()
class CLIPEncoder(PretrainedEncoder):
    """A frozen HuggingFace ``transformers`` CLIP (ViT-B/32 by default).

    The weights come from ``name_or_path`` (a hub name, or a local directory written by ``save_pretrained``)
    every time the model is built (see :class:`PretrainedEncoder`).

    Args:
        name_or_path: hub name or local directory holding the CLIP model and its tokenizer.
        max_text_tokens: expressions are truncated to this many tokens (CLIP's context is 77).
        autocast: run the networks under float16 autocast on CUDA (ignored on CPU).
        text_cache_size, crop_source: see :class:`BaseCLIPEncoder`.
    """

    def __init__(self, name_or_path: str = DEFAULT_CLIP, max_text_tokens: int = 77, autocast: bool = True,
                 text_cache_size: int = 4096, crop_source: str = 'input', init_cfg: Optional[dict] = None) -> None:
        model, tokenizer = load_clip(name_or_path)
        super().__init__(model, crop_size=model.config.vision_config.image_size, autocast=autocast,
                         text_cache_size=text_cache_size, crop_source=crop_source, init_cfg=init_cfg)
        self.name_or_path = name_or_path
        self.tokenizer = tokenizer
        self.max_text_tokens = min(int(max_text_tokens), model.config.text_config.max_position_embeddings)

    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        with self._autocast():
            return clip_image_features(self.clip, pixels.to(self.device))

    def _embed_texts(self, texts: List[str]) -> Tensor:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_text_tokens,
                                return_tensors='pt').to(self.device)
        with self._autocast():
            return clip_text_features(self.clip, tokens['input_ids'], tokens['attention_mask'])


def _drop_clip_weights(module: PretrainedEncoder, state_dict: dict, prefix: str, local_metadata: dict) -> None:
    """State-dict hook: leave the frozen pretrained weights out of checkpoints."""
    for key in [key for key in state_dict if key.startswith(prefix + 'clip.')]:
        del state_dict[key]


def _supply_clip_weights(module: PretrainedEncoder, state_dict: dict, prefix: str, *args) -> None:
    """Load pre-hook: keep the weights loaded from the encoder's source whatever the checkpoint holds."""
    for name, tensor in module.clip.state_dict().items():
        state_dict[f'{prefix}clip.{name}'] = tensor


def looks_like_local_path(name_or_path: str) -> bool:
    """Whether ``name_or_path`` can only be a local path (a hub name is ``name`` or ``org/name``)."""
    return (osp.isabs(name_or_path) or name_or_path.startswith(('.', '~')) or name_or_path.count('/') > 1
            or os.sep != '/' and os.sep in name_or_path)


def hf_how_to_get(family: str, default_name: str, model_class: str, local_dir: str) -> str:
    """How to get a ``transformers`` model's weights onto a machine without network (for error messages)."""
    snippet = (f"from transformers import {model_class}, AutoTokenizer; m = '{default_name}'; "
               f"{model_class}.from_pretrained(m).save_pretrained('{local_dir}'); "
               f"AutoTokenizer.from_pretrained(m).save_pretrained('{local_dir}')")
    return (f'To get {family} weights, on a machine with network run\n'
            f'  python -c "{snippet}"\n'
            f'(or `huggingface-cli download {default_name} --local-dir {local_dir}`), copy the directory here and '
            f'point the config at it, e.g. `--cfg-options model.scorer.encoder.name_or_path=/path/to/{local_dir}`.')


def load_hf_pretrained(name_or_path: str, load: Callable[[str], Tuple], family: str, how_to_get: str) -> Tuple:
    """``load(path)`` of a hub name or local directory (``~`` expanded), with errors that name ``name_or_path``
    and say ``how_to_get`` the weights: a missing directory, an unreachable or unknown hub name (offline), an
    incomplete directory."""
    name_or_path = str(name_or_path)
    local = osp.expanduser(name_or_path)
    if not osp.isdir(local) and looks_like_local_path(name_or_path):
        raise FileNotFoundError(f'{family} directory {name_or_path!r} does not exist. ' + how_to_get)
    try:
        return load(local if osp.isdir(local) else name_or_path)
    except (OSError, ValueError) as error:  # offline / unknown name / incomplete directory / another model type
        raise OSError(f'could not load {family} from {name_or_path!r} ({error}). ' + how_to_get) from error


def _load_clip_pair(path: str) -> Tuple:
    from transformers import AutoTokenizer, CLIPModel

    return CLIPModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def load_clip(name_or_path: str):
    """Load ``(CLIPModel, tokenizer)`` from a hub name or a local directory, with an actionable error."""
    return load_hf_pretrained(name_or_path, _load_clip_pair, 'CLIP',
                              hf_how_to_get('CLIP', DEFAULT_CLIP, 'CLIPModel', 'clip'))
