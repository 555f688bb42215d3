"""The RoI head of method 1: routes RoI features, the expressions and the input image to the text head.

mmdet's ``StandardRoIHead`` classifies RoIs into fixed classes and never sees the text or the pixels; this
head keeps its parts (RoI extractor, assigner, sampler) and hands the
:class:`~mmrec.models.method1.text_conditioned_bbox_head.CLIPTextConditionedHead` what it needs: in training the sampled
RoIs' features, the expressions and their targets; in inference (:meth:`TextConditionedRoIHead.image_work`)
per image the proposals with their objectness and, with the branch, its outputs. The detector then scores
each image with the head's ``score_image`` and the image's :class:`~mmrec.models.crops.crop_geometry.CropView`.
"""
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor



def unique_referred_boxes(boxes: Tensor) -> Tensor:
    """The distinct rows of ``(E, 4)`` referred boxes (several expressions often name the same object)."""
    return torch.unique(boxes, dim=0) if len(boxes) else boxes


def text_targets(gt_inds: Tensor, expression_gt: Tensor) -> Tensor:
    """``(E, R)`` targets of the branch's text logits from an assignment of R RoIs.

    Args:
        gt_inds: ``(R,)`` mmdet's assigned ground-truth index per RoI: ``i + 1`` for a positive of ground
            truth ``i``, 0 for a negative, -1 for an RoI the assigner ignores (a sampler never returns those,
            but an assignment of all RoIs has them).
        expression_gt: ``(E,)`` index of each expression's referred box among those ground truths.

    Returns:
        1 where the RoI is a positive of the expression's referred box, -1 where it is ignored, else 0. An RoI
        is assigned to one referred box only (its best overlap), so it is a negative of the other expressions
        even when it also overlaps their boxes by more than the positive threshold.
    """
    positive = gt_inds[None, :] == expression_gt[:, None].to(gt_inds) + 1
    ignored = (gt_inds < 0)[None, :]
    return torch.where(ignored, torch.full_like(positive, -1, dtype=torch.float), positive.float())


def sampled_gt_inds(result: SamplingResult) -> Tensor:
    """``(R,)`` assigned ground-truth index (1-based, 0 for negatives) of a ``SamplingResult``'s priors
    (positives first, then negatives)."""
    pos = result.pos_assigned_gt_inds.long() + 1
    return torch.cat([pos, pos.new_zeros(len(result.neg_priors))])


@MODELS.register_module()
class TextConditionedRoIHead(BaseModule):
    """RoI head whose box predictor is conditioned on the expressions (method 1).

    Args:
        bbox_head: config of the :class:`~mmrec.models.method1.text_conditioned_bbox_head.CLIPTextConditionedHead`.
        bbox_roi_extractor: RoI feature extractor (e.g. ``SingleRoIExtractor``); may be ``None`` when the
            head has no trainable branch.
        train_cfg: ``assigner`` and ``sampler`` of the RoIs the branch is trained on, sampled against the
            image's distinct referred boxes (mmdet's ``rcnn`` train settings): the assignment gives both the
            regression targets and the text targets (:func:`text_targets`), so its IoU thresholds are the
            only ones.
        test_cfg: unused (the head's settings live in ``bbox_head``); accepted because mmdet's two-stage
            detector passes ``test_cfg.rcnn``.
    """

    def __init__(self, bbox_head: dict, bbox_roi_extractor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.bbox_head = MODELS.build(bbox_head)
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor) if bbox_roi_extractor else None
        if self.bbox_head.with_branch and self.bbox_roi_extractor is None:
            raise ValueError('TextConditionedRoIHead: the head has a trainable branch, so bbox_roi_extractor '
                             'must be given')
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.bbox_assigner = self.bbox_sampler = None
        if train_cfg is not None and self.bbox_head.with_branch:
            self.bbox_assigner = TASK_UTILS.build(train_cfg['assigner'])
            self.bbox_sampler = TASK_UTILS.build(train_cfg['sampler'], default_args=dict(context=self))

    @property
    def with_bbox(self) -> bool:
        return True

    def _roi_features(self, x: Tuple[Tensor], boxes: List[Tensor]) -> Tensor:
        rois = bbox2roi(boxes)
        return self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)

    def forward(self, x: Tuple[Tensor], rpn_results_list: List[InstanceData],
                batch_data_samples: Optional[List[DetDataSample]] = None) -> tuple:
        """Tensor mode: the branch's RoI embeddings and box deltas of all proposals."""
        if not self.bbox_head.with_branch:
            return ()
        return self.bbox_head(self._roi_features(x, [get_box_tensor(r.bboxes) for r in rpn_results_list]))

    def loss(self, x: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: List[DetDataSample]) -> dict:
        """Losses of the trainable branch (empty without one).

        ``gt_instances.bboxes`` row i of a sample is the box referred to by ``metainfo['texts'][i]``.
        """
        if not self.bbox_head.with_branch:
            return dict()
        if self.bbox_assigner is None:
            raise RuntimeError('TextConditionedRoIHead.loss needs train_cfg.rcnn with an assigner and a sampler')
        sampling_results, batch_texts, batch_targets = [], [], []
        for i, (proposals, sample) in enumerate(zip(rpn_results_list, batch_data_samples)):
            referred = get_box_tensor(sample.gt_instances.bboxes).float()
            texts = list(sample.metainfo.get('texts', []))
            if len(texts) != len(referred):
                raise ValueError(f'sample {sample.metainfo.get("img_path", i)} has {len(texts)} texts but '
                                 f'{len(referred)} referred boxes; the pipeline must end with PackRECInputs')
            targets, expression_gt = (torch.unique(referred, dim=0, return_inverse=True) if len(referred)
                                      else (referred, referred.new_zeros(0, dtype=torch.long)))
            gt = InstanceData(bboxes=targets, labels=targets.new_zeros(len(targets), dtype=torch.long))
            priors = InstanceData(priors=get_box_tensor(proposals.bboxes).detach())
            assign_result = self.bbox_assigner.assign(priors, gt)
            result = self.bbox_sampler.sample(assign_result, priors, gt, feats=[level[i][None] for level in x])
            sampling_results.append(result)
            batch_texts.append(texts)
            batch_targets.append(text_targets(sampled_gt_inds(result), expression_gt))
        roi_feats = self._roi_features(x, [result.priors for result in sampling_results])
        return self.bbox_head.loss(roi_feats, sampling_results, batch_texts, batch_targets)

    def image_work(self, x: Optional[Tuple[Tensor]], rpn_results_list: List[InstanceData]) -> List[InstanceData]:
        """Per image, the head's scoring-independent work (``CLIPTextConditionedHead.image_work``): proposals,
        objectness and, with the branch, its outputs on the proposals' RoI features."""
        roi_feats = [None] * len(rpn_results_list)
        if self.bbox_head.with_branch:
            boxes = [get_box_tensor(r.bboxes) for r in rpn_results_list]
            roi_feats = list(self._roi_features(x, boxes).split([len(b) for b in boxes]))
        return [self.bbox_head.image_work(proposals, feats) for proposals, feats in zip(rpn_results_list, roi_feats)]
