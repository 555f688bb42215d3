"""``REFERDataset``: RefCOCO / RefCOCO+ / RefCOCOg (and the synthetic data) in the REFER layout."""
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmdet.registry import DATASETS

from .refer_io import load_instances, load_refs, sentence_text, xywh_to_xyxy

# How many example ids a skip warning or a missing-files error names.
_NUM_EXAMPLES = 5


class _SkipLog:
    """Counts skipped records per reason and keeps a few example ids, for one warning at the end."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = defaultdict(int)
        self.examples: Dict[str, List[Any]] = defaultdict(list)

    def add(self, reason: str, example: Any) -> None:
        self.counts[reason] += 1
        if len(self.examples[reason]) < _NUM_EXAMPLES:
            self.examples[reason].append(example)

    def report(self, source: str) -> None:
        if not self.counts:
            return
        parts = [f'{count} {reason} (e.g. {self.examples[reason]})' for reason, count in self.counts.items()]
        MMLogger.get_current_instance().warning(f'REFERDataset: skipped in {source}: ' + '; '.join(parts))


@DATASETS.register_module()
class REFERDataset(BaseDataset):
    """Referring expressions of RefCOCO, RefCOCO+, RefCOCOg (or the synthetic data) in the REFER layout.

    Reads a COCO ``instances.json`` (``ann_file``) and a REFER ``refs(<split_by>).p`` pickle
    (``split_file``; Python 3 pickles and legacy Python 2 ones). By default a sample is one image with
    all the expressions of the chosen split(s) that refer to objects in it (image-major, so a model
    shares the image's work among its expressions); ``one_expression_per_sample=True`` gives one sample
    per expression instead. Each ``data_info`` is::

        dict(img_path, img_id, height, width,
             expressions=[dict(text, bbox=[x1, y1, x2, y2],  # pixels of the original image
                               ref_id, sent_id, ann_id, category_id, split, kind), ...])

    ``kind`` is the sentence's ``'kind'`` (the synthetic data has one, e.g. 'spatial') or ``None``.
    With ``with_candidates=True`` each ``data_info`` also has ``candidates``: every annotation of the image in
    ``instances.json`` with a positive area, ``[dict(bbox=[x1, y1, x2, y2], ann_id, category_id), ...]`` in
    file order (the ground-truth candidate boxes of ReCLIP's setting that separates detector errors from
    scorer errors; the referred objects are among them).
    Images are ordered by id, expressions by ref order in the pickle then sentence order.

    Errors (raised at init, unless ``lazy_init``):
        FileNotFoundError: ``data_root``, ``ann_file``, ``split_file`` or image files are missing (the
            message names the path, or the first few missing images and how many there are).
        ValueError: ``split_file`` is not a pickle of REFER ref dicts (names the file), ``ann_file`` is
            not COCO, or a requested split is not in the pickle (lists the splits present).

    Skipped with one warning that gives counts and example ids (REFER data has such records, and one
    bad record should not stop an evaluation):
        a ref whose ``ann_id`` is not in ``instances.json``, or whose ``image_id`` is not;
        a ref whose box has zero area; an empty or whitespace-only expression (the sentence only;
        a ref left without expressions is dropped).

    Outside a runner (no default registry scope set) the pipeline is built in mmdet's scope, so that
    ``REFERDataset(..., pipeline=[dict(type='LoadReferExpressions'), ...])`` works in scripts and tests.
    ``num_expressions`` holds the number of expressions loaded (equal to ``len(self)`` when
    ``one_expression_per_sample``).

    Args:
        data_root: Root that relative paths are joined to, e.g. ``data/coco/``.
        ann_file: COCO instances file, e.g. ``refcoco/instances.json``.
        split_file: REFER pickle, e.g. ``refcoco/refs(unc).p``.
        split: One split name (``'val'``) or several (``['testA', 'testB']``).
        data_prefix: ``dict(img_path=...)``, the image folder, e.g. ``train2014/``.
        one_expression_per_sample: One sample per expression instead of per image.
        with_candidates: Add each image's annotated objects as ``candidates`` (see above).
        check_images: Check that every image file exists (``False`` for annotation-only use, such as
            ``tools/analyze_language.py`` on a REFER root without images).
        **kwargs: The rest of :class:`mmengine.dataset.BaseDataset` (``pipeline``, ``test_mode``, ...).
    """

    # Ground truth labels are all 0: the one class is "the object the expression refers to".
    METAINFO = dict(classes=('referred object', ), palette=[(220, 20, 60)])

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'refcoco/instances.json',
                 split_file: str = 'refcoco/refs(unc).p',
                 split: Union[str, Sequence[str]] = 'val',
                 data_prefix: dict = dict(img_path='train2014/'),
                 one_expression_per_sample: bool = False,
                 with_candidates: bool = False,
                 check_images: bool = True,
                 **kwargs) -> None:
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(f'REFERDataset data_root not found: {data_root}')
        self.split_file = split_file
        self.splits = [split] if isinstance(split, str) else list(split)
        if not self.splits:
            raise ValueError('REFERDataset needs at least one split name')
        self.one_expression_per_sample = one_expression_per_sample
        self.with_candidates = with_candidates
        self.check_images = check_images
        self.num_expressions = 0
        # Outside a runner (scripts, tests) no default scope is set, and the pipeline's transform names
        # would be looked up in MMEngine's root registry, which lacks mmdet's and ours.
        scope = 'mmdet' if DefaultScope.get_current_instance() is None else None
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, **kwargs)

    def _join_prefix(self) -> None:
        """Join ``split_file`` to ``data_root`` as BaseDataset does for ``ann_file``."""
        super()._join_prefix()
        if self.split_file and not osp.isabs(self.split_file) and self.data_root:
            self.split_file = osp.join(self.data_root, self.split_file)

    def load_data_list(self) -> List[dict]:
        """Read the two annotation files and build the samples (see the class docstring)."""
        coco = load_instances(self.ann_file)
        refs = load_refs(self.split_file)
        self._check_splits(refs)
        images = {img['id']: img for img in coco['images']}
        anns = {ann['id']: ann for ann in coco['annotations']}
        self._metainfo['category_names'] = {cat['id']: cat['name'] for cat in coco['categories']}

        skips = _SkipLog()
        expressions_per_image: Dict[int, List[dict]] = defaultdict(list)
        wanted = set(self.splits)
        for ref in refs:
            if ref['split'] not in wanted:
                continue
            expressions = self._ref_expressions(ref, images, anns, skips)
            if expressions:  # an image whose refs were all skipped is no sample
                expressions_per_image[ref['image_id']].extend(expressions)
        skips.report(self.split_file)

        img_infos = [images[img_id] for img_id in sorted(expressions_per_image)]
        if self.check_images:
            self._check_images_exist(img_infos)
        candidates = _candidates_per_image(coco['annotations']) if self.with_candidates else {}
        data_list = []
        for img in img_infos:
            expressions = expressions_per_image[img['id']]
            groups = [[e] for e in expressions] if self.one_expression_per_sample else [expressions]
            for group in groups:
                sample = self._image_sample(img, group)
                if self.with_candidates:
                    sample['candidates'] = candidates.get(img['id'], [])
                data_list.append(sample)
        self.num_expressions = sum(len(exprs) for exprs in expressions_per_image.values())
        MMLogger.get_current_instance().info(
            f'REFERDataset {self.split_file} {self.splits}: {len(img_infos)} images, '
            f'{self.num_expressions} expressions, {len(data_list)} samples')
        return data_list

    def _check_splits(self, refs: List[dict]) -> None:
        present = sorted({str(ref['split']) for ref in refs})
        unknown = [name for name in self.splits if name not in present]
        if unknown:
            raise ValueError(f'split(s) {unknown} not in {self.split_file}; the splits present are {present}')

    @staticmethod
    def _ref_expressions(ref: dict, images: Dict[int, dict], anns: Dict[int, dict],
                         skips: _SkipLog) -> List[dict]:
        """The expression dicts of one ref, or [] if the ref is skipped (recorded in ``skips``)."""
        ann = anns.get(ref['ann_id'])
        if ann is None:
            skips.add('refs whose ann_id is not in instances.json', dict(ref_id=ref['ref_id'],
                                                                           ann_id=ref['ann_id']))
            return []
        if ref['image_id'] not in images:
            skips.add('refs whose image_id is not in instances.json', dict(ref_id=ref['ref_id'],
                                                                             image_id=ref['image_id']))
            return []
        x1, y1, x2, y2 = xywh_to_xyxy(ann['bbox'])
        if x2 <= x1 or y2 <= y1:
            skips.add('refs with a zero-area box', dict(ref_id=ref['ref_id'], ann_id=ref['ann_id']))
            return []
        expressions = []
        for index, sentence in enumerate(ref['sentences']):
            if not isinstance(sentence, dict):
                skips.add('sentences that are not dicts', dict(ref_id=ref['ref_id'], index=index))
                continue
            sent_id = sentence.get('sent_id', _nth(ref.get('sent_ids'), index))
            text = sentence_text(sentence)
            if not text:
                skips.add('empty expressions', dict(ref_id=ref['ref_id'], sent_id=sent_id))
                continue
            expressions.append(dict(
                text=text, bbox=[x1, y1, x2, y2], ref_id=ref['ref_id'], sent_id=sent_id,
                ann_id=ref['ann_id'], category_id=ref['category_id'], split=ref['split'],
                kind=sentence.get('kind')))
        return expressions

    def _check_images_exist(self, img_infos: List[dict]) -> None:
        missing = [self._img_path(img) for img in img_infos if not osp.isfile(self._img_path(img))]
        if missing:
            raise FileNotFoundError(f'{len(missing)} of {len(img_infos)} images of REFERDataset are '
                                    f'missing, e.g. {missing[:_NUM_EXAMPLES]}')

    def _img_path(self, img: dict) -> str:
        return osp.join(self.data_prefix.get('img_path', ''), img['file_name'])

    def _image_sample(self, img: dict, expressions: List[dict]) -> dict:
        return dict(img_path=self._img_path(img), img_id=img['id'], height=img['height'],
                    width=img['width'], expressions=expressions)


def _candidates_per_image(annotations: List[dict]) -> Dict[Any, List[dict]]:
    """Every annotation with a positive area, per image id: ``[dict(bbox=xyxy, ann_id, category_id), ...]``."""
    per_image: Dict[Any, List[dict]] = defaultdict(list)
    for ann in annotations:
        x1, y1, x2, y2 = xywh_to_xyxy(ann['bbox'])
        if x2 > x1 and y2 > y1:
            per_image[ann['image_id']].append(dict(bbox=[x1, y1, x2, y2], ann_id=ann['id'],
                                                   category_id=ann.get('category_id')))
    return per_image


def _nth(values: Optional[Sequence[Any]], index: int) -> Optional[Any]:
    """``values[index]`` or None when there is no such item."""
    return values[index] if values is not None and index < len(values) else None
