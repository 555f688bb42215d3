"""Where the REC models' candidate boxes come from: the detector, or the image's annotated objects.

ReCLIP's "ground-truth boxes" setting scores every annotated object of the image (``instances.json``) instead
of a detector's output: the referred object is always among the candidates, so the accuracy measures the
scorer alone (the proposal upper bound is 100%) and the gap to the detector setting is the detector's share of
the errors. The boxes reach a model as the data sample's ``gt_candidates`` (``REFERDataset(with_candidates=
True)``, packed by ``PackRECInputs``), in original image pixels. Both methods' REC detectors read them here.
"""
from typing import Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from .candidates import GT_CANDIDATES_FIELD

#: Values of the REC detectors' ``candidate_source``.
CANDIDATE_SOURCES: Tuple[str, ...] = ('detector', 'ground_truth')


def check_candidate_source(candidate_source: str, owner: str) -> str:
    """``candidate_source`` when it is one of :data:`CANDIDATE_SOURCES`, else a ``ValueError`` naming ``owner``."""
    if candidate_source not in CANDIDATE_SOURCES:
        raise ValueError(f'{owner}: candidate_source must be one of {CANDIDATE_SOURCES}, got {candidate_source!r}')
    return candidate_source


def ground_truth_candidates(data_sample: DetDataSample) -> InstanceData:
    """The sample's annotated objects as candidates of uniform prior score.

    Args:
        data_sample: a packed sample whose ``gt_candidates`` holds ``bboxes`` (M, 4) in original image pixels.

    Returns:
        ``bboxes`` (M, 4) float in original image pixels and ``scores`` (M,) all 1.0, in the dataset's order.

    Raises:
        ValueError: naming the sample, when it carries no ``gt_candidates`` (the dataset was not asked).
    """
    candidates = data_sample.get(GT_CANDIDATES_FIELD, None)
    if candidates is None:
        name = data_sample.metainfo.get('img_path') or data_sample.metainfo.get('img_id', '?')
        raise ValueError(f"sample {name} has no {GT_CANDIDATES_FIELD}, but the model's candidate_source is "
                         "'ground_truth': build the test dataset with REFERDataset(with_candidates=True) (e.g. "
                         '--cfg-options test_dataloader.dataset.with_candidates=True) and end the pipeline with '
                         'PackRECInputs')
    boxes = candidates.bboxes.float().reshape(-1, 4)
    return InstanceData(bboxes=boxes, scores=torch.ones(len(boxes), device=boxes.device))
