"""``GRefCOCODataset``: gRefCOCO (Liu, Ding, Jiang, CVPR 2023), generalised REC over COCO train2014.

Published at github.com/henghuiding/gRefCOCO as ``grefs(unc).json`` + ``instances.json`` (the REFER layout with a
JSON instead of a pickle). A ref is REFER's dict except that ``ann_id`` and ``category_id`` may be lists: every
object the sentences refer to, or ``[-1]`` (``-1``) when they refer to none ("no-target" expressions). Its own
API (``grefer.py`` of github.com/henghuiding/ReLA) reads it that way; splits are train / val / testA / testB.
"""
import os.path as osp
from typing import Any, Dict, List, Sequence, Union

from mmdet.registry import DATASETS

from .expression_dataset import ExpressionListDataset, ExpressionRecord
from .refer_io import load_instances, load_json_file, load_refs, sentence_text, xywh_to_xyxy
from .skipped_records import EMPTY_EXPRESSION, NO_EXPRESSION, SkippedRecords

#: The ``ann_id`` of a ref that refers to nothing.
NO_TARGET = -1


def load_grefs(path: str) -> List[Dict[str, Any]]:
    """The refs of ``grefs(<split_by>).json`` (or of a ``.p`` pickle, read as plain data by ``load_refs``)."""
    if path.endswith('.p'):
        return load_refs(path)
    refs = load_json_file(path, 'gRefCOCO refs file')
    if not isinstance(refs, list) or not all(isinstance(ref, dict) for ref in refs):
        raise ValueError(f'{path} must hold a list of gRefCOCO ref dicts (docs/datasets.md)')
    return refs


def _as_list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


@DATASETS.register_module()
class GRefCOCODataset(ExpressionListDataset):
    """gRefCOCO's expressions: each refers to one object, several, or none.

    Each ``data_info`` is ``dict(img_path, img_id, height, width, expressions=[...])`` (image-major) with
    expressions ``dict(text, bboxes=[[x1, y1, x2, y2], ...], no_target, ref_id, sent_id, ann_id=[...],
    category_id=[...], split, kind=None)``: ``bboxes`` holds every referred object's box (original pixels, in the
    ref's ``ann_id`` order), empty for a no-target expression; an expression with exactly one target also has
    ``bbox`` (so ``RECMetric`` can read single-target subsets; on the others it stops naming the expression).
    Use ``LoadGRECExpressions`` in the pipeline and ``GRECMetric`` to evaluate.

    Skipped, counted per reason with the ref's place (one warning): refs with a target id that is not in
    ``instances.json``, an ``image_id`` that is not, a zero-area target box, ``-1`` mixed with object ids, no
    sentence (an empty or missing list); empty or blank sentences. Image files: the policy of
    :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset` (refused, or skipped and counted with
    ``skip_missing_images=True``). Nothing left stops with one line.

    Args:
        ann_file: COCO ``instances.json`` of gRefCOCO (relative to ``data_root``).
        split_file: ``grefs(unc).json``.
        split: One split name or several.
        data_prefix: The COCO ``train2014`` image folder.
        **kwargs: See :class:`~mmrec.datasets.expression_dataset.ExpressionListDataset`.
    """

    FIX = 'Check split_file / ann_file / data_prefix against docs/datasets.md (gRefCOCO)'

    def __init__(self,
                 data_root: str = 'data/coco/',
                 ann_file: str = 'grefcoco/instances.json',
                 split_file: str = 'grefcoco/grefs(unc).json',
                 split: Union[str, Sequence[str]] = 'val',
                 data_prefix: dict = dict(img_path='train2014/'),
                 **kwargs) -> None:
        self.split_file = split_file
        self.splits = [split] if isinstance(split, str) else list(split)
        if not self.splits:
            raise ValueError('GRefCOCODataset needs at least one split name')
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.split_file and not osp.isabs(self.split_file) and self.data_root:
            self.split_file = osp.join(self.data_root, self.split_file)

    def read_expressions(self, skips: SkippedRecords) -> List[ExpressionRecord]:
        coco = load_instances(self.ann_file)
        refs = load_grefs(self.split_file)
        present = sorted({str(ref.get('split')) for ref in refs})
        unknown = [name for name in self.splits if name not in present]
        if unknown:
            raise ValueError(f'split(s) {unknown} not in {self.split_file}; the splits present are {present}')
        images = {img['id']: img for img in coco['images']}
        anns = {ann['id']: ann for ann in coco['annotations']}
        name = osp.basename(self.split_file)
        records = []
        for index, ref in enumerate(refs):
            if ref.get('split') not in self.splits:
                continue
            place = f'{name} ref #{index} (ref_id={ref.get("ref_id")!r})'
            targets = self._targets(ref, images, anns, skips, place)
            if targets is None:
                continue
            sentences = ref.get('sentences')
            if not isinstance(sentences, list) or not sentences:
                skips.add(NO_EXPRESSION, place)
                continue
            img = images[ref['image_id']]
            image = dict(file_name=img['file_name'], img_id=img['id'], height=img.get('height'),
                         width=img.get('width'))
            for number, sentence in enumerate(sentences):
                text = sentence_text(sentence) if isinstance(sentence, dict) else ''
                if not text:
                    skips.add(EMPTY_EXPRESSION, f'{place} sentence {number}')
                    continue
                records.append((image, self._expression(ref, sentence, text, targets), place))
        return records

    @staticmethod
    def _targets(ref: dict, images: dict, anns: dict, skips: SkippedRecords, place: str):
        """The referred boxes (xyxy, [] for no target), or None when the ref is skipped."""
        ann_ids = _as_list(ref.get('ann_id'))
        if ref.get('image_id') not in images:
            skips.add('refs whose image_id is not in instances.json', place)
            return None
        if ann_ids == [NO_TARGET]:
            return []
        if not ann_ids or NO_TARGET in ann_ids:
            skips.add('refs whose ann_id mixes -1 (no target) with objects, or is empty', place)
            return None
        unknown = [ann_id for ann_id in ann_ids if ann_id not in anns]
        if unknown:
            skips.add('refs with a target id that is not in instances.json', f'{place} ann_id={unknown}')
            return None
        boxes = [xywh_to_xyxy(anns[ann_id]['bbox']) for ann_id in ann_ids]
        if any(x2 <= x1 or y2 <= y1 for x1, y1, x2, y2 in boxes):
            skips.add('refs with a zero-area target box', place)
            return None
        return boxes

    @staticmethod
    def _expression(ref: dict, sentence: dict, text: str, targets: List[List[float]]) -> dict:
        expression = dict(text=text, bboxes=[list(box) for box in targets], no_target=not targets,
                          ref_id=ref.get('ref_id'), sent_id=sentence.get('sent_id'),
                          ann_id=_as_list(ref.get('ann_id')), category_id=_as_list(ref.get('category_id')),
                          split=ref.get('split'), kind=None)
        if len(targets) == 1:
            expression['bbox'] = list(targets[0])
        return expression
