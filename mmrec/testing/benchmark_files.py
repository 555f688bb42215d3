"""Small annotation files of other benchmarks, written in each benchmark's own published format, for tests.

Each writer takes the records to write (so that a test can put bad ones among them) and writes the images they
name as small solid-colour files. The formats are those ``docs/datasets.md`` describes: RefClef's REFER files
(``instances.json`` + ``refs(<split_by>).p`` over ``saiapr_tc-12/<folder>/images/<id>.jpg``), Ref-L4's Parquet,
gRefCOCO's ``grefs(unc).json`` + ``instances.json``, and the JSON-lines format of ``RECJsonlDataset``.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Sequence

from PIL import Image

from mmrec.datasets.refer_io import write_refer


def write_image(path: str, size: Sequence[int] = (64, 48)) -> str:
    """A grey image of ``size = (width, height)`` at ``path`` (parent folders created); returns the path."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    Image.new('RGB', tuple(size), (128, 128, 128)).save(path)
    return path


def coco_file(images: Iterable[Dict[str, Any]], annotations: Iterable[Dict[str, Any]],
              categories: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """A COCO ``instances.json`` dict."""
    return dict(images=list(images), annotations=list(annotations), categories=list(categories))


def write_refclef(root: str, refs_by_split_by: Dict[str, List[Dict[str, Any]]], coco: Dict[str, Any],
                  image_folder: str = 'saiapr_tc-12') -> None:
    """RefClef as REFER publishes it: ``root/instances.json``, ``root/refs(<split_by>).p`` for each key of
    ``refs_by_split_by`` (``'unc'``, ``'berkeley'``), images at ``root/<image_folder>/<file_name>``."""
    for split_by, refs in refs_by_split_by.items():
        write_refer(root, coco, refs, split_by=split_by)
    for image in coco['images']:
        write_image(osp.join(root, image_folder, image['file_name']), (image['width'], image['height']))


def write_ref_l4(path: str, rows: List[Dict[str, Any]], images_dir: str = '') -> None:
    """A Ref-L4 Parquet file with ``rows`` (dicts of its columns) and, with ``images_dir``, their images."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    if images_dir:
        for row in rows:
            if isinstance(row.get('file_name'), str) and row['file_name']:
                write_image(osp.join(images_dir, row['file_name']),
                            (row.get('width') or 64, row.get('height') or 48))


def write_grefcoco(root: str, grefs: List[Dict[str, Any]], coco: Dict[str, Any], images_dir: str = '',
                   split_by: str = 'unc') -> Dict[str, str]:
    """gRefCOCO's ``root/grefs(<split_by>).json`` and ``root/instances.json`` (and the images in ``images_dir``)."""
    os.makedirs(root, exist_ok=True)
    paths = dict(ann_file=osp.join(root, 'instances.json'), split_file=osp.join(root, f'grefs({split_by}).json'))
    with open(paths['ann_file'], 'w') as f:
        json.dump(coco, f)
    with open(paths['split_file'], 'w') as f:
        json.dump(grefs, f)
    if images_dir:
        for image in coco['images']:
            write_image(osp.join(images_dir, image['file_name']), (image['width'], image['height']))
    return paths


def write_jsonl(path: str, lines: Iterable[Any]) -> str:
    """One line per item: a ``str`` is written as it is (to write broken lines), anything else as JSON."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + '\n')
    return path
