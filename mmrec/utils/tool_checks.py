"""Checks the tools run before building a model, so that a mistyped path fails in a second with one line
(:class:`~mmrec.utils.user_errors.UserError`) instead of after the model is built: the config file, the
checkpoint, the data sets' roots and annotation files, and the pretrained encoder weights a config names."""
import os
import os.path as osp
import re
from typing import Any, Iterator, List, Optional, Tuple

from .user_errors import UserError, close_names

_SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')
#: Dataset keys holding a file (joined to ``data_root`` when relative).
_FILE_KEYS = ('ann_file', 'split_file')


def _close_paths(path: str) -> str:
    """``'; close names: a, b'`` for entries of ``path``'s folder (or of the nearest existing folder above it)
    close to the missing part, ``''`` when there are none."""
    folder, name = osp.split(osp.normpath(path))
    while folder and not osp.isdir(folder):
        folder, name = osp.split(folder)
    try:
        entries = os.listdir(folder or '.')
    except OSError:
        return ''
    close = close_names(name, entries)
    return f"; close names: {', '.join(osp.join(folder, c) for c in close)}" if close else ''


def check_file(path: str, what: str, fix: str = '') -> None:
    """:class:`UserError` naming ``path`` (a ``what``), close file names and ``fix`` when it is not a file."""
    if osp.isfile(path):
        return
    kind = 'is a folder, not a file' if osp.isdir(path) else 'not found'
    raise UserError(f'{what} {path!r} {kind}{_close_paths(path)}' + (f'; {fix}' if fix else ''))


def check_data_root(path: str) -> None:
    """A data root folder given on the command line exists (else close names in its parent folder)."""
    if not osp.isdir(path):
        raise UserError(f'data root {path!r} not found{_close_paths(path)}; give the folder that holds '
                        '<dataset>/instances.json and refs(<split-by>).p')


def check_config_path(path: str) -> None:
    """The config file exists (else close names in its folder)."""
    check_file(path, 'config file')


def check_checkpoint_path(path: Optional[str]) -> None:
    """A local checkpoint exists; URLs (``http://``, ``torchvision://``, ...) are left to their loaders."""
    if path and not _SCHEME.match(str(path)):
        check_file(str(path), 'checkpoint file', 'give the path of a .pth file (tools/train.py writes them into '
                   'its work dir)')


def _datasets(dataset_cfg: Any) -> Iterator[dict]:
    """The leaf dataset configs of ``dataset_cfg`` (through ConcatDataset / RepeatDataset style wrappers)."""
    if not isinstance(dataset_cfg, dict):
        return
    inner = dataset_cfg.get('dataset'), dataset_cfg.get('datasets')
    if inner[0] is not None:
        yield from _datasets(inner[0])
    elif inner[1] is not None:
        for child in inner[1]:
            yield from _datasets(child)
    else:
        yield dataset_cfg


def _dataset_paths(dataset_cfg: dict) -> List[Tuple[str, str]]:
    """``(key, path)`` of the data root, annotation files and data prefixes a dataset config reads."""
    root = str(dataset_cfg.get('data_root') or '')
    paths = [('data_root', root)] if root else []
    for key in _FILE_KEYS:
        value = dataset_cfg.get(key)
        if isinstance(value, str) and value:
            paths.append((key, osp.join(root, value)))
    return paths


def check_dataset_files(cfg: Any, dataloader_keys: Tuple[str, ...]) -> None:
    """Every data root and annotation file of the datasets of ``cfg``'s ``dataloader_keys`` exists; the error
    names the file and the ``--cfg-options`` key that sets it. Remote storage (``backend_args``) is not checked."""
    for loader_key in dataloader_keys:
        loader = cfg.get(loader_key) if hasattr(cfg, 'get') else None
        if not isinstance(loader, dict):
            continue
        for dataset in _datasets(loader.get('dataset')):
            if dataset.get('backend_args'):
                continue
            for key, path in _dataset_paths(dataset):
                exists = osp.isdir(path) if key == 'data_root' else osp.isfile(path)
                if not exists:
                    what = 'data root' if key == 'data_root' else f'{key}'
                    raise UserError(f'{loader_key}: {what} {path!r} not found{_close_paths(path)}; make the data '
                                    f'(docs/datasets.md) or point the config at it, e.g. --cfg-options '
                                    f'{loader_key}.dataset.{key}=...')


def _encoder_configs(node: Any, where: str = 'model') -> Iterator[Tuple[str, dict]]:
    if isinstance(node, dict):
        if isinstance(node.get('name_or_path'), str) and 'type' in node:
            yield where, node
        for key, value in node.items():
            yield from _encoder_configs(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _encoder_configs(value, f'{where}.{index}')


def check_encoder_weights(model_cfg: Any) -> None:
    """Every ``name_or_path`` of the model's pretrained encoders is a local folder or a hub name whose files are
    in the HuggingFace cache: on a machine without the weights the error comes in a second, before the hub is
    tried (which may retry for a long time offline), and says how to get them."""
    from mmrec.models.encoders.clip_encoder import looks_like_local_path

    for where, encoder in _encoder_configs(model_cfg):
        name = encoder['name_or_path']
        local = osp.expanduser(name)
        if osp.isdir(local):
            continue
        fix = (f'point it at a local copy (--cfg-options {where}.name_or_path=/path/to/weights; docs say how to '
               'save one with save_pretrained)')
        if looks_like_local_path(name):
            raise UserError(f'{where}.name_or_path: folder {name!r} not found{_close_paths(local)}; {fix}')
        if not _in_hub_cache(name):
            raise UserError(f'{where}.name_or_path: the weights {name!r} are neither a local folder nor in the '
                            f'HuggingFace cache; download them first (huggingface-cli download {name}) or {fix}')


def _in_hub_cache(repo_id: str) -> bool:
    """Whether the HuggingFace cache holds ``repo_id``'s ``config.json``."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return True  # nothing to look in: leave it to the loader
    try:
        found = try_to_load_from_cache(repo_id, 'config.json')
    except Exception:  # noqa: BLE001  (a name the hub refuses: the loader's own message is better)
        return True
    return isinstance(found, str)


def load_model_config(config: str, checkpoint: Optional[str] = None, cfg_options: Optional[dict] = None):
    """The config of an inference tool (``tools/demo.py``, ``tools/web_demo.py``) with ``cfg_options`` merged,
    after checking, before any model is built: the config file, the option keys, the checkpoint (``checkpoint``
    or the config's ``load_from``) and the pretrained encoder weights."""
    from .config_keys import check_cfg_options
    from .safe_config import load_config

    check_config_path(config)
    cfg = load_config(config)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    check_checkpoint_path(checkpoint or cfg.get('load_from'))
    check_encoder_weights(cfg.get('model'))
    return cfg
