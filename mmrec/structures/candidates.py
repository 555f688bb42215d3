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
        int64 (-1 where the annotation has none), in the dataset's order.
    """
    boxes = np.array([c['bbox'] for c in candidates], dtype=np.float32).reshape(-1, 4)
    return InstanceData(
        bboxes=torch.from_numpy(boxes),
        ann_ids=torch.tensor([int(c['ann_id']) for c in candidates], dtype=torch.long),
        category_ids=torch.tensor([-1 if c.get('category_id') is None else int(c['category_id'])
                                   for c in candidates], dtype=torch.long))


#: The data sample field holding the image's annotated objects (``REFERDataset(with_candidates=True)``).
GT_CANDIDATES_FIELD = 'gt_candidates'
