"""Method 1: ``CLIPTextConditionedHead``, the ROI box predictor that scores proposals against an expression.

Per image, for the RPN's top-K proposals (boxes + objectness) and every expression of the image:

1. (trained branch, optional) RoI features -> class-agnostic box refinement and a text-conditioned logit
   (:class:`~mmrec.models.roi_text_branch.RoITextBranch`);
2. every proposal is cropped (from the detector's input, or from the loaded image with the encoder's
   ``crop_source='original'``) and embedded by the frozen CLIP once; its CLIP
   similarity to an expression is the mean cosine to the expression's spatial prompts for the proposal's
   3x3 location label (:mod:`~mmrec.models.spatial_prompts`);
3. the three scores become distributions over the K proposals (CLIP: ``softmax(similarity / tau)``;
   objectness: divided by its sum, or raw; branch: ``softmax(logits)``) and are blended::

       score = lambda * clip + (1 - lambda) * ((1 - w) * objectness + w * branch)

   (``w = branch_weight``, 0 without a branch), so ``lambda = 1`` is CLIP alone and ``lambda = 0`` the
   detector alone;
4. the best box of each expression is refined by a discrete local search whose variants are scored by
   the same CLIP similarity, all variants of a round in one batched forward
   (:mod:`~mmrec.models.local_search`); with ``lambda = 0`` CLIP has no say and the search is skipped.
"""
import logging
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from .box_crops import InputNormalization, scale_boxes
from .local_search import LocalSearchConfig, clip_boxes_to_image, local_search
from .roi_text_branch import RoITextBranch
from .spatial_prompts import (DEFAULT_TEMPLATES, LOCATION_LABELS, SpatialPromptBank, SpatialPromptExpander,
                              has_words, location_cells, mean_prompt_similarity, paired_prompt_similarity)
from .spatial_reasoning import build_reasoner, reason_rows


def objectness_distribution(objectness: Tensor, normalize: bool = True) -> Tensor:
    """Objectness as weights over the proposals: divided by its sum (``normalize``) or as is."""
    objectness = objectness.float()
    return objectness / objectness.sum().clamp(min=1e-12) if normalize else objectness


def blend_scores(clip_scores: Tensor, detector_scores: Tensor, clip_weight: float,
                 branch_scores: Optional[Tensor] = None, branch_weight: float = 0.0) -> Tensor:
    """``clip_weight * clip + (1 - clip_weight) * ((1 - branch_weight) * detector + branch_weight * branch)``.

    Args:
        clip_scores: ``(E, K)`` CLIP scores of K proposals for E expressions.
        detector_scores: ``(K,)`` (shared by all expressions) or ``(E, K)`` detector scores.
        clip_weight: lambda in [0, 1].
        branch_scores: ``(E, K)`` scores of the trained branch, or ``None``.
        branch_weight: share of the detector side given to the branch (ignored without branch scores).
    """
    detector_side = detector_scores.to(clip_scores).expand_as(clip_scores)
    if branch_scores is not None and branch_weight > 0:
        detector_side = (1 - branch_weight) * detector_side + branch_weight * branch_scores.to(clip_scores)
    return clip_weight * clip_scores + (1 - clip_weight) * detector_side


def _embedding_dim(encoder: torch.nn.Module) -> int:
    """Size of the encoder's joint embedding space (read from ``embed_dim`` or from one text embedding)."""
    dim = getattr(encoder, 'embed_dim', None)
    return int(dim) if dim is not None else int(encoder.encode_texts(['a']).shape[-1])


class BoxEmbeddingMemo:
    """Embeddings of boxes of one image, each distinct box encoded once.

    Boxes are the same when their coordinates agree to ``1 / resolution`` pixel (the crops then differ by far
    less than a grey level); every call encodes its new distinct boxes in one batch.

    Args:
        encode: maps ``(N, 4)`` boxes to ``(N, D)`` embeddings (e.g. ``encoder.encode_boxes`` of the image).
        resolution: sub-pixel grid on which boxes are compared.
    """

    def __init__(self, encode: Callable[[Tensor], Tensor], resolution: int = 64) -> None:
        self.encode = encode
        self.resolution = resolution
        self.embeddings: Dict[tuple, Tensor] = {}
        self.num_encoded = 0

    def __call__(self, boxes: Tensor) -> Tensor:
        """``(N, D)`` embeddings of ``(N, 4)`` boxes."""
        keys = [tuple(key) for key in torch.round(boxes.float() * self.resolution).long().tolist()]
        first_row = {}
        for row, key in enumerate(keys):
            if key not in self.embeddings:
                first_row.setdefault(key, row)
        if first_row:
            rows = torch.tensor(list(first_row.values()), device=boxes.device)
            self.embeddings.update(zip(first_row, self.encode(boxes[rows])))
            self.num_encoded += len(first_row)
        return torch.stack([self.embeddings[key] for key in keys])


