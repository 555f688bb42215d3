"""Frozen CLIP image/text encoders for scoring boxes against expressions.

Interface (shared by method 1 and method 2; keep it stable)::

    encoder = MODELS.build(dict(type='CLIPEncoder', name_or_path='openai/clip-vit-base-patch32'))
    text_emb = encoder.encode_texts(['man on the left', ...])              # (N, D), unit length, cached
    box_emb = encoder.encode_boxes(inputs[i], boxes, img_shape=meta['img_shape'],
                                   input_norm=InputNormalization.from_preprocessor(detector.data_preprocessor),
                                   scale_factor=meta['scale_factor'],   # None if boxes are in input pixels
                                   crop_mode='crop',
                                   original=original_image_for(encoder, data_sample))  # (K, D), unit length
    scores = box_emb @ text_emb.T                                        # cosine similarities

:class:`BaseCLIPEncoder` owns everything but the networks: the crop path, the text cache and the "frozen"
contract. Its ``crop_source`` says where crops come from:

- ``'input'`` (default): the detector's network input (undo its normalisation and channel order, map the
  boxes to it, ``roi_align`` crops);
- ``'original'``: the loaded image, kept by the ``KeepOriginalImage`` transform and packed by ``PackRECInputs``
  as the data sample's ``original_image`` (uint8 RGB), cropped with PIL's bicubic filter reproduced on
  tensors (:func:`~mmrec.models.box_crops.pil_crop_and_resize`): the crops PIL-based research code feeds CLIP
  (``Image.resize((S, S), BICUBIC, box=box)``: the box stretched to a square), whatever the detector's resize.

Then CLIP's normalisation. Subclasses implement only ``_embed_pixels`` (CLIP-normalised crops -> embeddings) and
``_embed_texts`` (strings -> embeddings): :class:`CLIPEncoder` with HuggingFace ``transformers`` CLIP, and test
doubles (``mmrec.testing.encoders``) with embeddings known in closed form, so the tests exercise the real
crop path.
"""
import os
import os.path as osp
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from contextlib import nullcontext
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmdet.registry import MODELS
from torch import Tensor

from .box_crops import InputNormalization, crop_boxes, scale_boxes

#: CLIP's pixel statistics (RGB, [0, 1] scale), used by OpenAI's preprocessing.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

DEFAULT_CLIP = 'openai/clip-vit-base-patch32'

#: Where :class:`BaseCLIPEncoder` crops boxes from (see the module docstring).
CROP_SOURCES = ('input', 'original')
#: The resampler of ``crop_source='original'``: OpenAI CLIP's preprocessing filter.
ORIGINAL_RESAMPLE = 'bicubic'


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


