"""``RECCacheHook``: evaluate with the on-disk cache of detector candidates and crop embeddings
(``tools/test.py --cache-dir DIR``, or ``rec_cache = dict(dir=DIR)`` in a config)."""
from typing import Optional

from mmdet.registry import HOOKS
from mmengine.config import Config
from mmengine.hooks import Hook

from ..cache import RECCache, attach_cache, log_summary, open_cache
from ..utils import unwrap_model


@HOOKS.register_module()
class RECCacheHook(Hook):
    """Before the test loop (after the checkpoint is loaded), attach a :class:`~mmrec.cache.RECCache` on
    ``dir`` to the REC detector; after it, log what was read and computed and detach it.

    A directory that cannot be used (not writable, not yours or writable by others, written by another mmrec
    version, or the per-user cache key cannot be trusted) is warned about and the
    evaluation runs without the cache. After the test, ``cache`` is the run's cache (with its counts), or
    ``None`` when none was used.

    Args:
        dir: the cache directory (created if missing).
    """

    priority = 'VERY_LOW'
    #: entries also kept in memory: one test run asks for each entry about once (a sweep shares a batch's
    #: entries between its points and keeps more), and method 1's entries are megabytes each
    MEMORY_ENTRIES = 16

    def __init__(self, dir: str) -> None:  # noqa: A002  (the config key's name)
        self.dir = dir
        self.cache: Optional[RECCache] = None

    def before_test(self, runner) -> None:
        self.cache = open_cache(self.dir, memory_entries=self.MEMORY_ENTRIES)
        if self.cache is not None:
            attach_cache(unwrap_model(runner.model), self.cache, runner.cfg.model)

    def after_test(self, runner) -> None:
        """Log what was read and computed and detach the cache (``self.cache`` keeps its counts)."""
        log_summary(self.cache)
        if self.cache is not None:
            attach_cache(unwrap_model(runner.model), None, runner.cfg.model)


def add_rec_cache_hook(cfg: Config, cache_dir: Optional[str] = None) -> None:
    """Turn ``--cache-dir`` (or the config's ``rec_cache = dict(dir=...)``) into a :class:`RECCacheHook` in
    ``cfg.custom_hooks``; nothing when neither is set."""
    if cache_dir is not None:
        cfg.rec_cache = dict(dir=cache_dir)
    settings = cfg.get('rec_cache')
    if not settings:
        return
    hooks = [hook for hook in cfg.get('custom_hooks', []) if hook.get('type') != 'RECCacheHook']
    cfg.custom_hooks = hooks + [dict(type='RECCacheHook', **settings)]
