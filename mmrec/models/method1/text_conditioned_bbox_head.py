"""Method 1: ``CLIPTextConditionedHead``, the ROI box predictor that scores proposals against an expression.

Per image, for the RPN's top-K proposals (boxes + objectness) and every expression of the image:

1. (trained branch, optional) RoI features -> class-agnostic box refinement and a text-conditioned logit
   (:class:`~mmrec.models.method1.roi_text_branch.RoITextBranch`);
2. every proposal is mapped to original image pixels and cropped where the image's
   :class:`~mmrec.models.crops.crop_geometry.CropView` says, and embedded by the frozen CLIP once; its CLIP
   similarity to an expression is the mean cosine to the expression's spatial prompts for the proposal's
   3x3 location label (:class:`~mmrec.models.method1.head_parts.SpatialPromptScorer`);
3. the three scores become distributions over the K proposals (CLIP: ``softmax(similarity / tau)``;
   objectness: divided by its sum, or raw; branch: ``softmax(logits)``) and are blended::

       score = lambda * clip + (1 - lambda) * ((1 - w) * objectness + w * branch)

   (``w = branch_weight``, 0 without a branch), so ``lambda = 1`` is CLIP alone and ``lambda = 0`` the
   detector alone (:class:`~mmrec.models.method1.head_parts.ObjectnessBlend`); with spatial reasoning on, its
   probabilities replace the CLIP distribution of the expressions it handles
   (:class:`~mmrec.models.scoring.reasoning.SpatialReasoningRescorer`, the part method 2 uses too);
4. the best box of each expression is refined by a discrete local search whose variants are scored by
   the same CLIP similarity, all variants of a round in one batched forward
   (:class:`~mmrec.models.method1.head_parts.PromptLocalSearch`); with ``lambda = 0`` CLIP has no say and the search
   is skipped.

Each step is a small part built from the head's config (:mod:`mmrec.models.method1.head_parts`); the head wires them.
"""
import inspect
from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import get_box_tensor
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from . import head_parts  # noqa: F401  (registers the parts)
from . import roi_text_branch  # noqa: F401  (registers RoITextBranch)
from ..crops import clip_boxes
from ..crops.crop_geometry import CropView
from ..scoring.parts import build_reasoner, with_type
from ..scoring.reasoning import REASONER_TYPE
from ..scoring.policy import ScoringPolicy, has_words, top_prior
from .head_parts.generalized import generalized_head_answers


def _embedding_dim(encoder: torch.nn.Module) -> int:
    """Size of the encoder's joint embedding space (read from ``embed_dim`` or from one text embedding)."""
    dim = getattr(encoder, 'embed_dim', None)
    return int(dim) if dim is not None else int(encoder.encode_texts(['a']).shape[-1])


#: the head's part configs, the registry and the default type of each.
_PARTS = (('prompt_scorer', TASK_UTILS, 'SpatialPromptScorer'), ('blend', TASK_UTILS, 'ObjectnessBlend'),
          ('local_search', TASK_UTILS, 'PromptLocalSearch'), ('reasoner', TASK_UTILS, REASONER_TYPE),
          ('branch', MODELS, 'RoITextBranch'))
#: head arguments of before that are not a part's setting: where each is decided now.
_REPLACED = {
    'with_branch': 'branch=None switches the branch off: model.roi_head.bbox_head.branch=None',
    'spatial_reasoning': 'it is the reasoner part now: model.roi_head.bbox_head.reasoner=dict(...)',
    'pos_iou_thr': "the branch is trained on the RoI head's assigner: model.train_cfg.rcnn.assigner.pos_iou_thr",
    'neg_iou_thr': "the branch is trained on the RoI head's assigner: model.train_cfg.rcnn.assigner.neg_iou_thr",
}


