"""Reading and writing the REFER annotation files (``instances.json`` + ``refs(<split_by>).p``).

Shared by :class:`~mmrec.datasets.REFERDataset`, ``tools/prepare_refcoco.py`` and the synthetic data
generator, so that the three agree on one format and one set of checks.
"""
import json
import os
import os.path as osp
import pickle
from typing import Any, Dict, List

from .plain_pickle import load_plain_pickle

# Keys every REFER ref dict carries (the loaders need these; 'file_name' and 'sent_ids' are optional).
REQUIRED_REF_KEYS = ('ref_id', 'ann_id', 'image_id', 'split', 'sentences', 'category_id')


def require_file(path: str, what: str) -> None:
    """Raise ``FileNotFoundError`` naming ``path`` (and what it should be) if it is not a file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')


def load_json_file(path: str, what: str) -> Any:
    """The parsed contents of a JSON file (plain data: ``json`` builds no objects); ``FileNotFoundError`` naming
    ``path`` and what it should be if it is missing, ``ValueError`` naming it if it is not valid JSON."""
    require_file(path, what)
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path} is not valid JSON: {err}') from err


def load_refs(split_file: str, check_refs: bool = True) -> List[Dict[str, Any]]:
    """Load a REFER ``refs(<split_by>).p`` pickle as a list of ref dicts with ``str`` strings.

    Reads Python 3 pickles and legacy Python 2 ones through :func:`~mmrec.datasets.plain_pickle.load_plain_pickle`:
    plain data only (a file that needs any class or function, which could run code when loaded, is refused),
    with bounded size, object count and nesting (a "billion laughs" or a self-referencing list is refused).

    Args:
        check_refs: also require every ref to carry :data:`REQUIRED_REF_KEYS` and a list of ``sentences``
            (``REFERDataset`` passes ``False`` and skips and counts such refs itself).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a pickle of a list of dicts, needs a class or function, goes past a limit
            (the message names the file and the global or limit), or with ``check_refs`` a ref is malformed
            (its index and the missing keys are named).
    """
    require_file(split_file, 'REFER split file')
    refs = load_plain_pickle(split_file)
    if not isinstance(refs, list):
        raise ValueError(f'{split_file} must hold a list of REFER ref dicts, got {type(refs).__name__}')
    for index, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise ValueError(f'{split_file}: ref #{index} is a {type(ref).__name__}, not a REFER ref dict')
        if not check_refs:
            continue
        missing = [key for key in REQUIRED_REF_KEYS if key not in ref]
        if missing:
            raise ValueError(f'{split_file}: ref #{index} (ref_id={ref.get("ref_id")}) lacks keys {missing}')
        if not isinstance(ref['sentences'], list):
            raise ValueError(f'{split_file}: ref_id={ref["ref_id"]} has "sentences" that is not a list')
    return refs


def load_instances(ann_file: str) -> Dict[str, Any]:
    """Load a COCO ``instances.json``; raise ``ValueError`` naming the file if it lacks COCO keys."""
    coco = load_json_file(ann_file, 'COCO annotation file')
    if not isinstance(coco, dict):
        raise ValueError(f'{ann_file} must hold a COCO dict, got {type(coco).__name__}')
    missing = [key for key in ('images', 'annotations', 'categories') if key not in coco]
    if missing:
        raise ValueError(f'{ann_file} is not a COCO annotation file: it lacks keys {missing}')
    return coco


def sentence_text(sentence: Dict[str, Any]) -> str:
    """The expression of a REFER sentence dict: its cleaned ``'sent'``, else its ``'raw'``, else ''."""
    text = sentence.get('sent')
    if not isinstance(text, str) or not text.strip():
        text = sentence.get('raw')
    return text.strip() if isinstance(text, str) else ''


def xywh_to_xyxy(bbox: List[float]) -> List[float]:
    """COCO ``[x, y, w, h]`` -> ``[x1, y1, x2, y2]`` (floats)."""
    x, y, w, h = (float(v) for v in bbox)
    return [x, y, x + w, y + h]


def write_refer(dataset_dir: str, coco: Dict[str, Any], refs: List[Dict[str, Any]],
                split_by: str = 'unc') -> Dict[str, str]:
    """Write ``dataset_dir/instances.json`` and ``dataset_dir/refs(<split_by>).p`` (pickle protocol 2).

    Returns the paths written as ``dict(ann_file=..., split_file=...)``.
    """
    os.makedirs(dataset_dir, exist_ok=True)
    ann_file = osp.join(dataset_dir, 'instances.json')
    split_file = osp.join(dataset_dir, f'refs({split_by}).p')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    with open(split_file, 'wb') as f:
        pickle.dump(refs, f, protocol=2)
    return dict(ann_file=ann_file, split_file=split_file)
