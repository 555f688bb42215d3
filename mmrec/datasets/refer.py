"""``REFERDataset``: RefCOCO / RefCOCO+ / RefCOCOg (and the synthetic data) in the REFER layout."""
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.logging import MMLogger
from mmdet.registry import DATASETS

from .rec_base_dataset import RECBaseDataset
from .refer_io import REQUIRED_REF_KEYS, load_instances, load_refs, sentence_text
from .refer_records import DUPLICATE, MISSING_REF_FIELDS, ZERO_AREA, box_problem, image_problem, ref_problem
from .skipped_records import EMPTY_EXPRESSION, NO_EXPRESSION, SkippedRecords


@DATASETS.register_module()
class REFERDataset(RECBaseDataset):
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
        FileNotFoundError: ``data_root``, ``ann_file``, ``split_file`` or image files are missing or
            unreadable (the message names the path, or the first few bad images, why, and how many there are;
            ``skip_missing_images=True`` skips and counts their expressions instead: the image-file policy of
            :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset`, shared by every loader).
        ValueError: ``split_file`` is not a pickle of REFER ref dicts or goes past a reading limit (names the
            file), ``ann_file`` is not COCO, a requested split is not in the pickle (lists the splits
            present), or every ref of the split(s) was skipped (nothing left to evaluate).

    Skipped and counted per reason (:class:`~mmrec.datasets.skipped_records.SkippedRecords`), with one warning
    that names the split file and gives the counts and the first places (file, ref index or id) of each reason,
    and ``metainfo['skipped_records']`` / ``['skipped_reasons']``, which the metrics report beside their figures
    (REFER data has such records, and one bad record should neither stop an
    evaluation nor count as a wrong answer; :mod:`~mmrec.datasets.refer_records` has the checks):
        a ref missing a required field, with a non-scalar id, a ``split`` that is not a string or
        ``sentences`` that are not a list; a ref whose ``ref_id`` was seen before (the later one);
        a ref whose ``ann_id`` or ``image_id`` is not in ``instances.json``, whose image lacks
        ``file_name`` / ``height`` / ``width`` or has a non-positive size, or whose box is missing, null,
        not 4 numbers, NaN / infinite, negative, of zero area or past the image's border (a box exactly on
        the border is valid); a ref without any sentence; an empty or whitespace-only expression (the sentence
        only; a ref left without expressions is dropped). With ``with_candidates``, annotations with such a box are
        left out of the candidates (counted too).

    An image that passes the up-front check but cannot be decoded when the evaluation reaches it ends the run
    with one line naming it (:meth:`~mmrec.datasets.rec_base_dataset.RECBaseDataset.prepare_data`).

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
        check_images: Check that every image file exists, is a non-empty regular file and, for JPEG / PNG,
            is not cut short (:func:`~mmrec.datasets.image_files.image_file_problem`; ``False`` for
            annotation-only use, such as ``tools/analyze_language.py`` on a REFER root without images).
        skip_missing_images: Skip the images that fail that check and count their expressions with the other
            skipped records (reported by the metrics beside their figures), instead of refusing the data set.
        **kwargs: The rest of :class:`mmengine.dataset.BaseDataset` (``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'refcoco/instances.json',
                 split_file: str = 'refcoco/refs(unc).p',
                 split: Union[str, Sequence[str]] = 'val',
                 data_prefix: dict = dict(img_path='train2014/'),
                 one_expression_per_sample: bool = False,
                 with_candidates: bool = False,
                 check_images: bool = True,
                 skip_missing_images: bool = False,
                 **kwargs) -> None:
        self.split_file = split_file
        self.splits = [split] if isinstance(split, str) else list(split)
        if not self.splits:
            raise ValueError('REFERDataset needs at least one split name')
        self.one_expression_per_sample = one_expression_per_sample
        self.with_candidates = with_candidates
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, check_images=check_images,
                         skip_missing_images=skip_missing_images, **kwargs)

    def _join_prefix(self) -> None:
        """Join ``split_file`` to ``data_root`` as BaseDataset does for ``ann_file``."""
        super()._join_prefix()
        if self.split_file and not osp.isabs(self.split_file) and self.data_root:
            self.split_file = osp.join(self.data_root, self.split_file)

    def load_data_list(self) -> List[dict]:
        """Read the two annotation files and build the samples (see the class docstring)."""
        coco = load_instances(self.ann_file)
        skips = self.skipped = SkippedRecords(type(self).__name__)
        ann_name, refs_name = osp.basename(self.ann_file), osp.basename(self.split_file)
        images = _by_id(coco['images'], f'{ann_name} images', skips)
        anns = _by_id(coco['annotations'], f'{ann_name} annotations', skips)
        self._metainfo['category_names'] = {cat.get('id'): cat.get('name') for cat in coco['categories']
                                            if isinstance(cat, dict)}
        refs = self._usable_refs(load_refs(self.split_file, check_refs=False), skips, refs_name)
        if not refs:
            raise ValueError(f'REFERDataset: {self.split_file}: nothing to evaluate, every ref was skipped '
                             f'({skips.summary() or "it holds no refs"})')
        self._check_splits(refs)

        expressions_per_image: Dict[Any, List[dict]] = defaultdict(list)
        wanted = set(self.splits)
        for ref in refs:
            if ref['split'] not in wanted:
                continue
            expressions = self._ref_expressions(ref, images, anns, skips, f'{refs_name} (ref_id={ref["ref_id"]!r})')
            if expressions:  # an image whose refs were all skipped is no sample
                expressions_per_image[ref['image_id']].extend(expressions)
        candidates = self._candidates_per_image(coco['annotations'], images, skips, ann_name) \
            if self.with_candidates else {}
        if not expressions_per_image:
            skips.warn(self.split_file)
            raise ValueError(f'REFERDataset: {self.split_file}: nothing to evaluate in split(s) {self.splits}, '
                             f'every ref of them was skipped ({skips.summary()})')

        img_infos = [images[img_id] for img_id in sorted(expressions_per_image, key=_id_order)]
        unreadable = self.unreadable_images({img['id']: self._img_path(img) for img in img_infos},
                                            expressions_per_image)
        img_infos = [img for img in img_infos if img['id'] not in unreadable]
        self.report_skipped(self.split_file)
        if not img_infos:
            raise skips.nothing_left(self.split_file, 'Restore the images under data_prefix (docs/datasets.md)')
        data_list = []
        for img in img_infos:
            expressions = expressions_per_image[img['id']]
            groups = [[e] for e in expressions] if self.one_expression_per_sample else [expressions]
            for group in groups:
                sample = self._image_sample(img, group)
                if self.with_candidates:
                    sample['candidates'] = candidates.get(img['id'], [])
                data_list.append(sample)
        self.num_expressions = sum(len(expressions_per_image[img['id']]) for img in img_infos)
        MMLogger.get_current_instance().info(
            f'REFERDataset {self.split_file} {self.splits}: {len(img_infos)} images, '
            f'{self.num_expressions} expressions, {len(data_list)} samples')
        return data_list

    @staticmethod
    def _usable_refs(refs: List[dict], skips: SkippedRecords, name: str) -> List[dict]:
        """The refs that pass :func:`~mmrec.datasets.refer_records.ref_problem`, first occurrence of each
        ``ref_id`` only (the others are counted in ``skips``, placed as ``'<name> ref #<index> (ref_id=...)'``)."""
        usable, seen = [], set()
        for index, ref in enumerate(refs):
            problem = ref_problem(ref)
            ref_id = ref.get('ref_id') if isinstance(ref.get('ref_id'), (int, str)) else None
            place = f'{name} ref #{index} (ref_id={ref_id!r})'
            if problem == MISSING_REF_FIELDS:
                skips.add(problem, f'{place} missing {[key for key in REQUIRED_REF_KEYS if key not in ref]}')
            elif problem is not None:
                skips.add(problem, place)
            elif ref_id in seen:
                skips.add(DUPLICATE, place)
            else:
                seen.add(ref_id)
                usable.append(ref)
        return usable

    def _check_splits(self, refs: List[dict]) -> None:
        present = sorted({ref['split'] for ref in refs})
        unknown = [name for name in self.splits if name not in present]
        if unknown:
            raise ValueError(f'split(s) {unknown} not in {self.split_file}; the splits present are {present}')

    @staticmethod
    def _ref_expressions(ref: dict, images: Dict[Any, dict], anns: Dict[Any, dict], skips: SkippedRecords,
                         place: str) -> List[dict]:
        """The expression dicts of one ref, or [] if the ref is skipped (recorded in ``skips`` at ``place``)."""
        ann = anns.get(ref['ann_id'])
        if ann is None:
            skips.add('refs whose ann_id is not in instances.json', f'{place} ann_id={ref["ann_id"]!r}')
            return []
        img = images.get(ref['image_id'])
        if img is None:
            skips.add('refs whose image_id is not in instances.json', f'{place} image_id={ref["image_id"]!r}')
            return []
        problem = image_problem(img)
        if problem is None:
            problem, box = box_problem(ann, img)
        if problem is not None:
            skips.add(problem, f'{place} ann_id={ref["ann_id"]!r} image_id={ref["image_id"]!r}')
            return []
        if not ref['sentences']:
            skips.add(NO_EXPRESSION, place)
            return []
        expressions = []
        for index, sentence in enumerate(ref['sentences']):
            if not isinstance(sentence, dict):
                skips.add('sentences that are not dicts', f'{place} sentence {index}')
                continue
            sent_id = sentence.get('sent_id', _nth(ref.get('sent_ids'), index))
            text = sentence_text(sentence)
            if not text:
                skips.add(EMPTY_EXPRESSION, f'{place} sent_id={sent_id!r}')
                continue
            expressions.append(dict(
                text=text, bbox=list(box), ref_id=ref['ref_id'], sent_id=sent_id,
                ann_id=ref['ann_id'], category_id=ref['category_id'], split=ref['split'],
                kind=sentence.get('kind')))
        return expressions

    def _candidates_per_image(self, annotations: List[Any], images: Dict[Any, dict], skips: SkippedRecords,
                              name: str) -> Dict[Any, List[dict]]:
        """Every annotation with a usable box (:func:`~mmrec.datasets.refer_records.box_problem`), per image
        id: ``[dict(bbox=xyxy, ann_id, category_id), ...]``; the others counted in ``skips``."""
        per_image: Dict[Any, List[dict]] = defaultdict(list)
        for ann in annotations:
            image_id = ann.get('image_id') if isinstance(ann, dict) else None
            if not isinstance(image_id, (int, str)) or image_id not in images:
                continue
            img = images[image_id]
            problem = image_problem(img)
            if problem is None:
                problem, box = box_problem(ann, img)
            if problem is not None:
                if problem != ZERO_AREA:
                    skips.add('annotations left out of the candidates: ' + problem.replace('refs ', ''),
                              f'{name} annotation id={ann.get("id")!r} (image_id={ann["image_id"]!r})')
                continue
            per_image[ann['image_id']].append(dict(bbox=box, ann_id=ann.get('id'),
                                                   category_id=ann.get('category_id')))
        return per_image

    def _img_path(self, img: dict) -> str:
        return osp.join(self.data_prefix.get('img_path', ''), img['file_name'])

    def _image_sample(self, img: dict, expressions: List[dict]) -> dict:
        return dict(img_path=self._img_path(img), img_id=img['id'], height=img['height'],
                    width=img['width'], expressions=expressions)


def _by_id(records: Any, what: str, skips: SkippedRecords) -> Dict[Any, dict]:
    """``{id: record}`` of instances.json's ``images`` or ``annotations`` (``what``: ``'<file> images'``); a
    record that is not a dict with an integer or string ``id`` is counted in ``skips``."""
    by_id = {}
    for index, record in enumerate(records if isinstance(records, list) else []):
        record_id = record.get('id') if isinstance(record, dict) else None
        if isinstance(record_id, (int, str)) and not isinstance(record_id, bool):
            by_id[record_id] = record
        else:
            skips.add(f'{what.split()[-1]} of instances.json without an integer or string id', f'{what} #{index}')
    return by_id


def _id_order(value: Any) -> Tuple[int, Any]:
    """Sort key of ids that may mix integers and strings: integers first, in order."""
    return (0, value, '') if isinstance(value, int) else (1, 0, str(value))


def _nth(values: Optional[Sequence[Any]], index: int) -> Optional[Any]:
    """``values[index]`` or None when there is no such item."""
    return values[index] if values is not None and index < len(values) else None
