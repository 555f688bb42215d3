"""Method 1's REC detector: Faster R-CNN whose ROI box predictor is the ``CLIPTextConditionedHead``."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import check_candidate_source, ground_truth_candidates
from ..scoring.cached_work import CachedWorkMixin
from ..crops.crop_geometry import CropGeometry, to_input, to_original
from .text_conditioned_bbox_head import CLIPTextConditionedHead
from .text_conditioned_roi_head import unique_referred_boxes


@MODELS.register_module()
class TextConditionedRCNN(CachedWorkMixin, TwoStageDetector):
    """Faster R-CNN for REC with a text-conditioned RoI head (``TextConditionedRoIHead``).

    The configuration keys are those of mmdet's Faster R-CNN, so its COCO checkpoints load (backbone, neck,
    RPN, and the shared fcs of the box head into the head's trainable branch).

    Training (``loss``): the RPN learns to propose the referred objects (the distinct referred boxes of the
    image are its class-agnostic targets) and the head's branch learns to match RoIs to expressions.
    Inference (``predict``): one box per expression of ``metainfo['texts']``, plus the candidates, in
    original image pixels with ``rescale=True`` (the layout of ``docs/design.md``).
    As in mmdet's two-stage detectors, data samples that carry ``proposals`` (``InstanceData`` with
    ``bboxes`` in input pixels and ``scores``) give the RoI head those instead of the RPN's (the RPN is
    still trained), e.g. precomputed proposals.

    Args:
        frozen_modules: names of sub-modules kept fixed (no gradient, eval mode), e.g. ``('backbone',
            'neck')`` to fine-tune only the RPN and the branch.
        candidate_source: the proposals scored at inference: ``'detector'`` (default: the RPN's, or the samples'
            own ``proposals``) or ``'ground_truth'``: the image's annotated objects (the data sample's
            ``gt_candidates``, from ``REFERDataset(with_candidates=True)``) with uniform objectness 1.0, so
            that the head's choice is measured without the RPN's misses (ReCLIP's ground-truth boxes
            setting). The RPN is not run, nor the backbone when the head has no branch. With
            ``refine_boxes=False`` and the local search off, every answer is one of the annotated boxes.
            Training is unaffected.

    Inference is :meth:`image_work` (proposals, objectness and the branch's outputs: cacheable) then
    :meth:`score_samples` (the head's CLIP scoring, blend, reasoning and local search), see
    :mod:`mmrec.models.scoring.cached_work`.
    """

    # the head declares which of its settings are scoring and text-independent, next to its constructor
    CACHE_SCORING_KEYS = tuple(f'roi_head.bbox_head.{name}' for name in CLIPTextConditionedHead.SCORING_ARGS)
    CACHE_SCORING_MODULES = ('roi_head.bbox_head.encoder.', )
    SCORING_MODULE = 'roi_head.bbox_head'
    SCORING_ENCODER = 'roi_head.bbox_head.encoder'
    TEXT_INDEPENDENT_KEYS = CLIPTextConditionedHead.TEXT_INDEPENDENT_KEYS

    def __init__(self, backbone: ConfigType, rpn_head: ConfigType, roi_head: ConfigType, train_cfg: ConfigType,
                 test_cfg: ConfigType, neck: OptConfigType = None, data_preprocessor: OptConfigType = None,
                 frozen_modules: Sequence[str] = (), candidate_source: str = 'detector',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        unknown = [name for name in frozen_modules if not isinstance(getattr(self, name, None), torch.nn.Module)]
        if unknown:
            raise ValueError(f'TextConditionedRCNN: frozen_modules {unknown} are not sub-modules')
        self.frozen_modules = tuple(frozen_modules)
        for name in self.frozen_modules:
            getattr(self, name).requires_grad_(False)
        self.candidate_source = check_candidate_source(candidate_source, type(self).__name__)
        #: where the head's CLIP crops come from and how its boxes map to them
        self.crop_geometry = CropGeometry.for_detector(self.data_preprocessor, self.roi_head.bbox_head.encoder)

    def train(self, mode: bool = True) -> 'TextConditionedRCNN':
        super().train(mode)
        for name in self.frozen_modules:
            getattr(self, name).eval()
        return self

    @staticmethod
    def _check_texts(batch_data_samples: List[DetDataSample]) -> None:
        for sample in batch_data_samples:
            if 'texts' not in sample.metainfo:
                raise KeyError(f'sample {sample.metainfo.get("img_path", "?")} has no "texts" in its metainfo: '
                               'the pipeline must end with PackRECInputs')

    @staticmethod
    def _given_proposals(batch_data_samples: List[DetDataSample]) -> Optional[List[InstanceData]]:
        """The samples' own ``proposals`` when every sample has them, else ``None``."""
        proposals = [sample.get('proposals', None) for sample in batch_data_samples]
        return None if any(p is None for p in proposals) else proposals

    @staticmethod
    def _ground_truth_proposals(sample: DetDataSample) -> InstanceData:
        """The sample's annotated objects as proposals: ``bboxes`` (M, 4) in input pixels, ``scores`` (M,) 1.0."""
        proposals = ground_truth_candidates(sample)
        proposals.bboxes = to_input(proposals.bboxes, sample.metainfo['scale_factor'])
        return proposals

    def loss(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> dict:
        """RPN losses (targets: the distinct referred boxes) and the RoI head's branch losses."""
        self._check_texts(batch_data_samples)
        x = self.extract_feat(batch_inputs)
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for sample in rpn_data_samples:
            boxes = unique_referred_boxes(get_box_tensor(sample.gt_instances.bboxes))
            sample.gt_instances = sample.gt_instances.new(
                bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long, device=boxes.device))
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(x, rpn_data_samples,
                                                                      proposal_cfg=proposal_cfg)
        rpn_results_list = self._given_proposals(batch_data_samples) or rpn_results_list
        losses = {(key if 'rpn' in key or 'loss' not in key else f'rpn_{key}'): value
                  for key, value in rpn_losses.items()}
        losses.update(self.roi_head.loss(x, rpn_results_list, batch_data_samples))
        return losses

    def predict(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """Fill ``pred_instances`` (one box and score per expression) and ``candidates`` of every sample."""
        self._check_texts(batch_data_samples)
        works = self.image_work(batch_inputs, batch_data_samples)
        return self.score_samples(self.roi_head.bbox_head, batch_inputs, batch_data_samples, works, rescale)

    def image_work(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[InstanceData]:
        """Per sample, the head's scoring-independent work (proposals in input pixels, objectness, branch
        outputs), from the cache when the model has one. Proposals given with the samples and the annotated
        objects (``candidate_source='ground_truth'``) are not cached."""
        if self.candidate_source == 'ground_truth':
            # the backbone's features serve only the branch's RoI features
            x = self.extract_feat(batch_inputs) if self.roi_head.bbox_head.with_branch else None
            rpn_results_list = [self._ground_truth_proposals(sample) for sample in batch_data_samples]
            return self.roi_head.image_work(x, rpn_results_list)
        given = self._given_proposals(batch_data_samples)
        if given is not None:
            return self.roi_head.image_work(self.extract_feat(batch_inputs), given)

        def propose() -> List[dict]:
            x = self.extract_feat(batch_inputs)
            rpn_results_list = self.rpn_head.predict(x, batch_data_samples, rescale=False)
            return [dict(work.items()) for work in self.roi_head.image_work(x, rpn_results_list)]

        return [InstanceData(**entry) for entry in self.cached_detections(batch_inputs, batch_data_samples, propose)]

    def score_samples(self, head: torch.nn.Module, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                      works: List[InstanceData], rescale: bool = True) -> List[DetDataSample]:
        """Fill ``pred_instances`` and ``candidates`` of every sample with ``head``'s answers from the samples'
        :meth:`image_work`; returns the samples."""
        self._check_texts(batch_data_samples)
        geometry, image_encoder = self.geometry_for(head.encoder), self.crop_encoder(head.encoder)
        for image, sample, work in zip(batch_inputs, batch_data_samples, works):
            predictions, candidates = head.score_image(geometry.view_of(image, sample), work,
                                                       sample.metainfo['texts'], image_encoder=image_encoder)
            if rescale:  # input pixels -> original image pixels
                predictions.bboxes = to_original(predictions.bboxes, sample.metainfo['scale_factor'])
                candidates.bboxes = to_original(candidates.bboxes, sample.metainfo['scale_factor'])
            sample.pred_instances = predictions
            sample.candidates = candidates
        return batch_data_samples

    def build_scoring_module(self, model_cfg: dict, encoder: torch.nn.Module) -> torch.nn.Module:
        """A head built from ``model_cfg['roi_head']['bbox_head']`` around an already built ``encoder``, with
        this model's branch weights (a sweep point)."""
        head = MODELS.build(dict(model_cfg['roi_head']['bbox_head'], encoder=encoder))
        head.load_state_dict(self.roi_head.bbox_head.state_dict())
        return head

    def _forward(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> Tuple:
        """Tensor mode: RPN outputs and the branch's outputs on the proposals."""
        x = self.extract_feat(batch_inputs)
        rpn_results_list = self.rpn_head.predict(x, batch_data_samples, rescale=False)
        return (self.rpn_head.forward(x), ) + tuple(self.roi_head.forward(x, rpn_results_list))
