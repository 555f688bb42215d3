"""Evaluate an mmrec model on a REC dataset (mmdet's tools/test.py argument style).

Example:
    python tools/test.py configs/method2.py work_dirs/detector/epoch_12.pth
    python tools/test.py configs/method2.py ckpt.pth --out work_dirs/preds.jsonl --show-dir vis
    bash tools/dist_test.sh configs/method2.py ckpt.pth 8
    python tools/test.py configs/method2.py other.pth --trust-checkpoint   # full unpickling: trusted files only
    python tools/test.py configs/method2.py ckpt.pth --cache-dir work_dirs/cache   # a 2nd run reads the detections
"""
import argparse
from typing import List, Optional

from mmengine.config import Config, ConfigDict

from mmrec.engine import add_rec_cache_hook
from mmrec.utils import (add_runner_arguments, build_runner, finish_distributed, load_tool_config,
                         parse_runner_arguments)  # importing mmrec registers its modules


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate an mmrec (REC) model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (optional when the config loads all its weights itself)')
    parser.add_argument('--out', help='write one JSON row per expression (prediction, IoU, ids) to this file')
    parser.add_argument('--show-dir', help='draw ground truth (green) and prediction (red) with the '
                        'expression for every expression, into this dir (relative to the run dir)')
    parser.add_argument('--max-per-image', type=int, default=None,
                        help='with --show-dir, draw at most this many expressions per image')
    parser.add_argument('--cache-dir', help='read and keep the detector candidates and CLIP crop embeddings of each '
                        'image in this directory, so that a later run differing only in scoring settings skips the '
                        'detector and the image encoder (the config key rec_cache=dict(dir=...) does the same)')
    add_runner_arguments(parser, 'model.scorer.encoder.name_or_path=/models/clip test_dataloader.dataset.split=val')
    return parse_runner_arguments(parser, argv)


def _rec_metric_cfgs(evaluator_cfg) -> list:
    """The RECMetric entries of a test_evaluator config (a dict, a list, or an Evaluator dict)."""
    if isinstance(evaluator_cfg, dict) and 'metrics' in evaluator_cfg:
        evaluator_cfg = evaluator_cfg['metrics']
    metrics = evaluator_cfg if isinstance(evaluator_cfg, (list, tuple)) else [evaluator_cfg]
    return [m for m in metrics if isinstance(m, dict) and m.get('type') == 'RECMetric']


def build_config(args: argparse.Namespace) -> Config:
    """Merge the command line into the config."""
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.out is not None:
        metric_cfgs = _rec_metric_cfgs(cfg.test_evaluator)
        if not metric_cfgs:
            raise ValueError('--out needs a RECMetric in test_evaluator')
        for metric_cfg in metric_cfgs:
            metric_cfg['dump_file'] = args.out
    add_rec_cache_hook(cfg, args.cache_dir)
    if args.show_dir is not None:
        cfg.default_hooks['visualization'] = ConfigDict(
            type='RECVisualizationHook', draw=True, test_out_dir=args.show_dir,
            max_per_image=args.max_per_image)
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = build_config(args)
    runner = build_runner(cfg, trust_checkpoint=args.trust_checkpoint)
    runner.test()
    finish_distributed()


if __name__ == '__main__':
    main()
