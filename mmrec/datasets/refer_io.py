"""Reading and writing the REFER annotation files (``instances.json`` + ``refs(<split_by>).p``).

Shared by :class:`~mmrec.datasets.REFERDataset`, ``tools/prepare_refcoco.py`` and the synthetic data
generator, so that the three agree on one format and one set of checks.
"""
import codecs
import json
import os
import os.path as osp
import pickle
from typing import Any, Dict, List

# Keys every REFER ref dict carries (the loaders need these; 'file_name' and 'sent_ids' are optional).
REQUIRED_REF_KEYS = ('ref_id', 'ann_id', 'image_id', 'split', 'sentences', 'category_id')


def _decode_bytes(obj: Any) -> Any:
    """Turn every ``bytes`` inside ``obj`` (dict keys, values, list items) into ``str``.

    Pickles written by Python 2 hold byte strings; ``encoding='latin1'`` turns most of them into ``str``
    already, but pickles written by Python 3 with ``bytes`` objects still load as ``bytes``.
    """
    if isinstance(obj, bytes):
        try:
            return obj.decode('utf-8')
        except UnicodeDecodeError:
            return obj.decode('latin1')
    if isinstance(obj, dict):
        return {_decode_bytes(k): _decode_bytes(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_decode_bytes(v) for v in obj)
    return obj


class _PlainDataUnpickler(pickle.Unpickler):
    """Unpickles plain data only (dicts, lists, tuples, strings, numbers, bytes): a REFER split file is nothing
    else, and refusing every class and function means a file from elsewhere cannot run code when it is read.
    The one function allowed, ``codecs.encode``, is how protocol-2 pickles of Python 3 rebuild ``bytes``."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (('_codecs', 'encode'), ('codecs', 'encode')):
            return codecs.encode
        raise pickle.UnpicklingError(f'it needs {module}.{name}, and a REFER split file holds plain data only '
                                     '(dicts, lists, strings, numbers); refusing to load it')


def require_file(path: str, what: str) -> None:
    """Raise ``FileNotFoundError`` naming ``path`` (and what it should be) if it is not a file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')


def load_refs(split_file: str) -> List[Dict[str, Any]]:
    """Load a REFER ``refs(<split_by>).p`` pickle as a list of ref dicts with ``str`` strings.

    Reads Python 3 pickles and legacy Python 2 ones (``encoding='latin1'``). Only plain data is unpickled: a
    file that needs any class or function (which could run code when loaded) is refused.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a pickle of a list of REFER ref dicts, or needs a class or function (the
            message names the file and the global, or for a malformed ref, its index and the missing keys).
    """
    require_file(split_file, 'REFER split file')
    try:
        with open(split_file, 'rb') as f:
            refs = _PlainDataUnpickler(f, encoding='latin1').load()
    except Exception as err:  # any unpickling failure means "not a REFER pickle"
        raise ValueError(f'{split_file} is not a readable pickle of plain data: {err}') from err
    refs = _decode_bytes(refs)
    if not isinstance(refs, list):
        raise ValueError(f'{split_file} must hold a list of REFER ref dicts, got {type(refs).__name__}')
    for index, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise ValueError(f'{split_file}: ref #{index} is a {type(ref).__name__}, not a REFER ref dict')
        missing = [key for key in REQUIRED_REF_KEYS if key not in ref]
        if missing:
            raise ValueError(f'{split_file}: ref #{index} (ref_id={ref.get("ref_id")}) lacks keys {missing}')
        if not isinstance(ref['sentences'], list):
            raise ValueError(f'{split_file}: ref_id={ref["ref_id"]} has "sentences" that is not a list')
    return refs


def load_instances(ann_file: str) -> Dict[str, Any]:
    """Load a COCO ``instances.json``; raise ``ValueError`` naming the file if it lacks COCO keys."""
    require_file(ann_file, 'COCO annotation file')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{ann_file} is not valid JSON: {err}') from err
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
