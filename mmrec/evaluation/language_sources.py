"""The expressions ``tools/analyze_language.py`` analyses, read from each benchmark's published layout.

The datasets' own loaders read the files (``REFERDataset``, ``GRefCOCODataset``, ``RefL4Dataset``,
``RECJsonlDataset``, all with ``check_images=False``: no image is needed); this module only finds the files and
adds to every sample the **candidates** the geometry-only analysis chooses among:

- REFER (RefCOCO/+/g, RefClef) and gRefCOCO: every annotated object of the image in ``instances.json``;
- Ref-L4 and JSON lines: the files hold no other objects of an image, so the candidates are the distinct boxes
  that the image's expressions refer to (an image whose expressions all refer to one box has one candidate
  and is left out). That measures whether the words pick the right one among the *annotated* objects, a
  smaller and easier set than every object of the image.

Each candidate is ``dict(bbox=[x1, y1, x2, y2], ann_id, category_id)``; an expression whose candidates come
from boxes gets ``target_ids``, the ids of its own boxes among them.
"""
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset

from mmrec.datasets import GRefCOCODataset, RECJsonlDataset, REFERDataset, RefL4Dataset
from mmrec.datasets.expression_dataset import image_size, parse_box
from mmrec.datasets.refer_io import load_instances
from mmrec.utils.user_errors import UserError

FORMATS = ('refer', 'grefcoco', 'ref-l4', 'jsonl')
#: Where each format's candidates come from (printed by the tool).
CANDIDATES_FROM = {'refer': "the image's annotations (instances.json)",
                   'grefcoco': "the image's annotations (instances.json)",
                   'ref-l4': "the distinct boxes of the image's expressions (Ref-L4 has no other objects)",
                   'jsonl': "the distinct boxes of the image's expressions (the file has no other objects)"}


@dataclass
class LanguageSource:
    """Expressions to analyse: the format, a label, and ``(split label, dataset)`` pairs (one per file)."""
    format: str
    label: str
    datasets: List[Tuple[Optional[str], BaseDataset]]
    annotations: Optional[Dict[Any, List[dict]]] = None  # per image id (REFER-like formats)

    @property
    def num_images(self) -> int:
        return sum(len(dataset) for _, dataset in self.datasets)

    def samples(self) -> Iterator[dict]:
        """Every image's data info with ``candidates`` (module docstring)."""
        for label, dataset in self.datasets:
            for index in range(len(dataset)):
                sample = dict(dataset.get_data_info(index))
                if self.format == 'refer':
                    yield sample
                    continue
                _fill_size(sample)
                expressions = [dict(e, split=label if e.get('split') is None else e['split'])
                               for e in sample['expressions']]
                if self.annotations is not None:
                    sample['candidates'] = self.annotations.get(sample['img_id'], [])
                else:
                    sample['candidates'] = _box_candidates(expressions)
                yield dict(sample, expressions=expressions)


def _fill_size(sample: dict) -> None:
    """The image size from its header when the annotations lack it and the image is there."""
    if (not sample.get('height') or not sample.get('width')) and osp.isfile(sample.get('img_path') or ''):
        size = image_size(sample['img_path'])
        if size is not None:
            sample['width'], sample['height'] = size


def annotations_per_image(coco: dict) -> Dict[Any, List[dict]]:
    """Every annotation of ``instances.json`` with a box of positive area, as candidates, per image id."""
    per_image: Dict[Any, List[dict]] = {}
    for ann in coco.get('annotations') or []:
        box = parse_box(ann.get('bbox'), 'xywh') if isinstance(ann, dict) else None
        if box is not None:
            per_image.setdefault(ann.get('image_id'), []).append(
                dict(bbox=box, ann_id=ann.get('id'), category_id=ann.get('category_id')))
    return per_image


def _box_key(box: Sequence[float]) -> Tuple[float, ...]:
    return tuple(round(float(v), 2) for v in box)


def _box_candidates(expressions: List[dict]) -> List[dict]:
    """The distinct boxes of ``expressions`` as candidates (ids: the rounded box); sets each expression's
    ``target_ids`` to its own boxes' ids."""
    candidates: Dict[Tuple[float, ...], dict] = {}
    for expression in expressions:
        boxes = expression['bboxes'] if 'bboxes' in expression else [expression['bbox']]
        expression['target_ids'] = [_box_key(box) for box in boxes]
        category = expression.get('category_id')
        for box, key in zip(boxes, expression['target_ids']):
            candidates.setdefault(key, dict(bbox=list(box), ann_id=key, category_id=category))
    return list(candidates.values())


def _refer_files(root: str, dataset: str, split_by: str) -> List[str]:
    return [osp.join(folder, f'refs({split_by}).p') for folder in (osp.join(root, dataset), root)]


def _grefcoco_files(root: str, dataset: str, split_by: str) -> List[str]:
    return [osp.join(folder, f'grefs({split_by}).json')
            for folder in (osp.join(root, dataset), osp.join(root, 'grefcoco'), root)]


