"""mmrec's loaders for every scheme of mmengine's ``CheckpointLoader``, all reading weights-only.

mmengine 0.10.7 reads local files with ``torch.load`` and URLs with ``torch.hub.load_state_dict_from_url``,
neither with ``weights_only=True``; ``torchvision://``, ``open-mmlab://`` and ``mmcls://`` resolve a name
to a URL and go the same way, ``pavi://`` and ``s3://`` / ``petrel://`` call ``torch.load`` on the fetched
bytes. :func:`register_safe_checkpoint_loader` (run by ``import mmrec``) registers a loader of this module over each
of those prefixes; each resolves and fetches as mmengine does, then reads the file with
:func:`~mmrec.utils.safe_checkpoint.load_weights_only`. A prefix some other package registered that this
module does not know, registered before or after ``import mmrec``, is wrapped so that it refuses without
the opt-in (its loader could unpickle anything).

Downloads go where torch puts them (``<torch hub dir>/checkpoints/<file name of the URL>``) and a file
already there is reused without a hash check, as torch and mmengine do; it is read weights-only like any
other file, so a planted file cannot run code.
"""
import functools
import io
import os
import os.path as osp
import zipfile
from tempfile import TemporaryDirectory
from typing import Any, Callable, Optional
from urllib.parse import urlparse

import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .safe_checkpoint import (OPT_IN, MapLocation, UntrustedCheckpointError, checkpoints_trusted,
                              load_local_checkpoint, load_weights_only)


def hub_checkpoint_path(url: str, model_dir: Optional[str] = None) -> str:
    """Where torch's hub keeps the download of ``url``: ``<model_dir or hub dir/checkpoints>/<file name>``."""
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    return osp.join(model_dir, osp.basename(urlparse(url).path))


def _fetch(url: str, model_dir: Optional[str]) -> str:
    path = hub_checkpoint_path(url, model_dir)
    if not osp.exists(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        print_log(f'Downloading {url} to {path}', logger='current')
        torch.hub.download_url_to_file(url, path, hash_prefix=None, progress=os.isatty(0))
    return path


def _unpack_legacy_zip(path: str) -> str:
    """The checkpoint inside a zip of exactly one file (how torch < 1.6 weights were published, e.g. on some
    model zoos), unpacked next to it as ``torch.hub`` does; any other file is returned as it is."""
    if not zipfile.is_zipfile(path):
        return path
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) != 1 or members[0].is_dir():
            return path  # torch's own zip format: several members
        return archive.extract(members[0], osp.dirname(path))  # extract() drops absolute and '..' parts


def load_from_http(url: str, map_location: MapLocation = None, model_dir: Optional[str] = None) -> Any:
    """``http://`` / ``https://``: download into the hub cache (unless the file is there), read weights-only.

    As in mmengine, rank 0 of a distributed run downloads first and the other ranks then read its copy.
    """
    rank, world_size = get_dist_info()
    path = None
    if rank == 0:
        path = _fetch(url, model_dir)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = _fetch(url, model_dir)
    path = _unpack_legacy_zip(path)
    return load_local_checkpoint(path, map_location, label=f'{path} (the torch hub cache\'s copy of {url})')


def load_from_torchvision(filename: str, map_location: MapLocation = None) -> Any:
    """``torchvision://NAME`` (and the deprecated ``modelzoo://NAME``): torchvision's URL for NAME."""
    name = filename.split('://', 1)[1]
    urls = mmengine_checkpoint.get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{filename}: torchvision has no model weights named {name!r}')
    return load_from_http(urls[name], map_location)


def load_from_openmmlab(filename: str, map_location: MapLocation = None) -> Any:
    """``open-mmlab://NAME`` / ``openmmlab://NAME``: mmengine's model zoo table (URL or file under
    mmengine's home), deprecated names mapped as mmengine maps them."""
    name = filename.split('://', 1)[1]
    name = mmengine_checkpoint.get_deprecated_model_names().get(name, name)
    urls = mmengine_checkpoint.get_external_models()
    if name not in urls:
        raise KeyError(f'{filename}: mmengine\'s model zoo has no model named {name!r}')
    if urls[name].startswith(('http://', 'https://')):
        return load_from_http(urls[name], map_location)
    return load_local_checkpoint(osp.join(mmengine_checkpoint._get_mmengine_home(), urls[name]), map_location)


