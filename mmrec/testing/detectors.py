"""A detector test double with known detections, closed-set or text-prompted, for :class:`RECDetector` tests.

:class:`NamedBoxesDetector` "detects" a fixed list of named boxes (fractions of the image size): closed-set,
every box; given a text (a grounding detector's ``data_sample.text``), the boxes whose name is a word of the
text, so "the left lion" with three lions and a zebra returns the three lions. Everything around it (the
prompts, the candidate sets, the scorer, the cache, the metric) is the real code. Importing
:mod:`mmrec.testing` registers it in mmdet's ``MODELS``.
"""
import re
from typing import List, Optional, Sequence

import torch
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmengine.structures import InstanceData


@MODELS.register_module()
class NamedBoxesDetector(BaseDetector):
    """A detector returning known boxes (test double).

    Args:
        boxes: ``[x1, y1, x2, y2]`` per box, as fractions of the original image's width and height.
        names: one word per box (e.g. ``'lion'``); a text prompt selects the boxes whose name it contains.
        language_model: any non-``None`` value makes it a text-prompted (grounding) detector, as a
            ``language_model`` config makes mmdet's GroundingDINO one; not built.

    Attributes:
        prompts_seen: every text it was asked, in order (``None`` for a closed-set call), to count its runs.
    """

    def __init__(self, boxes: Sequence[Sequence[float]], names: Sequence[str], language_model: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if len(boxes) != len(names):
            raise ValueError(f'{len(boxes)} boxes but {len(names)} names')
        self.fractions = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
        self.names = [str(name) for name in names]
        self.grounding = language_model is not None
        self.prompts_seen: List[Optional[object]] = []

    def _selected(self, text: Optional[object]) -> List[int]:
        if text is None:
            return list(range(len(self.names)))
        source = ' '.join(text) if isinstance(text, (list, tuple)) else str(text)
        words = set(re.findall(r'[a-z]+', source.lower()))
        return [index for index, name in enumerate(self.names) if name in words]

    def predict(self, batch_inputs: torch.Tensor, batch_data_samples: list, rescale: bool = True) -> list:
        """Per sample, its selected boxes in original pixels (``rescale=True``) or input pixels, scores
        ``1 - 0.1 * index`` (the list's order), label 0."""
        for sample in batch_data_samples:
            text = sample.get('text', None) if self.grounding else None
            self.prompts_seen.append(text)
            keep = self._selected(text)
            height, width = sample.metainfo['ori_shape'][:2]
            boxes = self.fractions[keep] * torch.tensor([width, height, width, height], dtype=torch.float32)
            if not rescale:
                sx, sy = sample.metainfo['scale_factor'][:2]
                boxes = boxes * torch.tensor([sx, sy, sx, sy], dtype=torch.float32)
            scores = 1.0 - 0.1 * torch.tensor(keep, dtype=torch.float32)
            sample.pred_instances = InstanceData(bboxes=boxes.to(batch_inputs.device),
                                                 scores=scores.to(batch_inputs.device),
                                                 labels=torch.zeros(len(keep), dtype=torch.long,
                                                                    device=batch_inputs.device))
        return batch_data_samples

    def loss(self, batch_inputs, batch_data_samples):
        raise NotImplementedError('NamedBoxesDetector is a test double: nothing to train')

    def extract_feat(self, batch_inputs):
        return batch_inputs

    def _forward(self, batch_inputs, batch_data_samples=None):
        return batch_inputs