def _ref_l4_files(root: str, splits: Sequence[str]) -> List[str]:
    return [osp.join(root, f'ref-l4-{split}.parquet') for split in splits]


def _jsonl_files(root: str) -> List[str]:
    return [osp.join(root, 'expressions.jsonl')] + sorted(glob.glob(osp.join(root, '*.jsonl')))


def _format_of_file(path: str) -> Optional[str]:
    name = osp.basename(path)
    if name.endswith('.parquet'):
        return 'ref-l4'
    if name.endswith('.jsonl'):
        return 'jsonl'
    if name.startswith('grefs(') and name.endswith(').json'):
        return 'grefcoco'
    if name.startswith('refs(') and name.endswith(').p'):
        return 'refer'
    return None


def find_files(path: str, fmt: str, dataset: str, split_by: str, splits: Sequence[str]) -> Tuple[str, List[str]]:
    """``(format, files)`` of ``path`` (a file, or a folder in one of the published layouts) for ``fmt``
    (``'auto'`` or one of ``FORMATS``); :class:`~mmrec.utils.UserError` with one line naming what was looked
    for."""
    if osp.isfile(path):
        found = _format_of_file(path)
        if found is None or fmt not in ('auto', found):
            want = 'refs(<split-by>).p, grefs(<split-by>).json, *.parquet or *.jsonl' if fmt == 'auto' else fmt
            raise UserError(f'{path} is not a {want} annotation file; give the data folder or --format')
        return found, [path]
    if not osp.isdir(path):
        raise UserError(f'data root {path!r} not found; give a benchmark folder or annotation file '
                        '(docs/datasets.md, "Language analysis")')
    looked = {'refer': _refer_files(path, dataset, split_by), 'grefcoco': _grefcoco_files(path, dataset, split_by),
              'ref-l4': _ref_l4_files(path, splits or ['val']), 'jsonl': _jsonl_files(path)}
    wanted = FORMATS if fmt == 'auto' else (fmt, )
    found = {}
    for name in wanted:
        files = [f for f in looked[name] if osp.isfile(f)]
        if name == 'ref-l4' and files and len(files) < len(looked[name]):
            files = []  # every split asked needs its file
        if files:
            found[name] = files if name == 'ref-l4' else files[:1]
    if not found:
        names = ', '.join(osp.relpath(f, path) for name in wanted for f in looked[name] if '*' not in f)
        raise UserError(f'no {"REC annotations" if fmt == "auto" else fmt + " files"} in {path}: looked '
                        f'for {names}{", *.jsonl" if "jsonl" in wanted else ""} (--dataset, --split-by '
                        f'and --split name them; --format picks the layout)')
    if len(found) > 1:
        raise UserError(f'{path} holds the files of several layouts ({", ".join(found)}); pick one with --format')
    name, files = next(iter(found.items()))
    return name, files


def load_source(path: str, fmt: str = 'auto', dataset: str = 'refcoco', split_by: str = 'unc',
                splits: Optional[Sequence[str]] = None) -> LanguageSource:
    """The expressions of ``path`` in the format ``fmt`` (or the one found there), read by the benchmark's
    dataset. ``splits``: REFER / gRefCOCO split names, Ref-L4's files (``val``, ``test``), a JSON-lines file's
    ``split`` values (``None``: every line)."""
    fmt, files = find_files(path, fmt, dataset, split_by, list(splits or []))
    common = dict(data_root='', check_images=False, test_mode=True)
    folder = osp.dirname(files[0])
    if fmt == 'refer':
        split_file = files[0]
        data = REFERDataset(ann_file=osp.join(folder, 'instances.json'), split_file=split_file,
                            split=list(splits or ['val']), data_prefix=dict(img_path=''), with_candidates=True,
                            **common)
        return LanguageSource(fmt, f'{osp.basename(folder)} ({split_by})', [(None, data)])
    if fmt == 'grefcoco':
        ann_file = osp.join(folder, 'instances.json')
        data = GRefCOCODataset(ann_file=ann_file, split_file=files[0], split=list(splits or ['val']),
                               data_prefix=dict(img_path=osp.join(folder, 'images', '')), **common)
        annotations = annotations_per_image(load_instances(ann_file))
        return LanguageSource(fmt, f'gRefCOCO {osp.basename(files[0])}', [(None, data)], annotations)
    images = dict(img_path=osp.join(folder, 'images', ''))
    if fmt == 'ref-l4':
        datasets = [(osp.basename(f)[:-len('.parquet')].replace('ref-l4-', ''),
                     RefL4Dataset(ann_file=f, data_prefix=images, **common)) for f in files]
        return LanguageSource(fmt, 'Ref-L4 ' + ', '.join(osp.basename(f) for f in files), datasets)
    data = RECJsonlDataset(ann_file=files[0], generalized=True, split=list(splits) if splits else None,
                           data_prefix=images, **common)
    return LanguageSource(fmt, f'JSON lines {osp.basename(files[0])}',
                          [(osp.basename(files[0]).rsplit('.', 1)[0], data)])