def load_from_mmcls(filename: str, map_location: MapLocation = None) -> Any:
    """``mmcls://NAME``: mmengine's mmcls table, keys renamed by mmengine's ``_process_mmcls_checkpoint``."""
    url = mmengine_checkpoint.get_mmcls_models()[filename[len('mmcls://'):]]
    return mmengine_checkpoint._process_mmcls_checkpoint(load_from_http(url, map_location))


def load_from_pavi(filename: str, map_location: MapLocation = None) -> Any:
    """``pavi://PATH``: fetched with pavi's modelcloud into a temporary folder, read weights-only."""
    try:
        from pavi import modelcloud
    except ImportError as error:
        raise ImportError('Please install pavi to load checkpoint from modelcloud.') from error
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        path = osp.join(tmp_dir, model.name)
        model.download(path)
        return load_local_checkpoint(path, map_location, label=filename)


def load_from_ceph(filename: str, map_location: MapLocation = None, backend: str = 'petrel') -> Any:
    """``s3://`` / ``petrel://`` (optionally ``NAME:s3://``): the bytes from mmengine's file backend."""
    from mmengine.fileio import get_file_backend
    data = get_file_backend(filename, backend_args={'backend': backend}).get(filename)
    with io.BytesIO(data) as buffer:
        return load_weights_only(buffer, filename, map_location)


def load_from_local(filename: str, map_location: MapLocation = None) -> Any:
    """A local path (mmengine's ``''`` prefix)."""
    return load_local_checkpoint(filename, map_location)


# mmengine 0.10.7's prefixes (regular expressions matched at the start of the path) and mmrec's loaders.
SCHEME_LOADERS = {
    '': load_from_local,
    'http://': load_from_http,
    'https://': load_from_http,
    'modelzoo://': load_from_torchvision,
    'torchvision://': load_from_torchvision,
    'open-mmlab://': load_from_openmmlab,
    'openmmlab://': load_from_openmmlab,
    'mmcls://': load_from_mmcls,
    'pavi://': load_from_pavi,
    r'(\S+\:)?s3://': load_from_ceph,
    r'(\S+\:)?petrel://': load_from_ceph,
}


def refuse_unless_trusted(loader: Callable) -> Callable:
    """Wrap a scheme loader mmrec does not know: it runs only with the opt-in, as it may unpickle in full."""
    if getattr(loader, 'mmrec_guarded', False):
        return loader

    @functools.wraps(loader)
    def guarded(filename: str, map_location: MapLocation = None) -> Any:
        if not checkpoints_trusted():
            raise UntrustedCheckpointError(
                f'Refused to load checkpoint {filename}: its scheme is read by {loader.__module__}.'
                f'{loader.__qualname__}, which mmrec cannot make weights-only, so loading it could run code '
                f'from the file. If you trust this file, {OPT_IN} (mmrec.utils.checkpoint_schemes).')
        return loader(filename, map_location)

    guarded.mmrec_guarded = True
    return guarded


def _guarded_loader_lookup(lookup: Callable) -> classmethod:
    """``CheckpointLoader._get_checkpoint_loader`` that guards a loader registered after ``import mmrec``."""
    def get_checkpoint_loader(cls, path: str) -> Callable:
        loader = lookup(cls, path)
        known = loader in SCHEME_LOADERS.values() or getattr(loader, 'mmrec_guarded', False)
        return loader if known else refuse_unless_trusted(loader)

    get_checkpoint_loader.mmrec_lookup = lookup
    return classmethod(get_checkpoint_loader)


def register_safe_checkpoint_loader() -> None:
    """Register :data:`SCHEME_LOADERS` over mmengine's and guard every other prefix, those registered now and
    (through the loader lookup, which dispatches every ``CheckpointLoader.load_checkpoint``) later. Idempotent."""
    for prefix, loader in SCHEME_LOADERS.items():
        CheckpointLoader.register_scheme(prefixes=prefix, loader=loader, force=True)
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if prefix not in SCHEME_LOADERS:
            CheckpointLoader.register_scheme(prefixes=prefix, loader=refuse_unless_trusted(loader), force=True)
    lookup = CheckpointLoader._get_checkpoint_loader.__func__
    if not hasattr(lookup, 'mmrec_lookup'):
        CheckpointLoader._get_checkpoint_loader = _guarded_loader_lookup(lookup)
