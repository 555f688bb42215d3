"""``RegionTextCLIP``: contrastive training of a CLIP on (referred-object crop, expression) pairs.

The REC methods score detector boxes with a frozen CLIP; this model makes that CLIP: it fine-tunes a
released one (``openai/clip-vit-base-patch32``) on RefCOCO train regions, or trains a tiny one from a
config for the synthetic data. Samples are one expression each, with the referred object cropped by
``CropReferredRegion``; ``SaveCLIPPretrainedHook`` writes the result as a ``from_pretrained`` directory.
"""
import importlib
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

from ..encoders.clip_encoder import CLIP_MEAN, CLIP_STD, clip_image_features, clip_text_features
from .tiny_clip import build_tiny_clip

# CLIP clamps its learnt temperature so that logits stay below 100.
MAX_LOGIT_SCALE = math.log(100.0)


def clip_data_preprocessor() -> dict:
    """mmengine's image preprocessor config: BGR uint8 -> RGB, normalised with CLIP's mean and std (the same
    statistics the frozen ``CLIPEncoder`` uses, so training and scoring see identical inputs)."""
    return dict(type='ImgDataPreprocessor', mean=[255 * m for m in CLIP_MEAN],
                std=[255 * s for s in CLIP_STD], bgr_to_rgb=True)


def same_target_mask(targets: Sequence, texts: Sequence[str]) -> torch.Tensor:
    """``mask[i, j]``: pair j is a positive for pair i (same referred object or the same words).

    Two expressions of one object describe the same crop, and two identical expressions (common in
    small vocabularies: "the red circle" in two images) describe crops that match both; neither pair
    is a negative of the other.
    """
    words = [' '.join(text.lower().split()) for text in texts]
    n = len(targets)
    return torch.tensor([[targets[i] == targets[j] or words[i] == words[j] for j in range(n)]
                         for i in range(n)], dtype=torch.bool)


