"""One pass over the test data for every point of a sweep.

Points are grouped by their detector-side config (the model config without the scoring keys its detector
declares, ``CACHE_SCORING_KEYS``): each group has one model (the runner's, when the group's detector settings
are the base config's; else one built and loaded from the same checkpoint), whose :meth:`image_work` runs once
per batch; each point has its own scoring module (``build_scoring_module``: method 2's scorer, method 1's head)
sharing the encoder of every other point with the same encoder config, and is scored with the model's
``score_samples`` -- the code ``predict`` runs -- through one :class:`~mmrec.cache.RECCache`, so the crops of a
batch of boxes are encoded once for all points that ask for them (and read from ``--cache-dir`` when it has
them). Texts: points whose scoring configs differ only in the detector's ``TEXT_INDEPENDENT_KEYS`` make the
same text-encoder calls; they share one text cache, filled by the first of them in each batch and read (not
changed) by the others, and other points have their own: every point's texts are encoded in the batches a
separate evaluation would use, so its metrics equal a separate evaluation's exactly.
"""
import copy
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from ...cache import RECCache, attach_cache, canonical, config_at, log_summary, open_cache, without_keys
from ...models.encoders.text_cache import TextCache
from ...utils import UserError, load_checked_checkpoint, unwrap_model
from ..expression_bank_hook import hand_expression_bank
from .grid import Point, describe, point_config


def _log(message: str, level: int = logging.INFO) -> None:
    print_log(f'sweep: {message}', logger='current', level=level)


@dataclass
class SweepPoint:
    """One grid point: its settings, config, scoring module, evaluator and text caches (shared with the points
    of the same text calls; ``reads_texts``: another point fills them)."""

    settings: Point
    cfg: Config
    scoring: Optional[torch.nn.Module] = None
    evaluator: object = None
    text_caches: Dict[int, TextCache] = field(default_factory=dict)
    reads_texts: bool = False
    metrics: Dict[str, float] = field(default_factory=dict)

    @contextmanager
    def own_text_caches(self) -> Iterator[None]:
        """Set this point's text cache (read-only when another point fills it) as the ``text_cache`` of every
        encoder of the point's scoring module while it scores; the encoders' own are set back after."""
        encoders = [module for module in self.scoring.modules()
                    if isinstance(getattr(module, 'text_cache', None), TextCache)]
        previous = [encoder.text_cache for encoder in encoders]
        for encoder in encoders:
            cache = self.text_caches.setdefault(id(encoder), TextCache(encoder.text_cache.size))
            encoder.text_cache = cache.read_only() if self.reads_texts else cache
        try:
            yield
        finally:
            for encoder, cache in zip(encoders, previous):
                encoder.text_cache = cache


@dataclass
class SweepGroup:
    """Points sharing their detector-side settings, and the model that does their image work."""

    model: torch.nn.Module
    cfg: Config
    points: List[SweepPoint] = field(default_factory=list)


