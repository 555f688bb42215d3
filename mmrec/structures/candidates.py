"""The image's annotated objects as REC candidates: how ``PackRECInputs`` packs them into a data sample and the
field the models read them from (below both :mod:`mmrec.datasets` and :mod:`mmrec.models`)."""
from typing import Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData


def pack_candidates(candidates: Sequence[dict]) -> InstanceData:
    """``REFERDataset``'s ``candidates`` (``[dict(bbox=xyxy, ann_id, category_id), ...]``) as ``InstanceData``.

    Returns:
        ``bboxes`` (M, 4) float32 in original image pixels, ``ann_ids`` (M,) int64 and ``category_ids`` (M,)
        int64 (-1 where the annotation has none, or an id that is not an integer: RefClef's annotation ids are
        strings such as ``'25158_1'``), in the dataset's order.
    """
    boxes = np.array([c['bbox'] for c in candidates], dtype=np.float32).reshape(-1, 4)
    return InstanceData(
        bboxes=torch.from_numpy(boxes),
        ann_ids=torch.tensor([_integer_id(c.get('ann_id')) for c in candidates], dtype=torch.long),
        category_ids=torch.tensor([_integer_id(c.get('category_id')) for c in candidates], dtype=torch.long))


def _integer_id(value) -> int:
    """An integer id as int; -1 for None or an id of another kind (a string)."""
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else -1


#: The data sample field holding the image's annotated objects (``REFERDataset(with_candidates=True)``).
GT_CANDIDATES_FIELD = 'gt_candidates'
