"""Train an mmrec model with MMEngine's runner (mmdet's tools/train.py argument style).

Example:
    python tools/train.py configs/method1.py --work-dir work_dirs/method1
    python tools/train.py configs/method1.py --resume            # latest checkpoint in the work dir
    bash tools/dist_train.sh configs/method1.py 8                # 8 GPUs (torchrun)
"""
import argparse
from typing import List, Optional

import torch
from mmengine.config import Config

from mmrec.utils import (UserError, add_runner_arguments, build_runner,  # importing mmrec registers its modules
                         finish_distributed, load_tool_config, parse_runner_arguments, run_tool)
from mmrec.utils.tool_checks import check_checkpoint_path, check_dataset_files


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an mmrec (REC) model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size (auto_scale_lr in the config)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir when no path is given')
    add_runner_arguments(parser, 'train_cfg.max_epochs=1 optim_wrapper.optimizer.lr=1e-4')
    return parse_runner_arguments(parser, argv)


def build_config(args: argparse.Namespace) -> Config:
    """Merge the command line into the config."""
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        optim_wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper_type == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        elif optim_wrapper_type != 'OptimWrapper':
            raise UserError(f'--amp needs an OptimWrapper, the config has {optim_wrapper_type}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise UserError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    """Train. A user's mistake (paths, keys) is a :class:`~mmrec.utils.UserError`, checked before the model is
    built."""
    args = parse_args(argv)
    if args.amp and not torch.cuda.is_available():
        raise UserError('--amp needs a CUDA GPU: mmengine\'s AmpOptimWrapper does not run on the CPU')
    cfg = build_config(args)
    check_checkpoint_path(cfg.get('load_from'))
    check_dataset_files(cfg, ('train_dataloader', ) + (('val_dataloader', ) if cfg.get('val_cfg') else ()))
    runner = build_runner(cfg, trust_checkpoint=args.trust_checkpoint, cfg_options=args.cfg_options)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    run_tool(main)