@MODELS.register_module()
class CLIPTextConditionedHead(BaseModule):
    """Scores the RPN's proposals against each expression with a frozen CLIP, spatial prompts, the
    objectness and (optionally) a trained RoI-text branch; refines the winner by local search.

    Args:
        encoder: config of a :class:`~mmrec.models.clip_encoder.BaseCLIPEncoder` (frozen CLIP).
        prompt_templates: format strings with ``{query}`` and optionally ``{loc}``.
        location_labels: the nine labels of the 3x3 grid, row-major.
        clip_weight: lambda of the blend, in [0, 1].
        temperature: tau of the CLIP softmax over proposals (CLIP's own logit scale is 1 / 0.01).
        normalize_objectness: turn objectness into a distribution over proposals (as the CLIP and branch
            scores are) before blending; ``False`` blends the raw sigmoid objectness.
        crop_mode: how proposals are cropped for CLIP (``'crop'``, ``'context'``, ``'blur'``).
        context_ratio: margin per side of ``'context'`` crops, as a fraction of the box size.
        local_search: settings of :class:`~mmrec.models.local_search.LocalSearchConfig`
            (``enable``, ``rounds``, ``translations``, ``scales``, ``shrink``, ``min_size``).
        spatial_reasoning: ``None`` (default: the report's method) or the arguments of a
            :class:`~mmrec.models.spatial_reasoning.SpatialReasoner`: for an expression with location, size
            or relation words, its probabilities over the K boxes (objectness as the prior) replace the
            spatial-prompt CLIP scores in the blend; ``temperature`` defaults to the CLIP's ``1 / logit_scale``.
        with_branch: whether the head has the trainable branch (:class:`~mmrec.models.roi_text_branch.
            RoITextBranch`); ``False`` is the zero-shot baseline.
        in_channels, roi_feat_size, num_shared_fcs, fc_out_channels: the branch's input (RoI features) and
            shared fcs, named as in mmdet's ``Shared2FCBBoxHead`` (whose COCO weights they can load).
        init_temperature, init_prior: initial temperature and "referred" probability of the branch.
        branch_weight: ``w``: share of the detector side of the blend given to the branch at test time.
        refine_boxes: apply the branch's box regression to the proposals at test time.
        bbox_coder: coder of the branch's box deltas.
        pos_iou_thr: a proposal is a positive of an expression when its IoU with the referred box is at
            least this (0.5 as in the issue).
        neg_iou_thr: pairs with IoU in ``[neg_iou_thr, pos_iou_thr)`` are ignored by the loss.
        loss_cls: loss of the text-conditioned logits (sigmoid cross-entropy per proposal-expression pair).
        loss_bbox: loss of the box deltas of positives.
        max_cached_queries: size of the per-query prompt-embedding cache.
    """

    def __init__(self,
                 encoder: dict = dict(type='CLIPEncoder'),
                 prompt_templates: Sequence[str] = DEFAULT_TEMPLATES,
                 location_labels: Sequence[str] = LOCATION_LABELS,
                 clip_weight: float = 0.5,
                 temperature: float = 0.01,
                 normalize_objectness: bool = True,
                 crop_mode: str = 'crop',
                 context_ratio: float = 0.2,
                 local_search: dict = dict(enable=True),
                 spatial_reasoning: Optional[dict] = None,
                 with_branch: bool = True,
                 in_channels: int = 256,
                 roi_feat_size: int = 7,
                 num_shared_fcs: int = 2,
                 fc_out_channels: int = 1024,
                 init_temperature: float = 0.1,
                 init_prior: float = 0.05,
                 branch_weight: float = 0.5,
                 refine_boxes: bool = True,
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder', target_means=(0., 0., 0., 0.),
                                         target_stds=(0.1, 0.1, 0.2, 0.2)),
                 pos_iou_thr: float = 0.5,
                 neg_iou_thr: float = 0.5,
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 loss_bbox: dict = dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0),
                 max_cached_queries: int = 4096,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('clip_weight', clip_weight), ('branch_weight', branch_weight)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'CLIPTextConditionedHead: {name} must be in [0, 1], got {value}')
        if temperature <= 0:
            raise ValueError(f'CLIPTextConditionedHead: temperature must be positive, got {temperature}')
        if not 0.0 <= neg_iou_thr <= pos_iou_thr <= 1.0:
            raise ValueError(f'CLIPTextConditionedHead: need 0 <= neg_iou_thr <= pos_iou_thr <= 1, '
                             f'got {neg_iou_thr}, {pos_iou_thr}')
        self.encoder = MODELS.build(encoder)
        self.prompt_bank = SpatialPromptBank(SpatialPromptExpander(prompt_templates, location_labels),
                                             self.encoder.encode_texts, max_cached_queries)
        self.clip_weight = float(clip_weight)
        self.temperature = float(temperature)
        self.normalize_objectness = normalize_objectness
        self.crop_mode = crop_mode
        self.context_ratio = context_ratio
        self.search_config = LocalSearchConfig(**(local_search or dict(enable=False)))
        self.reasoner = build_reasoner(spatial_reasoning, self.encoder)
        self.branch = None
        if with_branch:
            self.branch = RoITextBranch(
                embed_dim=_embedding_dim(self.encoder), in_channels=in_channels, roi_feat_size=roi_feat_size,
                num_shared_fcs=num_shared_fcs, fc_out_channels=fc_out_channels,
                init_temperature=init_temperature, init_prior=init_prior)
        self.branch_weight = float(branch_weight)
        self.refine_boxes = refine_boxes
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.num_images_without_proposals = 0
        self.num_empty_expressions = 0

    @property
    def with_branch(self) -> bool:
        return self.branch is not None

    def forward(self, roi_feats: Tensor) -> Tuple[Tensor, Tensor]:
        """The branch's ``(R, D)`` RoI embeddings and ``(R, 4)`` box deltas (tensor mode / FLOPs)."""
        if self.branch is None:
            raise RuntimeError('CLIPTextConditionedHead has no trainable branch (with_branch=False)')
        return self.branch(roi_feats)

    # -- training -----------------------------------------------------------------------------------------
    def loss(self, roi_feats: Tensor, sampling_results: list, batch_texts: List[List[str]],
             batch_referred_boxes: List[Tensor]) -> dict:
        """Losses of the branch on the sampled RoIs of a batch.

        Args:
            roi_feats: ``(sum R_i, C, S, S)`` features of the sampled RoIs, image by image.
            sampling_results: mmdet ``SamplingResult`` per image (positives first), sampled against the
                image's distinct referred boxes.
            batch_texts: the expressions of each image.
            batch_referred_boxes: ``(E_i, 4)`` referred box of each expression, in input pixels.

        Returns:
            ``loss_text`` (sigmoid cross-entropy: is RoI r the object of expression e, positives at IoU >=
            ``pos_iou_thr``) and ``loss_bbox`` (regression of positive RoIs to their assigned referred box).
            Expressions without words are left out of ``loss_text``.
        """
        if self.branch is None:
            return dict()
        embeddings, deltas = self.branch(roi_feats)
        counts = [len(result.priors) for result in sampling_results]
        logits, labels = [], []
        pos_deltas, pos_targets = [], []
        for image_embeddings, image_deltas, result, texts, referred in zip(
                embeddings.split(counts), deltas.split(counts), sampling_results, batch_texts,
                batch_referred_boxes):
            keep = [i for i, text in enumerate(texts) if has_words(text)]
            if keep and len(result.priors):
                text_embeddings = self.encoder.encode_texts([texts[i] for i in keep])
                logits.append(self.branch.text_logits(image_embeddings, text_embeddings).flatten())
                labels.append(self._text_labels(referred[keep].to(result.priors), result.priors).flatten())
            num_pos = len(result.pos_priors)
            pos_deltas.append(image_deltas[:num_pos])
            pos_targets.append(self.bbox_coder.encode(result.pos_priors, result.pos_gt_bboxes))
        if logits:
            logits, labels = torch.cat(logits), torch.cat(labels)
            num_valid = max(int((labels >= 0).sum()), 1)
            loss_text = self.loss_cls(logits, labels, avg_factor=num_valid)
        else:  # keep the branch in the graph (distributed training needs every parameter used)
            loss_text = embeddings.sum() * 0 + self.branch.logit_scale * 0 + self.branch.logit_bias * 0
        pos_deltas, pos_targets = torch.cat(pos_deltas), torch.cat(pos_targets)
        loss_bbox = self.loss_bbox(pos_deltas, pos_targets.to(pos_deltas), avg_factor=max(len(pos_deltas), 1))
        if len(pos_deltas) == 0:
            loss_bbox = deltas.sum() * 0
        return dict(loss_text=loss_text, loss_bbox=loss_bbox)

    def _text_labels(self, referred: Tensor, rois: Tensor) -> Tensor:
        """``(E, R)`` targets: 1 at IoU >= pos_iou_thr, 0 below neg_iou_thr, -1 (ignored) in between."""
        ious = bbox_overlaps(referred.float(), rois.float())
        labels = (ious >= self.pos_iou_thr).float()
        labels[(ious >= self.neg_iou_thr) & (ious < self.pos_iou_thr)] = -1
        return labels

    # -- inference ----------------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_image(self, image: Tensor, proposals: InstanceData, roi_feats: Optional[Tensor],
                      texts: Sequence[str], img_shape: Sequence[int], input_norm: InputNormalization,
                      scale_factor: Optional[Sequence[float]] = None,
                      original: Optional[Tensor] = None) -> Tuple[InstanceData, InstanceData]:
        """One box per expression of one image, in input pixels.

        Args:
            image: ``(3, H, W)`` the detector's input for this image.
            proposals: the RPN's proposals, ``bboxes`` (K, 4) in input pixels and ``scores`` (K,) objectness.
            roi_feats: ``(K, C, S, S)`` RoI features of the proposals (needed only with the branch).
            texts: the image's expressions.
            img_shape: ``(h, w)`` of the image inside the (padded) input.
            input_norm: how the detector normalised its input.
            scale_factor: mmdet's ``(w_scale, h_scale)`` from original to input pixels; needed (with
                ``original``) when the encoder crops from the original image (``crop_source='original'``).
            original: ``(3, H0, W0)`` uint8 RGB loaded image, for ``crop_source='original'``.

        Returns:
            ``(predictions, candidates)``: ``bboxes`` (E, 4) and ``scores`` (E,); the K candidate boxes and
            their objectness. Fallbacks (counted and logged): no proposal -> the whole image for every
            expression (score 0); an expression without words -> the proposal of highest objectness, no
            local search.
        """
        height, width = int(img_shape[0]), int(img_shape[1])
        boxes = proposals.bboxes.float().reshape(-1, 4)
        objectness = proposals.scores.float().reshape(-1) if 'scores' in proposals else boxes.new_ones(len(boxes))
        num_texts = len(texts)
        if len(boxes) == 0:
            self.num_images_without_proposals += 1
            print_log(f'CLIPTextConditionedHead: no proposal in an image ({self.num_images_without_proposals} so '
                      'far); answering the whole image', logger='current', level=logging.WARNING)
            whole = boxes.new_tensor([[0.0, 0.0, width, height]])
            return (InstanceData(bboxes=whole.expand(num_texts, 4).clone(), scores=boxes.new_zeros(num_texts)),
                    InstanceData(bboxes=whole, scores=boxes.new_zeros(1)))

        embeddings = None
        if self.branch is not None:
            if roi_feats is None:
                raise ValueError('CLIPTextConditionedHead.predict_image: the head has a branch and needs the '
                                 'RoI features of the proposals')
            embeddings, deltas = self.branch(roi_feats)
            if self.refine_boxes:
                boxes = self.bbox_coder.decode(boxes, deltas.float(), max_shape=(height, width))
        boxes = clip_boxes_to_image(boxes, (height, width), self.search_config.min_size)
        candidates = InstanceData(bboxes=boxes, scores=objectness)

        detector_scores = objectness_distribution(objectness, self.normalize_objectness)
        scores = detector_scores.expand(num_texts, -1).clone()
        answered = [i for i, text in enumerate(texts) if has_words(text)]
        if len(answered) < num_texts:
            self.num_empty_expressions += num_texts - len(answered)
            print_log(f'CLIPTextConditionedHead: {num_texts - len(answered)} expression(s) without words '
                      f'({self.num_empty_expressions} so far) answered by objectness alone',
                      logger='current', level=logging.WARNING)
        encode = self.box_encoder(image, (height, width), input_norm, scale_factor, original)
        if answered:
            query_texts = [texts[i] for i in answered]
            # lambda = 0: CLIP has no say, so neither prompts nor crops are encoded
            query_matrices = self.prompt_bank.query_matrices(query_texts) if self.clip_weight > 0 else None
            scores[answered] = self._blended_scores(boxes, detector_scores, embeddings, query_texts,
                                                    query_matrices, encode, (height, width))

        best = scores.argmax(dim=-1)  # first maximum on ties
        best_scores = scores.gather(1, best[:, None]).squeeze(1)
        chosen = boxes[best]
        if answered and self.clip_weight > 0:
            chosen[answered] = self.refine(chosen[answered], query_matrices, encode, (height, width))
        return InstanceData(bboxes=chosen, scores=best_scores), candidates

    def box_encoder(self, image: Tensor, img_shape: Sequence[int], input_norm: InputNormalization,
                    scale_factor: Optional[Sequence[float]] = None,
                    original: Optional[Tensor] = None) -> Callable[[Tensor], Tensor]:
        """A function mapping ``(N, 4)`` boxes in input pixels to their ``(N, D)`` CLIP crop embeddings.

        With the encoder's ``crop_source='original'`` the boxes are mapped to original pixels (divided by
        ``scale_factor``) and cropped from ``original``; else they are cropped from the input ``image``.
        """
        crop_args = dict(img_shape=tuple(img_shape), input_norm=input_norm, crop_mode=self.crop_mode,
                         context_ratio=self.context_ratio)
        if getattr(self.encoder, 'crop_source', 'input') != 'original':
            return lambda boxes: self.encoder.encode_boxes(image, boxes, **crop_args)
        if scale_factor is None:
            raise ValueError("CLIPTextConditionedHead: the encoder crops from the original image "
                             "(crop_source='original'), which needs the image's scale_factor")
        w_scale, h_scale = (float(v) for v in tuple(scale_factor)[:2])
        to_original = (1.0 / w_scale, 1.0 / h_scale)
        return lambda boxes: self.encoder.encode_boxes(image, scale_boxes(boxes, to_original),
                                                       scale_factor=(w_scale, h_scale), original=original,
                                                       **crop_args)

    def _blended_scores(self, boxes: Tensor, detector_scores: Tensor, roi_embeddings: Optional[Tensor],
                        query_texts: List[str], query_matrices: Optional[Tensor],
                        encode: Callable[[Tensor], Tensor], img_shape: Sequence[int]) -> Tensor:
        """``(E, K)`` blend of the CLIP, detector and (when there is one) branch scores of the K boxes."""
        if query_matrices is None:  # lambda = 0
            clip_scores = detector_scores.new_zeros(len(query_texts), len(boxes))
        else:
            crop_embeddings = encode(boxes)
            similarity = mean_prompt_similarity(crop_embeddings, query_matrices, location_cells(boxes, img_shape))
            clip_scores = F.softmax(similarity / self.temperature, dim=-1)
            if self.reasoner is not None:
                clip_scores = reason_rows(
                    self.reasoner, clip_scores, query_texts, boxes,
                    lambda phrases: self.encoder.encode_texts(phrases).to(crop_embeddings) @ crop_embeddings.T,
                    tuple(img_shape), prior=detector_scores)
        branch_scores = None
        if roi_embeddings is not None and self.branch_weight > 0:
            logits = self.branch.text_logits(roi_embeddings, self.encoder.encode_texts(query_texts))
            branch_scores = F.softmax(logits.float(), dim=-1)
        return blend_scores(clip_scores, detector_scores, self.clip_weight, branch_scores, self.branch_weight)

    def refine(self, boxes: Tensor, query_matrices: Tensor, encode: Callable[[Tensor], Tensor],
               img_shape: Sequence[int]) -> Tensor:
        """Local search around ``boxes`` (row e for query e, input pixels of an image of ``img_shape``), scored
        by the spatial-prompt CLIP similarity of the crops ``encode`` embeds (see :meth:`box_encoder`).

        Each distinct variant box is cropped and encoded once per image: the current box reappears in every
        round (and as the zero-shift variant), and expressions that start from the same box share all its
        variants (see :class:`BoxEmbeddingMemo`).
        """
        memo = BoxEmbeddingMemo(encode)

        def score_fn(variants: Tensor) -> Tensor:
            num_queries, num_variants = variants.shape[:2]
            flat = variants.reshape(-1, 4)
            crops = memo(flat).view(num_queries, num_variants, -1)
            cells = location_cells(flat, img_shape).view(num_queries, num_variants)
            return paired_prompt_similarity(crops, query_matrices, cells)

        refined, _ = local_search(boxes, score_fn, img_shape, self.search_config)
        return refined

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Let a plain Faster R-CNN checkpoint initialise the branch's shared fcs (``bbox_head.shared_fcs``)."""
        if self.branch is not None:
            for key in [k for k in state_dict if k.startswith(prefix + 'shared_fcs.')]:
                state_dict.setdefault(prefix + 'branch.' + key[len(prefix):], state_dict.pop(key))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