class BaseCLIPEncoder(BaseModule, metaclass=ABCMeta):
    """Frozen image/text encoder with a shared tensor crop path and a bounded per-string text cache.

    Args:
        crop_size: side of the square crops fed to the image encoder.
        image_mean, image_std: the image encoder's pixel normalisation (RGB, [0, 1] scale).
        text_cache_size: most text embeddings kept (least recently used are dropped); 0 disables the cache.
        crop_source: ``'input'`` (``roi_align`` from the detector's input) or ``'original'`` (PIL-exact bicubic
            from the loaded image, which the test pipeline must keep with ``KeepOriginalImage``).
    """

    def __init__(self, crop_size: int = 224, image_mean: Sequence[float] = CLIP_MEAN,
                 image_std: Sequence[float] = CLIP_STD, text_cache_size: int = 4096, crop_source: str = 'input',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if crop_source not in CROP_SOURCES:
            raise ValueError(f'{type(self).__name__}: crop_source must be one of {CROP_SOURCES}, got {crop_source!r}')
        self.crop_source = crop_source
        self.crop_size = int(crop_size)
        self.text_cache_size = int(text_cache_size)
        self.register_buffer('image_mean', torch.tensor(image_mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('image_std', torch.tensor(image_std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self._text_cache: 'OrderedDict[str, Tensor]' = OrderedDict()

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
        texts = [str(text) for text in texts]
        missing = [text for text in dict.fromkeys(texts) if text not in self._text_cache]
        fresh = {}
        if missing:
            fresh = dict(zip(missing, F.normalize(self._embed_texts(missing).float(), dim=-1)))
        out = []
        for text in texts:
            embedding = fresh.get(text)
            if embedding is None:
                embedding = self._text_cache[text]
                self._text_cache.move_to_end(text)
            out.append(embedding.to(self.device))
        if self.text_cache_size > 0:
            self._text_cache.update(fresh)
            while len(self._text_cache) > self.text_cache_size:
                self._text_cache.popitem(last=False)
        return torch.stack(out) if out else self.image_mean.new_zeros(0, 0)

    @torch.no_grad()
    def encode_pixels(self, pixels: Tensor) -> Tensor:
        """Unit-length embeddings of ``(N, 3, S, S)`` RGB crops in [0, 255] (CLIP normalisation applied here)."""
        pixels = (pixels.float() / 255.0 - self.image_mean.to(pixels.device)) / self.image_std.to(pixels.device)
        return F.normalize(self._embed_pixels(pixels).float(), dim=-1)

    @torch.no_grad()
    def crop_boxes(self, image: Tensor, boxes: Tensor, *, img_shape: Sequence[int], input_norm: InputNormalization,
                   scale_factor: Optional[Sequence[float]] = None, crop_mode: str = 'crop',
                   context_ratio: float = 0.2, blur_sigma: float = 0.1, original: Optional[Tensor] = None) -> Tensor:
        """The crops :meth:`encode_boxes` encodes: ``(K, 3, S, S)`` RGB in [0, 255] (see its arguments)."""
        boxes = torch.as_tensor(boxes, dtype=torch.float32, device=image.device).reshape(-1, 4)
        if self.crop_source == 'original':
            if original is None:
                raise ValueError(f"{type(self).__name__}(crop_source='original') needs the original image: "
                                 f'{MISSING_ORIGINAL_HINT}')
            if scale_factor is None:
                raise ValueError(f"{type(self).__name__}(crop_source='original') crops boxes in original image "
                                 'pixels: pass them with their scale_factor (boxes in input pixels divided by it)')
            return crop_boxes(original.to(boxes.device), boxes, self.crop_size, mode=crop_mode,
                              context_ratio=context_ratio, blur_sigma=blur_sigma, resample=ORIGINAL_RESAMPLE)
        rgb = input_norm.to_rgb(image)
        if scale_factor is not None:
            boxes = scale_boxes(boxes, scale_factor)
        return crop_boxes(rgb, boxes, self.crop_size, mode=crop_mode, context_ratio=context_ratio,
                          blur_sigma=blur_sigma, img_shape=tuple(img_shape)[:2])

    @torch.no_grad()
    def encode_boxes(self, image: Tensor, boxes: Tensor, *, img_shape: Sequence[int],
                     input_norm: InputNormalization, scale_factor: Optional[Sequence[float]] = None,
                     crop_mode: str = 'crop', context_ratio: float = 0.2, blur_sigma: float = 0.1,
                     original: Optional[Tensor] = None) -> Tensor:
        """Unit-length embeddings ``(K, D)`` of ``K`` boxes of one image, all cropped and encoded in one call.

        Args:
            image: ``(3, H, W)`` the detector's network input for this image (normalised, maybe padded).
            boxes: ``(K, 4)`` xyxy boxes; in original image pixels when ``scale_factor`` is given (mapped to the
                input by it), else already in input pixels. Clipped to the image, empty ones grown to 1 px.
                ``crop_source='original'`` needs them in original pixels (with ``scale_factor``).
            img_shape: ``(h, w)`` of the resized image inside the padded input (mmdet's ``img_shape``).
            input_norm: how the detector normalised its input (:meth:`InputNormalization.from_preprocessor`).
            scale_factor: mmdet's ``(w_scale, h_scale)`` from original to input pixels, or ``None``.
            crop_mode: ``'crop'``, ``'context'`` or ``'blur'`` (see :mod:`mmrec.models.box_crops`).
            context_ratio: margin of ``'context'`` crops per side, as a fraction of the box's size.
            blur_sigma: blur of ``'blur'`` crops, as a fraction of the image size.
            original: ``(3, H0, W0)`` uint8 RGB loaded image (the data sample's ``original_image``), needed by
                ``crop_source='original'`` (see :func:`original_image_for`), ignored by ``'input'``.
        """
        crops = self.crop_boxes(image, boxes, img_shape=img_shape, input_norm=input_norm,
                                scale_factor=scale_factor, crop_mode=crop_mode, context_ratio=context_ratio,
                                blur_sigma=blur_sigma, original=original)
        return self.encode_pixels(crops)

    def clear_text_cache(self) -> None:
        self._text_cache.clear()

    # -- frozen contract ----------------------------------------------------------------------------------
    def init_weights(self) -> None:
        """No-op: the weights are pretrained (or closed-form) and must survive the runner's ``init_weights``."""
        self._is_init = True

    def train(self, mode: bool = True) -> 'BaseCLIPEncoder':
        """Stays in eval mode whatever ``mode`` is: the encoder is frozen (no dropout, fixed statistics)."""
        return super().train(False)


MISSING_ORIGINAL_HINT = ("add dict(type='KeepOriginalImage') right after the image loading step of the test "
                         "pipeline (PackRECInputs then packs it), or set the encoder's crop_source='input'")


def original_image_for(encoder: BaseCLIPEncoder, data_sample) -> Optional[Tensor]:
    """The data sample's ``original_image`` when ``encoder`` crops from it (``crop_source='original'``), else
    ``None``; a clear error naming the image when the pipeline did not keep it."""
    if getattr(encoder, 'crop_source', 'input') != 'original':
        return None
    original = data_sample.get('original_image', None)
    if original is None:
        raise ValueError(f'sample {data_sample.metainfo.get("img_path") or data_sample.metainfo.get("img_id", "?")} '
                       f"has no original_image, but the CLIP encoder has crop_source='original': "
                       f'{MISSING_ORIGINAL_HINT}')
    return original


@MODELS.register_module()
class CLIPEncoder(BaseCLIPEncoder):
    """A frozen HuggingFace ``transformers`` CLIP (ViT-B/32 by default).

    The weights come from ``name_or_path`` (a hub name, or a local directory written by ``save_pretrained``)
    every time the model is built. They are not part of the model's ``state_dict``: checkpoints stay
    detector-sized, and loading one never replaces the CLIP weights (nor reports them missing).

    Args:
        name_or_path: hub name or local directory holding the CLIP model and its tokenizer.
        max_text_tokens: expressions are truncated to this many tokens (CLIP's context is 77).
        autocast: run the networks under float16 autocast on CUDA (ignored on CPU).
        text_cache_size, crop_source: see :class:`BaseCLIPEncoder`.
    """

    def __init__(self, name_or_path: str = DEFAULT_CLIP, max_text_tokens: int = 77, autocast: bool = True,
                 text_cache_size: int = 4096, crop_source: str = 'input', init_cfg: Optional[dict] = None) -> None:
        model, tokenizer = load_clip(name_or_path)
        super().__init__(crop_size=model.config.vision_config.image_size, text_cache_size=text_cache_size,
                         crop_source=crop_source, init_cfg=init_cfg)
        self.name_or_path = name_or_path
        self.clip = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.max_text_tokens = min(int(max_text_tokens), model.config.text_config.max_position_embeddings)
        self.autocast = autocast
        self.register_state_dict_post_hook(_drop_clip_weights)
        self.register_load_state_dict_pre_hook(_supply_clip_weights)

    def _autocast(self):
        if self.autocast and self.device.type == 'cuda':
            return torch.autocast(device_type='cuda', dtype=torch.float16)
        return nullcontext()

    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        with self._autocast():
            return clip_image_features(self.clip, pixels.to(self.device))

    def _embed_texts(self, texts: List[str]) -> Tensor:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_text_tokens,
                                return_tensors='pt').to(self.device)
        with self._autocast():
            return clip_text_features(self.clip, tokens['input_ids'], tokens['attention_mask'])


def _drop_clip_weights(module: CLIPEncoder, state_dict: dict, prefix: str, local_metadata: dict) -> None:
    """State-dict hook: leave the frozen CLIP weights out of checkpoints."""
    for key in [key for key in state_dict if key.startswith(prefix + 'clip.')]:
        del state_dict[key]


def _supply_clip_weights(module: CLIPEncoder, state_dict: dict, prefix: str, *args) -> None:
    """Load pre-hook: keep the CLIP weights loaded from ``name_or_path`` whatever the checkpoint holds."""
    for name, tensor in module.clip.state_dict().items():
        state_dict[f'{prefix}clip.{name}'] = tensor


def _looks_like_local_path(name_or_path: str) -> bool:
    """Whether ``name_or_path`` can only be a directory (a hub name is ``name`` or ``org/name``)."""
    return (osp.isabs(name_or_path) or name_or_path.startswith(('.', '~')) or name_or_path.count('/') > 1
            or os.sep != '/' and os.sep in name_or_path)


def _how_to_get() -> str:
    snippet = (f"from transformers import CLIPModel, AutoTokenizer; m = '{DEFAULT_CLIP}'; "
               "CLIPModel.from_pretrained(m).save_pretrained('clip'); "
               "AutoTokenizer.from_pretrained(m).save_pretrained('clip')")
    return ('To get CLIP weights, on a machine with network run\n'
            f'  python -c "{snippet}"\n'
            f'(or `huggingface-cli download {DEFAULT_CLIP} --local-dir clip`), copy the directory here and point '
            'the config at it, e.g. `--cfg-options model.scorer.encoder.name_or_path=/path/to/clip`.')


def load_clip(name_or_path: str):
    """Load ``(CLIPModel, tokenizer)`` from a hub name or a local directory, with an actionable error."""
    from transformers import AutoTokenizer, CLIPModel

    name_or_path = str(name_or_path)
    if not osp.isdir(osp.expanduser(name_or_path)) and _looks_like_local_path(name_or_path):
        raise FileNotFoundError(f'CLIP directory {name_or_path!r} does not exist. ' + _how_to_get())
    path = osp.expanduser(name_or_path) if osp.isdir(osp.expanduser(name_or_path)) else name_or_path
    try:
        model = CLIPModel.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as error:  # offline / unknown name / incomplete directory
        raise OSError(f'could not load CLIP from {name_or_path!r} ({error}). ' + _how_to_get()) \
            from error
    return model, tokenizer
