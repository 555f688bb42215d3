"""Write a synthetic REFER-format data root of coloured shapes (see ``mmrec/datasets/synthetic.py``).

    python tools/make_synthetic_refer.py data/synthetic_refer --seed 0 --num-train 200 --num-val 50
    python tools/make_synthetic_refer.py data/synthetic_grefcoco --layout grefcoco --num-val 50

The root then holds ``synthetic/instances.json``, ``synthetic/refs(unc).p`` and ``images/``; a config
reads it with ``REFERDataset(data_root=..., ann_file='synthetic/instances.json',
split_file='synthetic/refs(unc).p', data_prefix=dict(img_path='images/'))``.

``--layout grefcoco`` writes the generalised case in gRefCOCO's layout instead (``mmrec/datasets/
synthetic_grefcoco.py``): ``grefcoco/instances.json``, ``grefcoco/grefs(unc).json`` and ``images/``, with refs to
one object, to two or three ("both squares", "the two red circles") and, for a share ``--no-target-rate`` of the
images, to none ("the green circle" where no circle is green); ``GRefCOCODataset(data_root=...,
ann_file='grefcoco/instances.json', split_file='grefcoco/grefs(unc).json', data_prefix=dict(img_path='images/'))``
reads it (``configs/_base_/datasets/grefcoco_grec.py`` with ``data_root`` and ``data_prefix`` set).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmrec.datasets.synthetic import DEFAULT_NUM_IMAGES, generate_synthetic_refer  # noqa: E402
from mmrec.datasets.synthetic_grefcoco import generate_synthetic_grefcoco  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_root', help='folder to write the data root into')
    parser.add_argument('--seed', type=int, default=0)
    for split, count in DEFAULT_NUM_IMAGES.items():
        parser.add_argument(f'--num-{split}', type=int, default=count, dest=f'num_{split}',
                            help=f'images in the {split} split (default {count})')
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=240)
    parser.add_argument('--grayscale-fraction', type=float, default=0.05,
                        help='share of each split saved as single-channel images (refer layout)')
    parser.add_argument('--layout', choices=('refer', 'grefcoco'), default='refer',
                        help="'refer' (one object per expression) or 'grefcoco' (one, several or none)")
    parser.add_argument('--no-target-rate', type=float, default=0.5,
                        help='grefcoco layout: share of the images that get an expression referring to nothing')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    num_images = {split: getattr(args, f'num_{split}') for split in DEFAULT_NUM_IMAGES}
    if args.layout == 'grefcoco':
        summary = generate_synthetic_grefcoco(args.out_root, num_images=num_images,
                                              image_size=(args.width, args.height), seed=args.seed,
                                              no_target_rate=args.no_target_rate)
    else:
        summary = generate_synthetic_refer(args.out_root, num_images=num_images,
                                           image_size=(args.width, args.height), seed=args.seed,
                                           grayscale_fraction=args.grayscale_fraction)
    print(f'wrote {summary["ann_file"]} and {summary["split_file"]}')
    for split in num_images:
        kinds = ', '.join(f'{k} {n}' for k, n in sorted(summary['kinds'][split].items()))
        print(f'{split:>6}: {summary["num_images"][split]} images, {summary["num_refs"][split]} refs, '
              f'{summary["num_expressions"][split]} expressions ({kinds})')
    return summary


if __name__ == '__main__':
    main()
