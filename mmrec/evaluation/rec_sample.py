"""Read a REC prediction (one image, all its expressions) into plain arrays.

The metric and the visualisation hook both need "expression i, its gt box, its
predicted box" from a model output. Outputs reach them in two shapes: a
``DetDataSample`` (hooks) or the dict from ``DetDataSample.to_dict()``
(``mmengine.evaluator.Evaluator.process`` converts before calling metrics);
both answer ``.get(key)`` for metainfo and data fields alike, which is all
this module relies on. The layout is the one fixed in ``docs/design.md``.
"""
from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np

from .iou import as_boxes


@dataclass
class RECSample:
    """One image's expressions with their predictions, boxes in original pixels.

    Attributes:
        img_id: the image id (``None`` when the sample has none).
        img_path: path of the original image (``None`` when unknown).
        expressions: the per-expression dicts of the data sample's metainfo
            (``text``, ``bbox``, ``ref_id``, ``sent_id``, ``ann_id``, ``split``,
            ``kind``, ...); an expression without a dict gets ``{'text': ...}``.
        pred_bboxes: (N, 4) predicted boxes, row i answers expression i.
        pred_scores: (N,) scores, or ``None`` when the prediction has none.
        candidate_bboxes: (K, 4) boxes the model chose from, or ``None``.
        candidate_expressions: (K,) index of the expression each candidate belongs to when the candidates
            differ per expression (the model's ``candidates.expression_index``), else ``None`` (all shared).
    """

    img_id: Any
    img_path: Optional[str]
    expressions: List[dict]
    pred_bboxes: np.ndarray
    pred_scores: Optional[np.ndarray]
    candidate_bboxes: Optional[np.ndarray]
    candidate_expressions: Optional[np.ndarray] = None

    def describe(self) -> str:
        """Name the sample in error messages."""
        return f'img_id={self.img_id!r} (img_path={self.img_path!r})'


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _expressions_of(sample: Any) -> List[dict]:
    expressions = sample.get('expressions')
    texts = sample.get('texts')
    if expressions is None and texts is None:
        return []
    if expressions is None:
        return [dict(text=text) for text in texts]
    expressions = [dict(expression) for expression in expressions]
    if texts is not None:
        if len(texts) != len(expressions):
            raise ValueError(
                f'sample img_id={sample.get("img_id")!r} has {len(texts)} texts '
                f'but {len(expressions)} expressions')
        for expression, text in zip(expressions, texts):
            expression.setdefault('text', text)
    return expressions


def unpack_rec_sample(sample: Any) -> RECSample:
    """Unpack a REC output (``DetDataSample`` or its ``to_dict()``).

    Raises:
        ValueError: naming the image when the prediction is missing or its
            number of boxes (or scores) differs from the number of expressions.
    """
    img_id, img_path = sample.get('img_id'), sample.get('img_path')
    expressions = _expressions_of(sample)
    name = f'img_id={img_id!r} (img_path={img_path!r})'

    pred_instances = sample.get('pred_instances')
    if pred_instances is None or pred_instances.get('bboxes') is None:
        raise ValueError(f'REC sample {name} has no pred_instances.bboxes')
    pred_bboxes = as_boxes(pred_instances.get('bboxes'))
    if len(pred_bboxes) != len(expressions):
        raise ValueError(
            f'REC sample {name} has {len(pred_bboxes)} predicted boxes for '
            f'{len(expressions)} expressions; a REC model must return exactly '
            f'one box per expression, in the order of metainfo "texts"')

    pred_scores = pred_instances.get('scores')
    if pred_scores is not None:
        pred_scores = _to_numpy(pred_scores).reshape(-1)
        if len(pred_scores) != len(expressions):
            raise ValueError(
                f'REC sample {name} has {len(pred_scores)} scores for '
                f'{len(expressions)} expressions')

    candidates = sample.get('candidates')
    candidate_bboxes = candidate_expressions = None
    if candidates is not None and candidates.get('bboxes') is not None:
        candidate_bboxes = as_boxes(candidates.get('bboxes'))
        if candidates.get('expression_index') is not None:
            candidate_expressions = _to_numpy(candidates.get('expression_index')).astype(np.int64).reshape(-1)
            if len(candidate_expressions) != len(candidate_bboxes):
                raise ValueError(f'REC sample {name} has {len(candidate_expressions)} candidate expression '
                                 f'indices for {len(candidate_bboxes)} candidate boxes')

    return RECSample(
        img_id=img_id,
        img_path=img_path,
        expressions=expressions,
        pred_bboxes=pred_bboxes,
        pred_scores=pred_scores,
        candidate_bboxes=candidate_bboxes,
        candidate_expressions=candidate_expressions)