def contrastive_loss(image_embeds: torch.Tensor, text_embeds: torch.Tensor, logit_scale: torch.Tensor,
                     positives: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE over a batch of L2-normalised pairs; row i of both is pair i.

    Off-diagonal positives (``positives[i, j]``, i != j) are removed from the softmax of both
    directions, so only true negatives are pushed away and the loss can still reach 0.
    """
    logits = logit_scale * image_embeds @ text_embeds.t()
    others = positives & ~torch.eye(len(logits), dtype=torch.bool, device=logits.device)
    logits = logits.masked_fill(others.to(logits.device), float('-inf'))
    labels = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def retrieval_accuracy(query_embeds: torch.Tensor, gallery_embeds: torch.Tensor,
                       positives: torch.Tensor) -> torch.Tensor:
    """Share of queries whose most similar gallery item is one of their positives."""
    best = (query_embeds @ gallery_embeds.t()).argmax(dim=1)
    return positives.to(best.device)[torch.arange(len(best), device=best.device), best].float().mean()


def resolve_vocabulary(vocab: Union[str, Sequence[str]]) -> List[str]:
    """Words from a list, or from a dotted path to a list or a function returning one.

    ``'mmrec.datasets.synthetic_vocabulary'`` names the synthetic generator's vocabulary, so that a
    config need not copy it.
    """
    if not isinstance(vocab, str):
        return list(vocab)
    module_name, _, attribute = vocab.rpartition('.')
    try:
        source = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f'tiny_clip vocab {vocab!r} is neither a list of words nor an importable '
                         f'dotted path ({error})') from error
    words = source() if callable(source) else source
    return list(words)


@MODELS.register_module()
class RegionTextCLIP(BaseModel):
    """A HuggingFace ``CLIPModel`` trained contrastively on region crops and their expressions.

    Exactly one of ``pretrained`` and ``tiny_clip`` is given:

    - ``pretrained``: a hub name or local directory for ``CLIPModel`` / ``AutoTokenizer``
      ``.from_pretrained`` (fine-tuning, e.g. ``'openai/clip-vit-base-patch32'``);
    - ``tiny_clip``: ``dict(vocab=..., max_text_length=16, text_config=..., vision_config=...,
      projection_dim=64)`` for :func:`mmrec.models.clip_training.tiny_clip.build_tiny_clip`; ``vocab`` is a list of
      words or a dotted path to one (see :func:`resolve_vocabulary`).

    Each input sample is one crop (``CropReferredRegion``) with one expression (``texts[0]`` of its
    data sample); the referred object's identity (``img_id``, ``ann_id`` of ``expressions[0]``) tells
    which pairs of the batch are duplicates rather than negatives.

    Modes: ``'loss'`` gives ``loss_contrastive`` (symmetric InfoNCE) and, for the log,
    ``acc_region_to_text`` / ``acc_text_to_region`` (in-batch retrieval, duplicates counted as hits);
    ``'tensor'`` gives ``(image_embeds, text_embeds)``, L2-normalised; ``'predict'`` returns the data
    samples with ``region_embed`` and ``text_embed`` set.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 tiny_clip: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if (pretrained is None) == (tiny_clip is None):
            raise ValueError('RegionTextCLIP needs exactly one of `pretrained` (a CLIP name or directory) '
                             f'and `tiny_clip` (a dict), got pretrained={pretrained!r}, '
                             f'tiny_clip={tiny_clip!r}')
        super().__init__(data_preprocessor=data_preprocessor or clip_data_preprocessor(),
                         init_cfg=init_cfg)
        if pretrained is not None:
            self.clip = CLIPModel.from_pretrained(pretrained)
            self.tokenizer = AutoTokenizer.from_pretrained(pretrained)
        else:
            options = dict(tiny_clip)
            if 'vocab' not in options:
                raise ValueError('RegionTextCLIP tiny_clip needs `vocab` (a list of words or a dotted path)')
            words = resolve_vocabulary(options.pop('vocab'))
            self.clip, self.tokenizer = build_tiny_clip(words, **options)

    def init_weights(self) -> None:
        """Nothing to do: the weights come from ``from_pretrained`` or from the HF constructor.

        mmengine's default would call ``CLIPModel.init_weights``, which may re-initialise loaded weights.
        """

    @property
    def image_size(self) -> int:
        return self.clip.config.vision_config.image_size

    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """L2-normalised CLIP image embeddings of normalised RGB crops (B, 3, S, S)."""
        return F.normalize(clip_image_features(self.clip, pixel_values), dim=-1)

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """L2-normalised CLIP text embeddings (truncated to the tokenizer's maximum length)."""
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors='pt')
        device = self.clip.logit_scale.device
        return F.normalize(clip_text_features(self.clip, tokens['input_ids'].to(device),
                                              tokens['attention_mask'].to(device)), dim=-1)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DetDataSample]] = None,
                mode: str = 'tensor'):
        if data_samples is None:
            raise ValueError('RegionTextCLIP needs data samples carrying the expressions (`texts`)')
        texts, targets = _pairs(data_samples)
        image_embeds = self.encode_images(inputs)
        text_embeds = self.encode_texts(texts)
        if mode == 'tensor':
            return image_embeds, text_embeds
        if mode == 'predict':
            for sample, region_embed, text_embed in zip(data_samples, image_embeds, text_embeds):
                sample.set_field(region_embed.detach(), 'region_embed', dtype=torch.Tensor)
                sample.set_field(text_embed.detach(), 'text_embed', dtype=torch.Tensor)
            return data_samples
        if mode == 'loss':
            positives = same_target_mask(targets, texts).to(image_embeds.device)
            logit_scale = self.clip.logit_scale.clamp(max=MAX_LOGIT_SCALE).exp()
            with torch.no_grad():
                acc_region_to_text = retrieval_accuracy(image_embeds, text_embeds, positives)
                acc_text_to_region = retrieval_accuracy(text_embeds, image_embeds, positives)
            return dict(loss_contrastive=contrastive_loss(image_embeds, text_embeds, logit_scale, positives),
                        acc_region_to_text=acc_region_to_text, acc_text_to_region=acc_text_to_region,
                        logit_scale=logit_scale.detach())
        raise ValueError(f'RegionTextCLIP: unknown mode {mode!r} (loss, predict or tensor)')

    def image_processor(self) -> CLIPImageProcessor:
        """The ``CLIPImageProcessor`` matching training: the model's input size, the preprocessor's
        mean / std (back on the 0-1 scale)."""
        mean, std = CLIP_MEAN, CLIP_STD
        if getattr(self.data_preprocessor, '_enable_normalize', False):
            mean = tuple((self.data_preprocessor.mean.flatten() / 255).tolist())
            std = tuple((self.data_preprocessor.std.flatten() / 255).tolist())
        size = self.image_size
        return CLIPImageProcessor(size={'shortest_edge': size}, crop_size={'height': size, 'width': size},
                                  image_mean=list(mean), image_std=list(std))

    def save_pretrained(self, save_dir: str) -> None:
        """Write model, tokenizer and image processor configs, loadable with ``from_pretrained``."""
        self.clip.save_pretrained(save_dir)
        self.tokenizer.save_pretrained(save_dir)
        self.image_processor().save_pretrained(save_dir)


def _pairs(data_samples: Sequence[DetDataSample]) -> Tuple[List[str], List[tuple]]:
    """The expression of each sample and an identity of its referred object.

    Raises:
        ValueError: a sample has no expression or several (names the image).
    """
    texts, targets = [], []
    for index, sample in enumerate(data_samples):
        sample_texts = sample.metainfo.get('texts', [])
        if len(sample_texts) != 1:
            raise ValueError(f'RegionTextCLIP needs exactly one expression per sample, got '
                             f'{len(sample_texts)} for {sample.metainfo.get("img_path")}: build the '
                             f'REFERDataset with one_expression_per_sample=True')
        texts.append(sample_texts[0])
        expression = (sample.metainfo.get('expressions') or [{}])[0]
        ann_id = expression.get('ann_id')
        # Without an object id, a pair is only a duplicate of pairs with the same words.
        targets.append(('ann', sample.metainfo.get('img_id'), ann_id) if ann_id is not None
                       else ('sample', index))
    return texts, targets