class SweepEvaluation:
    """Evaluate every point of a sweep in one pass over ``runner``'s test data (see the module docstring).

    Args:
        runner: built from the base config (the checkpoint is loaded by :meth:`run`).
        points: the grid points (dotted ``model.…`` keys -> values).
        cache_dir: a :class:`~mmrec.cache.RECCache` directory to read and keep the work in; ``None`` keeps it in
            memory for the pass only.
        allow_missing_keys: evaluate a point whose model the checkpoint leaves partly uninitialised (else refused,
            :mod:`mmrec.utils.weight_check`).
    """

    def __init__(self, runner: Runner, points: List[Point], cache_dir: Optional[str] = None,
                 allow_missing_keys: bool = False) -> None:
        self.runner = runner
        self.allow_missing_keys = allow_missing_keys
        self.cfg = runner.cfg
        self.settings = points
        self.cache_dir = cache_dir
        self.cache: Optional[RECCache] = None
        self.groups: List[SweepGroup] = []
        #: the points in grid order (``points``' order), whatever group each is processed in
        self.points: List[SweepPoint] = []

    # -- set-up, before any image ------------------------------------------------------------------------
    def _detector_key(self, model: torch.nn.Module, cfg: Config) -> str:
        return canonical(without_keys(cfg.model, getattr(model, 'CACHE_SCORING_KEYS', ())))

    def build(self) -> None:
        """Build the groups' models, the points' scoring modules and evaluators; errors name the point."""
        runner = self.runner
        runner.load_or_resume()
        base = unwrap_model(runner.model)
        if not hasattr(base, 'build_scoring_module'):
            raise TypeError(f'{type(base).__name__} cannot be swept: a sweep needs a REC detector '
                            '(RECDetector, TextConditionedRCNN)')
        base.eval()
        device = next(base.parameters()).device
        self.cache = open_cache(self.cache_dir) if self.cache_dir else None
        if self.cache is None:
            self.cache = RECCache(None)  # the points of a batch still share its work
        groups: Dict[str, SweepGroup] = {self._detector_key(base, self.cfg): SweepGroup(base, self.cfg)}
        encoders: Dict[str, torch.nn.Module] = {
            canonical(config_at(self.cfg.model, base.SCORING_ENCODER)): base.scoring_module.encoder}
        for settings in self.settings:
            point = SweepPoint(settings, point_config(self.cfg, settings))
            try:
                group = groups.get(self._detector_key(base, point.cfg))
                if group is None:
                    group = SweepGroup(self._load_model(point.cfg, base, device), point.cfg)
                    groups[self._detector_key(base, point.cfg)] = group
                encoder_cfg = config_at(point.cfg.model, base.SCORING_ENCODER)
                encoder = encoders.get(canonical(encoder_cfg))
                if encoder is None:
                    from mmdet.registry import MODELS
                    encoder = MODELS.build(copy.deepcopy(encoder_cfg)).to(device).eval()
                    encoders[canonical(encoder_cfg)] = encoder
                self.cache.register_encoder(encoder, encoder_cfg)
                point.scoring = group.model.build_scoring_module(point.cfg.model, encoder).to(device).eval()
            except UserError as error:
                raise UserError(f'sweep point ({describe(settings)}): {error}') from error
            except Exception as error:
                raise ValueError(f'sweep point ({describe(settings)}): {type(error).__name__}: {error}') from error
            point.evaluator = runner.build_evaluator(copy.deepcopy(self.cfg.test_evaluator))
            group.points.append(point)
            self.points.append(point)
        self.groups = [group for group in groups.values() if group.points]
        self._share_text_caches(base)
        for group in self.groups:
            attach_cache(group.model, self.cache, group.cfg.model)

    def _share_text_caches(self, base: torch.nn.Module) -> None:
        """Points of one group whose scoring configs differ only in ``TEXT_INDEPENDENT_KEYS`` share text caches:
        the first in processing order fills them, the others read them."""
        for group in self.groups:
            leaders: Dict[str, SweepPoint] = {}
            for point in group.points:
                scoring_cfg = config_at(point.cfg.model, base.SCORING_MODULE)
                leader = leaders.setdefault(canonical(without_keys(scoring_cfg, base.TEXT_INDEPENDENT_KEYS)), point)
                if leader is not point:
                    point.text_caches, point.reads_texts = leader.text_caches, True

    def _load_model(self, cfg: Config, base: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """A model of another detector-side config, loaded as ``tools/test.py``'s runner loads one: built, no
        ``init_weights`` (which would fetch ``Pretrained`` init weights the checkpoint replaces anyway), then
        the base config's checkpoint through mmengine's loader (mmrec's weights-only one for every source, see
        :mod:`mmrec.utils.safe_checkpoint`). Its scoring encoder is the base model's when their configs are
        equal (the one it built is dropped)."""
        from mmdet.registry import MODELS

        model = MODELS.build(copy.deepcopy(cfg.model))
        if cfg.get('load_from'):
            load_checked_checkpoint(model, cfg.load_from, self.allow_missing_keys)
        if canonical(config_at(cfg.model, base.SCORING_ENCODER)) == canonical(
                config_at(self.cfg.model, base.SCORING_ENCODER)):
            owner = model.scoring_module
            owner.encoder = base.scoring_module.encoder
        return model.to(device).eval()

    # -- the pass ----------------------------------------------------------------------------------------
    @torch.no_grad()
    def run(self) -> List[SweepPoint]:
        """Build, evaluate every point in one pass, and return the points (in grid order) with their
        ``metrics``."""
        self.build()
        dataloader = self.runner.build_dataloader(self.cfg.test_dataloader, seed=self.runner.seed)
        dataset_meta = getattr(dataloader.dataset, 'metainfo', None)
        points = self.points
        for point in points:
            point.evaluator.dataset_meta = dataset_meta
        hand_expression_bank([point.scoring for point in points], dataloader.dataset, 'test')
        _log(f'{len(points)} point(s) in {len(self.groups)} detector group(s), {len(dataloader)} batch(es) on this '
             f'process; cache: {self.cache.store.root if self.cache.store else "memory only"}')
        interval = max(1, int(self.cfg.get('default_hooks', {}).get('logger', {}).get('interval', 50)))
        start = time.perf_counter()
        for index, data_batch in enumerate(dataloader):
            self.run_batch(data_batch)
            if (index + 1) % interval == 0 or index + 1 == len(dataloader):
                elapsed = time.perf_counter() - start
                eta = elapsed / (index + 1) * (len(dataloader) - index - 1)
                _log(f'[{index + 1}/{len(dataloader)}] batches, {elapsed:.1f} s elapsed, eta {eta:.0f} s')
        for point in points:
            point.metrics = point.evaluator.evaluate(len(dataloader.dataset))
        log_summary(self.cache)
        for group in self.groups:
            attach_cache(group.model, None, group.cfg.model)
        return points

    def run_batch(self, data_batch: dict) -> None:
        """The image work of every group once, then every point's scoring and evaluation."""
        for index, group in enumerate(self.groups):
            batch = data_batch if index == 0 else dict(data_batch, data_samples=copy.deepcopy(
                data_batch['data_samples']))
            data = group.model.data_preprocessor(batch, False)
            inputs, samples = data['inputs'], data['data_samples']
            works = group.model.image_work(inputs, samples)
            for point in group.points:
                point_samples = [sample.new() for sample in samples]
                with point.own_text_caches():
                    outputs = group.model.score_samples(point.scoring, inputs, point_samples, works)
                point.evaluator.process(data_samples=outputs, data_batch=data_batch)


def refuse_dump_files(cfg: Config) -> None:
    """``ValueError`` when the test evaluator writes a ``dump_file``: every point would write the same file."""
    evaluators = cfg.get('test_evaluator') or []
    for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
        if isinstance(evaluator, dict) and evaluator.get('dump_file'):
            raise ValueError(f'tools/sweep.py: test_evaluator {evaluator.get("type")} has dump_file='
                             f'{evaluator["dump_file"]!r}, which every point of the sweep would overwrite; '
                             'remove it (--cfg-options test_evaluator.dump_file=None) and dump the rows of the '
                             'point you need with tools/test.py')


def run_sweep(cfg: Config, points: List[Point], keys: List[str], cache_dir: Optional[str] = None,
              trust_checkpoint: bool = False, allow_missing_keys: bool = False,
              cfg_options: Optional[dict] = None) -> dict:
    """Build the runner of ``cfg`` (``tools/test.py``'s way), evaluate every point in one pass, and on the main
    process print the table and write ``sweep.csv`` / ``sweep.json`` in the run's log dir.

    Returns:
        ``dict(points=[settings], metrics=[{metric: value}], files={'csv': ..., 'json': ...}, cache=RECCache)``
        (``files`` empty on other ranks; ``cache`` counts what was read and computed).
    """
    from mmengine.dist import is_main_process

    from ...utils import build_runner
    from .report import format_table, write_results

    refuse_dump_files(cfg)
    runner = build_runner(cfg, trust_checkpoint=trust_checkpoint, evaluation=True,
                          allow_missing_keys=allow_missing_keys, cfg_options=cfg_options)
    evaluation = SweepEvaluation(runner, points, cache_dir, allow_missing_keys)
    results = evaluation.run()  # in grid order
    points = [point.settings for point in results]
    metrics = [point.metrics for point in results]
    files = {}
    if is_main_process():
        _log('REC metrics (%) per point:\n' + format_table(keys, points, metrics))
        files = write_results(runner.log_dir, keys, points, metrics)
        _log(f'wrote {files["csv"]} and {files["json"]}')
    return dict(points=points, metrics=metrics, files=files, cache=evaluation.cache)