def unknown_argument_error(owner: str, name: str, parts: dict) -> TypeError:
    """The error for an argument ``name`` the head does not take: it names the part config that has a
    setting of that name (read from the part types' constructors, the given ``parts`` configs or the default
    types), e.g. ``clip_weight is a setting of blend=dict(...): model.roi_head.bbox_head.blend.clip_weight``."""
    if name in _REPLACED:
        return TypeError(f'{owner}: {name} is no longer a head argument; {_REPLACED[name]}')
    for part, registry, default_type in _PARTS:
        cfg = parts.get(part)
        type_name = cfg.get('type', default_type) if isinstance(cfg, dict) else default_type
        cls = registry.get(type_name) if isinstance(type_name, str) else type_name
        if cls is not None and name in inspect.signature(cls.__init__).parameters:
            return TypeError(f'{owner}: {name} is a setting of {part}=dict(...): '
                             f'model.roi_head.bbox_head.{part}.{name}')
    return TypeError(f"{owner}: unexpected argument {name!r}")


@MODELS.register_module()
class CLIPTextConditionedHead(BaseModule):
    """Scores the RPN's proposals against each expression with a frozen CLIP, spatial prompts, the
    objectness and (optionally) a trained RoI-text branch; refines the winner by local search.

    The head composes parts built from config dicts (as mmdet's Detic builds its zero-shot classifier):
    the encoder and the branch from ``MODELS``, the others from ``TASK_UTILS``
    (:mod:`mmrec.models.method1.head_parts`); the encoder is handed to the parts that need it.

    Args:
        encoder: config of a :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder` (frozen CLIP), or an encoder
            already built (shared with other heads, e.g. by a sweep).
        prompt_scorer: a :class:`~mmrec.models.method1.head_parts.SpatialPromptScorer` (``prompt_templates``,
            ``location_labels``, ``temperature``, ``max_cached_queries``).
        blend: an :class:`~mmrec.models.method1.head_parts.ObjectnessBlend` (``clip_weight``, ``branch_weight``,
            ``normalize_objectness``).
        local_search: a :class:`~mmrec.models.method1.head_parts.PromptLocalSearch` (``enable``, ``rounds``,
            ``translations``, ``scales``, ``shrink``, ``min_size``); ``None`` switches it off.
        reasoner: ``None`` (default: the report's method) or a
            :class:`~mmrec.models.scoring.reasoning.SpatialReasoningRescorer` (``temperature``, ``size_spread``,
            ``relation_softness``): for an expression with location, size or relation words, its
            probabilities over the K boxes (objectness as the prior) replace the spatial-prompt CLIP scores.
        branch: the trainable :class:`~mmrec.models.method1.roi_text_branch.RoITextBranch` (``in_channels``,
            ``roi_feat_size``, ``num_shared_fcs``, ``fc_out_channels``, ``init_temperature``,
            ``init_prior``; ``embed_dim`` is the encoder's), or ``None``: the zero-shot baseline.
        crop_mode: how proposals are cropped for CLIP (``'crop'``, ``'context'``, ``'blur'``, ``'circle'``: the
            whole image with a red ellipse around the box, RedCircle; one mode, the local search scores its
            variants with it too).
        context_ratio: margin per side of ``'context'`` crops, as a fraction of the box size.
        min_box_fraction: ReCLIP's size prior: proposals (after refinement and clipping) covering less than
            this share of the image are dropped before scoring, all kept when all are below it; 0 (default) is
            off. Method 2's score subtraction is not offered here: this head's CLIP score is a softmax over
            spatial-prompt similarities (nine location labels per expression) that its local search also
            maximises per variant box, so a consistent subtraction would need the bank expanded into spatial
            prompts and subtracted inside the search; the papers define it for plain crop re-ranking.
        refine_boxes: apply the branch's box regression to the proposals at test time.
        generalized_score_thr: ``None`` (default: one box per expression) or a score from which every proposal
            answers the expression (generalised REC, gRefCOCO: several boxes or none per expression), compared
            with the blended scores (each expression's distribution over the K proposals, the spatial
            reasoner's probabilities in CLIP's place where it answers), as method 2's scorer does
            (:func:`~mmrec.models.scoring.generalized_answers.answers_above`); kept boxes are refined by the
            local search. Evaluate with ``GRECMetric``; choose it on a val split with ``tools/sweep.py``.
        bbox_coder: coder of the branch's box deltas.
        loss_cls: loss of the text-conditioned logits (sigmoid cross-entropy per proposal-expression pair).
        loss_bbox: loss of the box deltas of positives.
        **unknown: refused with a ``TypeError`` naming the part that has the setting (``clip_weight`` ->
            ``blend.clip_weight``, :func:`unknown_argument_error`): each setting is written in one place, its part.
    """

    # The cache contract (mmrec.models.scoring.cached_work), declared next to the constructor: every argument is
    # either read by the scoring step only, or decides the image work (the branch's outputs are cached with the
    # proposals) or training; tests/test_scoring_parts.py checks that each argument is in exactly one.
    #: arguments only :meth:`score_image` reads (a sweep varies them over cached proposals).
    SCORING_ARGS = ('encoder', 'prompt_scorer', 'blend', 'local_search', 'reasoner', 'crop_mode', 'context_ratio',
                    'min_box_fraction', 'refine_boxes', 'bbox_coder', 'generalized_score_thr')
    #: arguments that decide :meth:`image_work` or only train.
    WORK_ARGS = ('branch', 'loss_cls', 'loss_bbox', 'init_cfg')
    #: settings (dotted, under the head) that do not change which texts are encoded, in which calls.
    TEXT_INDEPENDENT_KEYS = ('local_search', 'crop_mode', 'context_ratio', 'refine_boxes', 'bbox_coder',
                             'prompt_scorer.temperature', 'generalized_score_thr')

    @classmethod
    def misplaced_argument(cls, name: str, cfg: dict) -> Optional[str]:
        """Where the setting ``name``, given to the head config ``cfg`` itself, belongs (the message of
        :func:`unknown_argument_error`), or ``None`` when no part has it (``--cfg-options`` checks read it)."""
        if name in inspect.signature(cls.__init__).parameters:
            return None
        message = str(unknown_argument_error(cls.__name__, name, cfg))
        return None if 'unexpected argument' in message else message

    def __init__(self,
                 encoder: Union[dict, torch.nn.Module] = dict(type='CLIPEncoder'),
                 prompt_scorer: dict = dict(type='SpatialPromptScorer'),
                 blend: dict = dict(type='ObjectnessBlend'),
                 local_search: Optional[dict] = dict(type='PromptLocalSearch'),
                 reasoner: Optional[dict] = None,
                 branch: Optional[dict] = dict(type='RoITextBranch'),
                 crop_mode: str = 'crop',
                 context_ratio: float = 0.2,
                 min_box_fraction: float = 0.0,
                 refine_boxes: bool = True,
                 generalized_score_thr: Optional[float] = None,
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder', target_means=(0., 0., 0., 0.),
                                         target_stds=(0.1, 0.1, 0.2, 0.2)),
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 loss_bbox: dict = dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0),
                 init_cfg: Optional[dict] = None,
                 **unknown) -> None:
        parts = dict(prompt_scorer=prompt_scorer, blend=blend, local_search=local_search, reasoner=reasoner,
                     branch=branch)
        if unknown:
            raise unknown_argument_error(type(self).__name__, sorted(unknown)[0], parts)
        super().__init__(init_cfg=init_cfg)
        self.encoder = encoder if isinstance(encoder, torch.nn.Module) else MODELS.build(encoder)
        self.prompt_scorer = TASK_UTILS.build(with_type(parts['prompt_scorer'], 'SpatialPromptScorer'),
                                              default_args=dict(encoder=self.encoder))
        self.blend = TASK_UTILS.build(with_type(parts['blend'], 'ObjectnessBlend'))
        self.local_search = TASK_UTILS.build(with_type(local_search or dict(enable=False), 'PromptLocalSearch'))
        self.reasoner = build_reasoner(parts['reasoner'], self.encoder)
        self.branch = None
        if parts['branch'] is not None:
            self.branch = MODELS.build(with_type(parts['branch'], 'RoITextBranch'),
                                       default_args=dict(embed_dim=_embedding_dim(self.encoder)))
        self.crop_mode, self.context_ratio = crop_mode, context_ratio
        #: the fallbacks and the size prior, with their counters (shared with method 2)
        self.policy = ScoringPolicy(type(self).__name__, min_box_fraction, candidates='proposals')
        self.refine_boxes = refine_boxes
        self.generalized_score_thr = None if generalized_score_thr is None else float(generalized_score_thr)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)

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
             batch_text_targets: List[Tensor]) -> dict:
        """Losses of the branch on the sampled RoIs of a batch.

        Args:
            roi_feats: ``(sum R_i, C, S, S)`` features of the sampled RoIs, image by image.
            sampling_results: mmdet ``SamplingResult`` per image (positives first), sampled against the
                image's distinct referred boxes by the RoI head's assigner and sampler.
            batch_texts: the ``E_i`` expressions of each image.
            batch_text_targets: ``(E_i, R_i)`` targets per image: 1 where the RoI is a positive assigned to
                the expression's referred box, 0 elsewhere, -1 (ignored) where the assigner ignored the RoI
                (:func:`~mmrec.models.method1.text_conditioned_roi_head.text_targets`).

        Returns:
            ``loss_text`` (sigmoid cross-entropy: is RoI r the object of expression e) and ``loss_bbox``
            (regression of positive RoIs to their assigned referred box). Expressions without words are left
            out of ``loss_text``.
        """
        if self.branch is None:
            return dict()
        embeddings, deltas = self.branch(roi_feats)
        counts = [len(result.priors) for result in sampling_results]
        logits, labels = [], []
        pos_deltas, pos_targets = [], []
        for image_embeddings, image_deltas, result, texts, targets in zip(
                embeddings.split(counts), deltas.split(counts), sampling_results, batch_texts,
                batch_text_targets):
            keep = [i for i, text in enumerate(texts) if has_words(text)]
            if keep and len(result.priors):
                text_embeddings = self.encoder.encode_texts([texts[i] for i in keep])
                logits.append(self.branch.text_logits(image_embeddings, text_embeddings).flatten())
                labels.append(targets[keep].to(image_embeddings).flatten())
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

    # -- inference ----------------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_image(self, view: CropView, proposals: InstanceData, roi_feats: Optional[Tensor],
                      texts: Sequence[str]) -> Tuple[InstanceData, InstanceData]:
        """One box per expression of one image, in input pixels: :meth:`image_work` then :meth:`score_image`.

        Args:
            view: the image as the crops see it (the detector's
                :meth:`~mmrec.models.crops.crop_geometry.CropGeometry.view_of`); its ``img_shape`` is the frame the
                boxes are clipped to.
            proposals: the RPN's proposals, ``bboxes`` (K, 4) in input pixels and ``scores`` (K,) objectness.
            roi_feats: ``(K, C, S, S)`` RoI features of the proposals (needed only with the branch).
            texts: the image's expressions.

        Returns:
            see :meth:`score_image`.
        """
        return self.score_image(view, self.image_work(proposals, roi_feats), texts)

    @torch.no_grad()
    def image_work(self, proposals: InstanceData, roi_feats: Optional[Tensor]) -> InstanceData:
        """The scoring-independent work of one image: ``bboxes`` (K, 4) float proposals in input pixels,
        ``scores`` (K,) objectness and, with the branch, its ``embeddings`` (K, D) and box ``deltas`` (K, 4)."""
        boxes = get_box_tensor(proposals.bboxes).float().reshape(-1, 4)
        objectness = proposals.scores.float().reshape(-1) if 'scores' in proposals else boxes.new_ones(len(boxes))
        work = InstanceData(bboxes=boxes, scores=objectness)
        if self.branch is not None and len(boxes):
            if roi_feats is None:
                raise ValueError('CLIPTextConditionedHead.image_work: the head has a branch and needs the RoI '
                                 'features of the proposals')
            work.embeddings, work.deltas = self.branch(roi_feats)
        return work

    @torch.no_grad()
    def score_image(self, view: CropView, work: InstanceData, texts: Sequence[str], image_encoder=None
                    ) -> Tuple[InstanceData, InstanceData]:
        """The scoring step: one box per expression of one image, in input pixels, from its :meth:`image_work`.

        Returns:
            ``(predictions, candidates)``: ``bboxes`` (E, 4), ``scores`` (E,) and ``reasoned`` (E,) bool (the
            spatial reasoner answered the expression in CLIP's place); the K candidate boxes and
            their objectness. Fallbacks (the :class:`~mmrec.models.scoring.policy.ScoringPolicy` both methods
            share, counted in ``policy``): no proposal -> the whole image for every expression (score 0); an
            expression without words -> the proposal of highest objectness (its detector score), no local search.
            With ``generalized_score_thr``: every (box, expression) pair scored at or above it, M rows with
            ``expression_index`` (M,) (:func:`~.head_parts.generalized.generalized_head_answers`), none for an
            expression without words; without proposals the whole image is the candidate, scored 0.
        """
        height, width = view.img_shape
        boxes, objectness = work.bboxes, work.scores
        num_texts = len(texts)
        if len(boxes) == 0:
            whole = self.policy.whole_image((height, width), boxes)
            if self.generalized_score_thr is not None:
                no_reasoning = torch.zeros(num_texts, dtype=torch.bool)
                return (generalized_head_answers(boxes.new_zeros(num_texts, 1), whole, texts, no_reasoning,
                                                 self.generalized_score_thr),
                        InstanceData(bboxes=whole, scores=boxes.new_zeros(1)))
            return (InstanceData(bboxes=whole.expand(num_texts, 4).clone(), scores=boxes.new_zeros(num_texts),
                                 reasoned=torch.zeros(num_texts, dtype=torch.bool, device=boxes.device)),
                    InstanceData(bboxes=whole, scores=boxes.new_zeros(1)))

        embeddings = None
        if self.branch is not None:
            if 'embeddings' not in work:
                raise ValueError('CLIPTextConditionedHead.score_image: the head has a branch, but the image work '
                                 'has no branch outputs (made by a head without one)')
            embeddings = work.embeddings
            if self.refine_boxes:
                boxes = self.bbox_coder.decode(boxes, work.deltas.float(), max_shape=(height, width))
        boxes = clip_boxes(boxes, (height, width), self.local_search.min_size)
        keep = self.policy.size_prior(boxes, (height, width))
        if keep is not None:
            boxes, objectness = boxes[keep], objectness[keep]
            embeddings = None if embeddings is None else embeddings[keep]
        candidates = InstanceData(bboxes=boxes, scores=objectness)

        detector_scores = self.blend.detector_scores(objectness)
        scores = detector_scores.new_zeros(num_texts, len(boxes))  # rows without words: the policy's fallback
        reasoned = torch.zeros(num_texts, dtype=torch.bool, device=scores.device)
        generalized = self.generalized_score_thr is not None
        answerable = self.policy.answerable(texts, fallback='no box' if generalized else 'the top proposal')
        answered = [i for i, ok in enumerate(answerable) if ok]
        encode = self.box_encoder(view, image_encoder)
        if answered:
            query_texts = [texts[i] for i in answered]
            # lambda = 0: CLIP has no say, so neither prompts nor crops are encoded
            query_matrices = self.prompt_scorer.query_matrices(query_texts) if self.blend.uses_clip else None
            scores[answered], reasoned[answered] = self._blended_scores(
                boxes, detector_scores, embeddings, query_texts, query_matrices, encode, (height, width))

        if generalized:
            refine = None
            if answered and self.blend.uses_clip:
                refine = lambda kept, rows: self.local_search(  # noqa: E731
                    kept, query_matrices[rows], encode, self.prompt_scorer, (height, width))
            return (generalized_head_answers(scores, boxes, texts, reasoned, self.generalized_score_thr, refine),
                    candidates)
        best = scores.argmax(dim=-1)  # first maximum on ties
        best_scores = scores.gather(1, best[:, None]).squeeze(1)
        empty = [i for i, ok in enumerate(answerable) if not ok]
        if empty:
            best[empty], best_scores[empty] = top_prior(detector_scores)
        chosen = boxes[best]
        if answered and self.blend.uses_clip:
            chosen[answered] = self.local_search(chosen[answered], query_matrices, encode, self.prompt_scorer,
                                                 (height, width))
        return InstanceData(bboxes=chosen, scores=best_scores, reasoned=reasoned), candidates

    def box_encoder(self, view: CropView, image_encoder=None) -> Callable[[Tensor], Tensor]:
        """A function mapping ``(N, 4)`` boxes in input pixels to their ``(N, D)`` CLIP crop embeddings: the boxes
        are mapped to original image pixels (the frame of every crop, :meth:`CropView.input_to_original`), cropped
        where ``view`` says and embedded by ``image_encoder`` (a detector's cached one), else ``self.encoder``."""
        encoder = self.encoder if image_encoder is None else image_encoder
        return lambda boxes: encoder.encode_boxes(view, view.input_to_original(boxes), crop_mode=self.crop_mode,
                                                  context_ratio=self.context_ratio)

    def _blended_scores(self, boxes: Tensor, detector_scores: Tensor, roi_embeddings: Optional[Tensor],
                        query_texts: List[str], query_matrices: Optional[Tensor],
                        encode: Callable[[Tensor], Tensor], img_shape: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """``(E, K)`` blend of the CLIP, detector and (when there is one) branch scores of the ``(K, 4)`` boxes,
        and ``(E,)`` bool: whether the spatial reasoner answered each expression in CLIP's place.

        ``detector_scores`` is ``(K,)``, ``roi_embeddings`` the branch's ``(K, D)`` or ``None``,
        ``query_matrices`` the ``(E, num_labels, D)`` prompt matrices or ``None`` (lambda = 0).
        """
        reasoned = torch.zeros(len(query_texts), dtype=torch.bool, device=detector_scores.device)
        if query_matrices is None:  # lambda = 0
            clip_scores = detector_scores.new_zeros(len(query_texts), len(boxes))
        else:
            crop_embeddings = encode(boxes)
            similarity = self.prompt_scorer.similarity(crop_embeddings, query_matrices, boxes, img_shape)
            clip_scores = self.prompt_scorer.probabilities(similarity)
            if self.reasoner is not None:
                clip_scores, reasoned = self.reasoner(clip_scores, query_texts, boxes,
                                                      self.reasoner.crop_similarity(crop_embeddings), img_shape,
                                                      prior=detector_scores)
        branch_scores = None
        if roi_embeddings is not None and self.blend.uses_branch:
            logits = self.branch.text_logits(roi_embeddings, self.encoder.encode_texts(query_texts))
            branch_scores = logits.float().softmax(dim=-1)
        return self.blend(clip_scores, detector_scores, branch_scores), reasoned

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Let a plain Faster R-CNN checkpoint initialise the branch's shared fcs (``bbox_head.shared_fcs``)."""
        if self.branch is not None:
            for key in [k for k in state_dict if k.startswith(prefix + 'shared_fcs.')]:
                state_dict.setdefault(prefix + 'branch.' + key[len(prefix):], state_dict.pop(key))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
