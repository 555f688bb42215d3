"""Evaluate a grid of REC settings in one pass over the data (detector and crops once per image).

Examples:
    python tools/sweep.py configs/method2.py ckpt.pth --grid model.scorer.top_k=5,10,20 \
        --grid model.scorer.crop_mode=crop,crop+blur
    python tools/sweep.py configs/method2.py ckpt.pth --zip --grid model.scorer.detector_score_weight=0,0.1,0.2 \
        --grid model.scorer.prompt_templates="['{}'],['a photo of {}.'],['{}']" --cache-dir work_dirs/cache
    bash tools/torchrun.sh tools/sweep.py 2 configs/method2.py ckpt.pth --grid ...   # 2 processes (torchrun)

Each point's metrics equal those of a separate ``tools/test.py`` run with ``--cfg-options`` set to the point.
The table is printed; ``sweep.csv`` and ``sweep.json`` are written in the run's directory under the work dir.
"""
import argparse
from typing import List, Optional

from mmrec.engine.sweep import load_points, run_sweep
from mmrec.utils import (add_evaluation_arguments, add_runner_arguments, finish_distributed, load_tool_config,
                         parse_runner_arguments, run_tool)
from mmrec.utils.tool_checks import check_checkpoint_path, check_dataset_files


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a grid of REC settings in one pass over the data')
    parser.add_argument('config', help='test config file path (the base point)')
    parser.add_argument('checkpoint', nargs='?', default=None, help='checkpoint file')
    parser.add_argument('--grid', action='append', required=True, metavar='KEY=V1,V2,...',
                        help='a model setting and its values, e.g. model.scorer.top_k=5,10,20 (Python literals; '
                        'brackets keep lists together: "[\'{}\'],[\'a photo of {}.\']"); repeat for more keys')
    parser.add_argument('--zip', action='store_true',
                        help="pair the grids' values (i-th with i-th) instead of their cartesian product")
    parser.add_argument('--cache-dir', help='read and keep the detections and crop embeddings in this directory '
                        '(as tools/test.py --cache-dir); default: the config\'s rec_cache.dir, else memory only')
    add_evaluation_arguments(parser)
    add_runner_arguments(parser, 'model.scorer.encoder.name_or_path=/models/clip')
    return parse_runner_arguments(parser, argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    points, keys = load_points(cfg, args.grid, args.zip)  # bad keys and values fail here, before any work
    check_checkpoint_path(cfg.get('load_from'))
    check_dataset_files(cfg, ('test_dataloader', ))
    cache_dir = args.cache_dir or (cfg.get('rec_cache') or {}).get('dir')
    results = run_sweep(cfg, points, keys, cache_dir, trust_checkpoint=args.trust_checkpoint,
                        allow_missing_keys=args.allow_missing_keys, cfg_options=args.cfg_options)
    finish_distributed()
    return results


if __name__ == '__main__':
    run_tool(main)
