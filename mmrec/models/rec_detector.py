"""A two-stage mmdet detector whose detections are re-ranked per expression by a REC scorer (method 2)."""
import logging
from typing import List

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from .scoring.cached_work import CachedWorkMixin
from .crops.crop_geometry import CropGeometry, to_input
from .gt_candidates import check_candidate_source, ground_truth_candidates


@MODELS.register_module()
class RECTwoStageDetector(CachedWorkMixin, TwoStageDetector):
    """Faster R-CNN (or any two-stage detector config) + a scorer choosing one detection per expression.

    It *is* the detector (same ``backbone``/``neck``/``rpn_head``/``roi_head`` keys), so a checkpoint of the
    plain detector -- e.g. from ``configs/detector/`` -- loads into it unchanged; ``scorer`` adds a
    :class:`~mmrec.models.CLIPProposalScorer` whose frozen CLIP weights come from its own config.

    Per image, the detector runs once, the scorer crops and embeds its top-K detections once, and all the
    image's expressions (``metainfo['texts']``) are scored in one matrix product. ``predict`` returns, per
    sample, ``pred_instances`` (one box and score per expression, in order) and ``candidates`` (the boxes
    chosen from), both in original image pixels when ``rescale=True`` (the layout in ``docs/design.md``).

    Only the detector can be trained, and with its own config (``configs/detector/``): ``loss`` refuses.

    Inference is :meth:`image_work` (the candidates, cacheable) then :meth:`score_samples` (the scorer), see
    :mod:`mmrec.models.cached_work`: everything in ``scorer`` is scoring, the rest decides the candidates.

    Args (besides mmdet's ``TwoStageDetector``'s):
        scorer: config of the :class:`~mmrec.models.CLIPProposalScorer`.
        candidate_source: ``'detector'`` (default): the scorer chooses among the detector's detections;
            ``'ground_truth'``: among the image's annotated objects (the data sample's ``gt_candidates``, from
            ``REFERDataset(with_candidates=True)``) with a uniform prior score of 1.0, and the detector network
            is not run (ReCLIP's ground-truth boxes setting: scorer errors without detector errors). The
            scorer's ``top_k`` still applies; ``None`` scores every annotated object, as ReCLIP does.
    """

    CACHE_SCORING_KEYS = ('scorer', )
    CACHE_SCORING_MODULES = ('scorer.', )
    SCORING_MODULE = 'scorer'
    SCORING_ENCODER = 'scorer.encoder'
    # (not top_k: with spatial reasoning, the number of candidates can decide which phrases are encoded)
    TEXT_INDEPENDENT_KEYS = ('crop_mode', 'context_ratio', 'blur_sigma', 'detector_score_weight')

    def __init__(self, backbone: ConfigType, rpn_head: ConfigType, roi_head: ConfigType, train_cfg: ConfigType,
                 test_cfg: ConfigType, scorer: ConfigType, neck: OptConfigType = None,
                 data_preprocessor: OptConfigType = None, candidate_source: str = 'detector',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.scorer = MODELS.build(scorer)
        #: where the scorer's crops come from and how its boxes (original pixels) map to them
        self.crop_geometry = CropGeometry.for_detector(self.data_preprocessor, self.scorer.encoder)
        self.candidate_source = check_candidate_source(candidate_source, type(self).__name__)
        if self.candidate_source == 'ground_truth' and self.scorer.top_k is not None:
            print_log(f"RECTwoStageDetector: candidate_source='ground_truth' with scorer top_k={self.scorer.top_k}: "
                      'the annotated objects all score 1.0, so only the first top_k of each image (in file order) '
                      'are scored; top_k=None scores them all', logger='current', level=logging.WARNING)

    def loss(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> dict:
        raise NotImplementedError(
            'RECTwoStageDetector has nothing to train: its CLIP is frozen. Fine-tune the detector with '
            '`tools/train.py configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py` and pass the checkpoint '
            'to `tools/test.py configs/method2.py CHECKPOINT`.')

    def predict(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """One box per expression for every sample (see the class docstring for the output layout)."""
        candidates = self.image_work(batch_inputs, batch_data_samples)
        return self.score_samples(self.scorer, batch_inputs, batch_data_samples, candidates, rescale)

    def score_samples(self, scorer: torch.nn.Module, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                      candidates: List[InstanceData], rescale: bool = True) -> List[DetDataSample]:
        """Fill ``pred_instances`` and ``candidates`` of every sample with ``scorer``'s answers among the
        samples' ``candidates`` (:meth:`image_work`); returns the samples."""
        for sample in batch_data_samples:
            if 'texts' not in sample.metainfo:
                raise KeyError(f'sample {sample.metainfo.get("img_path", "?")} has no "texts" in its metainfo: '
                               'the test pipeline must end with PackRECInputs')
        geometry = self.geometry_for(scorer.encoder)
        for image, sample, boxes in zip(batch_inputs, batch_data_samples, candidates):
            predictions, chosen_from = scorer(self.crop_view(geometry, image, sample), boxes,
                                              sample.metainfo['texts'], sample.metainfo)
            if not rescale:  # back to input pixels
                scale_factor = sample.metainfo['scale_factor']
                predictions.bboxes = to_input(predictions.bboxes, scale_factor)
                chosen_from.bboxes = to_input(chosen_from.bboxes, scale_factor)
            sample.pred_instances = predictions
            sample.candidates = chosen_from
        return batch_data_samples

    def image_work(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[InstanceData]:
        """The candidates of every sample (:meth:`candidate_boxes`), the detector's read from the cache when
        the model has one (the annotated objects are never cached: they cost nothing)."""
        if self.candidate_source == 'ground_truth':
            return self.candidate_boxes(batch_inputs, batch_data_samples)

        def detect() -> List[dict]:
            return [dict(bboxes=get_box_tensor(found.bboxes).float().reshape(-1, 4), scores=found.scores.float())
                    for found in self.candidate_boxes(batch_inputs, batch_data_samples)]

        return [InstanceData(**entry) for entry in self.cached_detections(batch_inputs, batch_data_samples, detect)]

    def build_scoring_module(self, model_cfg: dict, encoder: torch.nn.Module) -> torch.nn.Module:
        """A scorer built from ``model_cfg['scorer']`` around an already built ``encoder`` (a sweep point)."""
        return MODELS.build(dict(model_cfg['scorer'], encoder=encoder))

    def candidate_boxes(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[InstanceData]:
        """Per sample, the boxes the scorer chooses from: ``bboxes`` (M, 4) in original image pixels and
        ``scores`` (M,): the detector's detections, or the annotated objects with score 1.0 (``candidate_source``).
        """
        if self.candidate_source == 'ground_truth':
            return [ground_truth_candidates(sample) for sample in batch_data_samples]
        # the scorer's crop view maps original pixels to where it crops
        detected = super().predict(batch_inputs, batch_data_samples, rescale=True)
        return [sample.pred_instances for sample in detected]
