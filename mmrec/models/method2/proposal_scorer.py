"""Method 2: pick, among a detector's detections, the box whose CLIP crop embedding best matches each expression."""
import logging
from typing import Optional, Sequence, Tuple, Union

import torch
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from ..crops import CROP_MODES, clip_boxes
from ..crops.crop_geometry import CropView
from ..scoring.generalized_answers import answers_above
from ..scoring.parts import build_reasoner, build_score_subtraction
from ..scoring.policy import ScoringPolicy, top_prior


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def parse_crop_modes(crop_mode: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """``'crop'`` -> ``('crop',)``; ``'crop+blur'`` or ``['crop', 'blur']`` -> ``('crop', 'blur')`` (scores averaged;
    any of :data:`~mmrec.models.box_crops.CROP_MODES`, e.g. ``'crop+circle'``)."""
    modes = tuple(crop_mode.split('+')) if isinstance(crop_mode, str) else tuple(crop_mode)
    unknown = [mode for mode in modes if mode not in CROP_MODES]
    if not modes or unknown:
        raise ValueError(f'crop_mode {crop_mode!r}: expected one of {CROP_MODES} or several joined by "+"')
    return modes


@MODELS.register_module()
class CLIPProposalScorer(BaseModule):
    """Score the top-K detections of one image against each of its expressions with a frozen CLIP.

    For each image: keep the ``top_k`` detections by detector score (boxes clipped to the image; boxes with no
    area inside it are dropped, counted and logged), crop each where the detector's
    :class:`~mmrec.models.crop_geometry.CropGeometry` says (one batched call per crop mode), embed crops
    and expressions, and answer each expression with the candidate of highest cosine similarity (averaged over
    the crop modes). All expressions of the image are scored in one matrix product. The fallbacks and the size
    prior are the :class:`~mmrec.models.scoring.policy.ScoringPolicy` both methods share (``policy``, with
    their counters): no usable detection -> the whole image is the single candidate; an expression without
    words (empty, blank or punctuation only) -> the detector's top candidate.

    Two steps: :meth:`crop_embeddings` (the crops and the image encoder, the costly part) and
    :meth:`score_candidates` (everything after the crop embeddings exist: size prior, score subtraction,
    detector-score fusion, spatial reasoning, the argmax), so cached crop embeddings can be re-scored with
    other settings of the latter.

    Args:
        encoder: config of a :class:`~mmrec.models.clip_encoder.BaseCLIPEncoder` (``CLIPEncoder`` by default),
            or an encoder already built (shared with other scorers, e.g. by a sweep).
        top_k: most detections scored per image; ``None`` scores them all (e.g. the annotated objects of the
            detectors' ``candidate_source='ground_truth'``, as ReCLIP does).
        crop_mode: ``'crop'`` (tight box), ``'context'`` (box plus ``context_ratio`` margin), ``'blur'``
            (image blurred outside the box), ``'circle'`` (the whole image with a red ellipse around the box,
            RedCircle) or several joined by ``'+'``, e.g. ReCLIP's ``'crop+blur'``.
        context_ratio: margin of ``'context'`` crops per side, as a fraction of the box's size.
        blur_sigma: Gaussian sigma of ``'blur'`` crops, as a fraction of the image's size.
        detector_score_weight: ``w`` in ``(1 - w) * similarity + w * detector_score``; 0 (default) is plain
            cosine argmax.
        prompt_templates: templates with one ``{}`` for the expression; the text embedding is the normalised
            mean over templates. ``('{}',)`` (default) uses the expression as is.
        reasoner: ``None`` (default: the report's method, similarity argmax) or the config of the spatial
            reasoner part both methods use, :class:`~mmrec.models.scoring.reasoning.SpatialReasoningRescorer`
            (``dict(type='SpatialReasoningRescorer', temperature=None, size_spread=..., relation_softness=...)``;
            ``type`` may be left out): ReCLIP-style geometry for expressions with location, size or relation
            words. Its ``temperature`` defaults to the CLIP's own (``1 / logit_scale``); the detector scores are
            its prior over the candidates, and its phrases are scored as the expressions are (templates, crop
            modes, score subtraction). An expression it handles is answered by the highest reasoner probability
            (the returned score).
        min_box_fraction: ReCLIP's size prior: candidates (after ``top_k``) covering less than this share of the
            image cannot be chosen and are left out of the returned candidates; when all are below it, all are
            kept. 0 (default) is off; ReCLIP uses 0.05.
        score_subtraction: ``None`` (default) or the config of the registered part
            :class:`~mmrec.models.scoring.score_subtraction.ScoreSubtraction`, e.g. ``dict(type='ScoreSubtraction',
            num_texts=500, source='dataset', seed=0)`` (``type`` may be left out; RedCircle / FGVP): every box's
            similarity to a text (expression or reasoner phrase) minus its mean similarity to a bank of the data
            set's expressions, drawn once and embedded once; by default the image's own expressions (the query
            among them) are left out of its mean (``exclude_same_image``). With ``source='dataset'`` the
            :class:`~mmrec.engine.ExpressionBankHook` (in mmrec's default runtime config) hands the evaluated
            data set's expressions over before the val/test loop.
        generalized_score_thr: ``None`` (default: one box per expression) or a score from which every candidate
            answers the expression (generalised REC, gRefCOCO: several boxes or none per expression): the
            predictions then carry ``expression_index``
            (:func:`~mmrec.models.scoring.generalized_answers.answers_above`; evaluate with ``GRECMetric``). The scores compared are the final ones (similarity, fused, or the
            reasoner's probability); an expression without words gets no box.
    """

    #: the cache contract (:mod:`mmrec.models.scoring.cached_work`): settings that do not change which texts are
    #: encoded, in which calls (not ``top_k``: with a reasoner, the number of candidates can decide which
    #: phrases are encoded). The whole config is scoring (the detector's side is the detector's config).
    TEXT_INDEPENDENT_KEYS = ('crop_mode', 'context_ratio', 'blur_sigma', 'detector_score_weight',
                             'generalized_score_thr')

    def __init__(self, encoder: Union[dict, torch.nn.Module] = dict(type='CLIPEncoder'), top_k: Optional[int] = 10,
                 crop_mode: Union[str, Sequence[str]] = 'crop', context_ratio: float = 0.2,
                 blur_sigma: float = 0.1, detector_score_weight: float = 0.0,
                 prompt_templates: Sequence[str] = ('{}',), reasoner: Optional[dict] = None,
                 min_box_fraction: float = 0.0, score_subtraction: Optional[dict] = None,
                 generalized_score_thr: Optional[float] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if top_k is not None and top_k < 1:
            raise ValueError(f'top_k must be >= 1 or None, got {top_k}')
        if not 0.0 <= detector_score_weight <= 1.0:
            raise ValueError(f'detector_score_weight must be in [0, 1], got {detector_score_weight}')
        bad_templates = [t for t in prompt_templates if t.count('{}') != 1]
        if not prompt_templates or bad_templates:
            raise ValueError(f'each prompt template needs exactly one "{{}}", got {list(prompt_templates)}')
        self.encoder = encoder if isinstance(encoder, torch.nn.Module) else MODELS.build(encoder)
        self.top_k = None if top_k is None else int(top_k)
        self.crop_modes = parse_crop_modes(crop_mode)
        self.context_ratio = context_ratio
        self.blur_sigma = blur_sigma
        self.detector_score_weight = detector_score_weight
        self.prompt_templates = tuple(prompt_templates)
        self.reasoner = build_reasoner(reasoner, self.encoder)
        #: the fallbacks and the size prior, with their counters (shared with method 1)
        self.policy = ScoringPolicy(type(self).__name__, min_box_fraction, candidates='detections')
        self.score_subtraction = build_score_subtraction(score_subtraction)
        self.generalized_score_thr = None if generalized_score_thr is None else float(generalized_score_thr)
        self.num_dropped_boxes = 0

    def select_candidates(self, detections: InstanceData, ori_shape: Sequence[int],
                          img_id: object = None) -> InstanceData:
        """The top-K usable detections, best first (ties in their given order), boxes clipped to the image
        (:func:`~mmrec.models.box_crops.clip_boxes` with ``min_size=0``); the selection rule then drops the boxes
        left with no area; the whole image if none."""
        height, width = float(ori_shape[0]), float(ori_shape[1])
        raw = get_box_tensor(detections.bboxes).reshape(-1, 4).float()
        boxes = clip_boxes(raw, ori_shape[:2], min_size=0.0)
        scores = detections.scores.float().reshape(-1) if 'scores' in detections else boxes.new_ones(len(boxes))
        # no area inside the image, or inverted (x2 < x1: the clipper would mirror it into a box nobody detected)
        usable = ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
                  & (raw[:, 2] > raw[:, 0]) & (raw[:, 3] > raw[:, 1]))
        if not bool(usable.all()):
            dropped = int((~usable).sum())
            self.num_dropped_boxes += dropped
            _warn(f'image {img_id}: dropped {dropped} detection(s) with no area inside the {width:g}x{height:g} '
                  f'image ({self.num_dropped_boxes} so far)')
            boxes, scores = boxes[usable], scores[usable]
        if len(boxes) == 0:
            boxes, scores = self.policy.whole_image(ori_shape, boxes, img_id), scores.new_zeros(1)
        order = scores.sort(descending=True, stable=True).indices[:self.top_k]
        return InstanceData(bboxes=boxes[order], scores=scores[order])

    def encode_expressions(self, texts: Sequence[str]) -> Tensor:
        """``(N, D)`` unit-length text embeddings, averaged over the prompt templates."""
        prompts = [template.format(text) for text in texts for template in self.prompt_templates]
        embeddings = self.encoder.encode_texts(prompts).view(len(texts), len(self.prompt_templates), -1)
        return self.encoder.normalize(embeddings.mean(dim=1))  # an ensemble normalises member by member

    def crop_embeddings(self, view: CropView, boxes: Tensor, image_encoder=None) -> Tensor:
        """``(M, K, D)`` embeddings of ``(K, 4)`` boxes (original image pixels) for each of the M crop modes,
        embedded by ``image_encoder`` (the detector's cached :class:`~mmrec.cache.CachedEncoder`), else
        ``self.encoder``."""
        encoder = self.encoder if image_encoder is None else image_encoder
        return torch.stack([encoder.encode_boxes(view, boxes, crop_mode=mode, context_ratio=self.context_ratio,
                                                 blur_sigma=self.blur_sigma)
                            for mode in self.crop_modes])

    def text_similarity(self, crop_embeddings: Tensor, texts: Sequence[str]) -> Tensor:
        """``(K, N)`` cosine similarity of the boxes to N texts, averaged over crop modes (so that it stays in
        [-1, 1] and ``detector_score_weight`` means the same for every ``crop_mode``)."""
        return self.embedding_similarity(crop_embeddings, self.encode_expressions(texts))

    @staticmethod
    def embedding_similarity(crop_embeddings: Tensor, text_embeddings: Tensor) -> Tensor:
        """``(K, N)`` similarity of ``(M, K, D)`` crop embeddings to ``(N, D)`` text embeddings, averaged over the
        M crop modes."""
        return (crop_embeddings @ text_embeddings.to(crop_embeddings.device).T).mean(dim=0)

    @property
    def needs_expression_bank(self) -> bool:
        """Whether ``score_subtraction`` waits for the data set's expressions (``source='dataset'``)."""
        return self.score_subtraction is not None and self.score_subtraction.source == 'dataset'

    def set_expression_bank(self, expressions: Sequence[Tuple[object, str]], origin: str = 'the data set') -> None:
        """Hand the data set's ``(img_id, text)`` expressions to ``score_subtraction`` (a no-op without it);
        called by :class:`~mmrec.engine.ExpressionBankHook`."""
        if self.score_subtraction is not None:
            self.score_subtraction.set_expressions(expressions, origin)

    def clip_scores(self, crop_embeddings: Tensor, texts: Sequence[str], img_id: object = None) -> Tensor:
        """``(K, N)`` scores of the boxes for N texts: :meth:`text_similarity`, minus each box's mean
        similarity to the expression bank with ``score_subtraction``."""
        scores = self.text_similarity(crop_embeddings, texts)
        if self.score_subtraction is None:
            return scores
        bank = self.score_subtraction.mean_bank_similarity(
            lambda embeddings: self.embedding_similarity(crop_embeddings, embeddings), self.encode_expressions, img_id)
        return scores - bank[:, None]

    @torch.no_grad()
    def forward(self, view: CropView, detections: InstanceData, texts: Sequence[str],
                img_meta: dict, image_encoder=None) -> Tuple[InstanceData, InstanceData]:
        """Answer every expression of one image.

        Args:
            view: the image as the crops see it (the detector's
                :meth:`~mmrec.models.crop_geometry.CropGeometry.view_of`).
            detections: ``bboxes`` (M, 4) in original image pixels and ``scores`` (M,).
            texts: the image's N expressions.
            img_meta: mmdet metainfo with ``ori_shape`` (and ``img_id``, for the logs and ``score_subtraction``).
            image_encoder: what embeds the crops in place of ``encoder`` (:meth:`crop_embeddings`).

        Returns:
            ``(predictions, candidates)``: ``bboxes`` (N, 4) and ``scores`` (N,) answering ``texts`` in order
            (score: the similarity used for the choice, or the detector score for an empty expression),
            ``reasoned`` (N,) bool (whether the spatial reasoner answered the expression rather than CLIP), and
            the K candidates considered (``bboxes`` (K, 4), detector ``scores`` (K,)), in original pixels.
        """
        candidates = self.select_candidates(detections, img_meta['ori_shape'], img_meta.get('img_id'))
        texts = list(texts)
        if not texts:
            return (InstanceData(bboxes=candidates.bboxes[:0], scores=candidates.scores[:0],
                                 reasoned=torch.zeros(0, dtype=torch.bool)), candidates)
        crop_embeddings = self.crop_embeddings(view, candidates.bboxes.to(view.pixels.device), image_encoder)
        return self.score_candidates(candidates, crop_embeddings, texts, img_meta)

    @torch.no_grad()
    def score_candidates(self, candidates: InstanceData, crop_embeddings: Tensor, texts: Sequence[str],
                         img_meta: dict) -> Tuple[InstanceData, InstanceData]:
        """:meth:`forward` after the crops are embedded: the K candidates (:meth:`select_candidates`), their
        ``(M, K, D)`` :meth:`crop_embeddings` and the image's N (>= 1) expressions -> ``(predictions,
        candidates)`` as :meth:`forward` returns them (without the candidates the size prior drops)."""
        texts = list(texts)
        keep = self.policy.size_prior(candidates.bboxes, img_meta['ori_shape'][:2])
        if keep is not None:
            candidates, crop_embeddings = candidates[keep], crop_embeddings[:, keep.to(crop_embeddings.device)]
        boxes = candidates.bboxes.to(crop_embeddings.device)
        img_id = img_meta.get('img_id')
        scores = self.clip_scores(crop_embeddings, texts, img_id).to(candidates.scores.device)
        if self.detector_score_weight > 0:
            w = self.detector_score_weight
            scores = (1 - w) * scores + w * candidates.scores[:, None]
        reasoned = torch.zeros(len(texts), dtype=torch.bool, device=scores.device)
        if self.reasoner is not None:
            scores, reasoned = self.reasoner(scores.T, texts, boxes,
                                             lambda phrases: self.clip_scores(crop_embeddings, phrases, img_id).T,
                                             tuple(img_meta['ori_shape'][:2]), prior=candidates.scores)
            scores = scores.T
        if self.generalized_score_thr is not None:  # an expression without words: no box (not counted)
            answerable = self.policy.answerable(texts, count=False)
            return answers_above(scores, candidates.bboxes, self.generalized_score_thr, reasoned,
                                 torch.tensor(answerable, dtype=torch.bool)), candidates
        answerable = self.policy.answerable(texts, img_id, fallback="the detector's top box")
        best_scores, best = scores.max(dim=0)
        empty = [index for index, ok in enumerate(answerable) if not ok]
        if empty:
            top, top_score = top_prior(candidates.scores)
            best[empty] = top.to(best.device)
            best_scores[empty] = top_score.to(best_scores)
        return InstanceData(bboxes=candidates.bboxes[best], scores=best_scores, reasoned=reasoned), candidates
