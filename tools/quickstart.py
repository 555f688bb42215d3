"""Run the whole REC pipeline on synthetic shapes, offline, on a CPU, and print the report's Table 1.

    python tools/quickstart.py                      # 4-8 minutes on 2 CPU cores (longer on a busy machine)
    python tools/quickstart.py --work-dir work_dirs/qs --num-train 100 --clip-epochs 10

It generates the data (data/synthetic, data/synthetic_source), trains the untuned and the fine-tuned tiny
detector, the tiny region-text CLIP and method 1's head with tools/train.py, evaluates method 1 (baseline and
fine-tuned) and method 2 (untuned and fine-tuned detector) on the val split with tools/test.py, then the
generalised row (synthetic gRefCOCO: threshold chosen on val with tools/sweep.py, testA evaluated with it),
prints the tables and writes WORK_DIR/results.json, results_generalized.json and WORK_DIR/pictures/. See
mmrec/apps/quickstart/ for the stages.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmrec.apps.quickstart import QuickstartSettings, StageFailed, run_quickstart  # noqa: E402

DEFAULTS = QuickstartSettings()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/quickstart', help='where runs, logs and results go')
    parser.add_argument('--data-root', default='data/synthetic', help='the REC data (written here)')
    parser.add_argument('--source-root', default='data/synthetic_source',
                        help="the untuned detector's source shapes (written here)")
    parser.add_argument('--grefcoco-root', default='data/synthetic_grefcoco',
                        help="the generalised row's synthetic gRefCOCO data (written here)")
    parser.add_argument('--seed', type=int, default=DEFAULTS.seed, help='data and training seed')
    parser.add_argument('--num-train', type=int, default=DEFAULTS.num_train, help='REC train images')
    parser.add_argument('--num-val', type=int, default=DEFAULTS.num_val, help='REC val images')
    parser.add_argument('--num-source', type=int, default=DEFAULTS.num_source, help='source images')
    parser.add_argument('--num-grec', type=int, default=DEFAULTS.num_grec,
                        help='synthetic gRefCOCO images of each of val (threshold) and testA (figures)')
    parser.add_argument('--image-size', type=int, nargs=2, default=DEFAULTS.image_size, metavar=('W', 'H'),
                        help='REC image size')
    parser.add_argument('--source-image-size', type=int, nargs=2, default=DEFAULTS.source_image_size,
                        metavar=('W', 'H'), help='source image size')
    for name, what in (('detector', 'the untuned detector'), ('finetune', 'the detector fine-tuning'),
                       ('clip', 'the CLIP'), ('method1', "method 1's head")):
        parser.add_argument(f'--{name}-epochs', type=int, default=None,
                            help=f'epochs of {what} (default: its config\'s)')
    parser.add_argument('--jobs', type=int, default=DEFAULTS.jobs,
                        help='stages run at once when their inputs are ready (default 2)')
    parser.add_argument('--threads', type=int, default=DEFAULTS.threads,
                        help='torch threads per stage (default 1: jobs x threads should not exceed the cores)')
    parser.add_argument('--reuse', action='store_true',
                        help='skip the data and the stages whose last run had the same command')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = QuickstartSettings(
        work_dir=args.work_dir, data_root=args.data_root, source_root=args.source_root,
        grefcoco_root=args.grefcoco_root, seed=args.seed, num_train=args.num_train, num_val=args.num_val,
        num_source=args.num_source, num_grec=args.num_grec, image_size=args.image_size,
        source_image_size=args.source_image_size, detector_epochs=args.detector_epochs,
        finetune_epochs=args.finetune_epochs, clip_epochs=args.clip_epochs, method1_epochs=args.method1_epochs,
        jobs=args.jobs, threads=args.threads, reuse=args.reuse)
    try:
        run_quickstart(settings)
    except StageFailed as error:
        print(f'quickstart failed: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
