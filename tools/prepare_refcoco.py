"""Check a RefCOCO data root and write a leak-free detection training file for the detector.

    python tools/prepare_refcoco.py data/coco --dataset refcoco --split-by unc [--out FILE]

The root is in mmdet's layout: ``DATA_ROOT/{refcoco,refcoco+,refcocog}/instances.json`` with
``refs(unc|google|umd).p`` beside it and the images in ``DATA_ROOT/train2014/`` (any sub-folder with an
``instances.json`` and ``refs(*).p`` files counts, e.g. ``synthetic/`` with images in ``images/``).

It prints, per data set and split file, per split: refs, expressions, images, and the images whose
files are missing. It then writes a COCO detection file (every instance, every category) of the
chosen data set's **train** images, less any image that a non-train split of any REFER data set or
split file in the root uses: RefCOCO's val/test images are COCO train2014 images, and refcocog's
umd/google splits share images with refcoco's val/test, so a detector trained on them would have
seen the test images. Train images whose files are missing are left out too.

With ``--coco-ann annotations/instances_train2014.json`` it also writes COCO train2014 less every image that a
non-train split of any REFER data set in the root uses (``--coco-out``, default
``DATA_ROOT/annotations/instances_train2014_minus_refer_val_test.json``): the training file of a COCO detector
that has not seen RefCOCO/+/g's val and test images (configs/detector/faster-rcnn_r50_fpn_1x_coco-2014-minus-refer.py,
as MAttNet's detector was trained). COCO 2017 train holds those images, so mmdet's COCO checkpoints have seen them.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Set

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmrec.datasets.refer_io import load_instances, load_refs, sentence_text  # noqa: E402
from mmrec.utils.tool_checks import check_data_root  # noqa: E402
from mmrec.utils.user_errors import UserError, add_debug_argument, did_you_mean, run_tool  # noqa: E402

TRAIN_SPLIT = 'train'
NUM_EXAMPLES = 5


def discover_datasets(data_root: str) -> Dict[str, Dict[str, str]]:
    """``{dataset: {split_by: refs file}}`` for every sub-folder holding instances.json + refs(*).p."""
    datasets: Dict[str, Dict[str, str]] = {}
    for ann_file in sorted(glob.glob(osp.join(glob.escape(data_root), '*', 'instances.json'))):
        folder = osp.dirname(ann_file)
        split_files = {}
        for path in sorted(glob.glob(osp.join(glob.escape(folder), 'refs(*).p'))):
            match = re.fullmatch(r'refs\((.+)\)\.p', osp.basename(path))
            if match:
                split_files[match.group(1)] = path
        if split_files:
            datasets[osp.basename(folder)] = split_files
    return datasets


def split_statistics(refs: List[dict]) -> Dict[str, Dict[str, int]]:
    """Per split: number of refs, of non-empty expressions and of distinct images."""
    stats: Dict[str, Dict[str, int]] = defaultdict(lambda: dict(refs=0, expressions=0))
    images: Dict[str, Set[int]] = defaultdict(set)
    for ref in refs:
        split = str(ref['split'])
        stats[split]['refs'] += 1
        stats[split]['expressions'] += sum(1 for s in ref['sentences']
                                           if isinstance(s, dict) and sentence_text(s))
        images[split].add(ref['image_id'])
    for split, ids in images.items():
        stats[split]['images'] = len(ids)
    return dict(stats)


def missing_image_files(coco: dict, image_ids: Set[int], img_dir: str) -> List[str]:
    """File names of the given images that are not in ``img_dir`` (sorted)."""
    names = [img['file_name'] for img in coco['images'] if img['id'] in image_ids]
    return sorted(name for name in names if not osp.isfile(osp.join(img_dir, name)))


def detection_subset(coco: dict, image_ids: Set[int]) -> dict:
    """The COCO dict restricted to ``image_ids`` (all their instances, all categories)."""
    return dict(info=dict(description='REFER train images for detector training (mmrec)'),
                images=[img for img in coco['images'] if img['id'] in image_ids],
                annotations=[ann for ann in coco['annotations'] if ann['image_id'] in image_ids],
                categories=coco['categories'])


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--dataset', default='refcoco', help='refcoco, refcoco+, refcocog, synthetic')
    parser.add_argument('--split-by', default='unc', help='unc, google (refcoco/refcocog), umd (refcocog)')
    parser.add_argument('--img-dir', default=None,
                        help='image folder under DATA_ROOT (default: images/ for synthetic, else train2014/)')
    parser.add_argument('--out', default=None,
                        help='output file (default: DATA_ROOT/<dataset>/instances_train_<split-by>_det.json)')
    parser.add_argument('--coco-ann', default=None,
                        help='COCO train2014 instances file (path under DATA_ROOT or absolute): also write it less '
                             'every REFER val/test image')
    parser.add_argument('--coco-out', default=None,
                        help='output of --coco-ann (default: DATA_ROOT/annotations/'
                             'instances_train2014_minus_refer_val_test.json)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def write_coco_minus_held_out(coco_file: str, held_out: Set[int], out: str) -> dict:
    """Write the COCO file ``coco_file`` less the ``held_out`` images (all other images, their instances, all
    categories) to ``out``; returns counts and the image ids removed."""
    coco = load_instances(coco_file)
    all_ids = {img['id'] for img in coco['images']}
    removed = all_ids & held_out
    subset = detection_subset(coco, all_ids - removed)
    subset['info'] = dict(description='COCO train2014 less every REFER val/test image (mmrec)')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(subset, f)
    print(f'{coco_file}: {len(all_ids)} images; removed {len(removed)} used by a non-train split of a REFER data '
          f'set in the root; wrote {len(subset["images"])} images, {len(subset["annotations"])} instances to {out}')
    return dict(coco_out=out, coco_removed=sorted(removed), coco_written=len(subset['images']))


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the check and write the file; returns a summary (paths, counts, excluded image ids)."""
    args = parse_args(argv)
    check_data_root(args.data_root)
    img_dir = osp.join(args.data_root, args.img_dir or ('images' if args.dataset == 'synthetic'
                                                         else 'train2014'))
    datasets = discover_datasets(args.data_root)
    if args.dataset not in datasets:
        raise UserError(f'--dataset {args.dataset}: no {args.dataset}/instances.json with refs(*).p under '
                        f'{args.data_root}; data sets found: {sorted(datasets)}{did_you_mean(args.dataset, datasets)}')
    if args.split_by not in datasets[args.dataset]:
        split_file = osp.join(args.data_root, args.dataset, f'refs({args.split_by}).p')
        raise UserError(f'--split-by {args.split_by}: {split_file} '
                        f'not found; split files there: {sorted(datasets[args.dataset])}')

    held_out: Set[int] = set()  # images of any non-train split of any data set in the root
    chosen_coco, chosen_train = None, set()
    for name, split_files in datasets.items():
        coco = load_instances(osp.join(args.data_root, name, 'instances.json'))
        for split_by, split_file in split_files.items():
            refs = load_refs(split_file)
            print(f'{name} ({split_by}):')
            for split, stats in sorted(split_statistics(refs).items()):
                print(f'  {split:>6}: {stats["refs"]:7d} refs {stats["expressions"]:7d} expressions '
                      f'{stats["images"]:6d} images')
            ref_images = {ref['image_id'] for ref in refs}
            missing = missing_image_files(coco, ref_images, img_dir)
            print(f'  missing image files in {img_dir}: {len(missing)}'
                  + (f', e.g. {missing[:NUM_EXAMPLES]}' if missing else ''))
            held_out |= {ref['image_id'] for ref in refs if ref['split'] != TRAIN_SPLIT}
            if (name, split_by) == (args.dataset, args.split_by):
                chosen_coco = coco
                chosen_train = {ref['image_id'] for ref in refs if ref['split'] == TRAIN_SPLIT}

    leaked = chosen_train & held_out
    missing_train = {img['id'] for img in chosen_coco['images']
                     if img['id'] in chosen_train and not osp.isfile(osp.join(img_dir, img['file_name']))}
    keep = chosen_train - leaked - missing_train
    out = args.out or osp.join(args.data_root, args.dataset, f'instances_train_{args.split_by}_det.json')
    subset = detection_subset(chosen_coco, keep)
    with open(out, 'w') as f:
        json.dump(subset, f)
    print(f'{args.dataset} ({args.split_by}) train: {len(chosen_train)} images; excluded {len(leaked)} '
          f'used by a non-train split of a REFER data set in the root and {len(missing_train)} '
          f'with missing files; wrote {len(subset["images"])} images, {len(subset["annotations"])} '
          f'instances, {len(subset["categories"])} categories to {out}')
    summary = dict(out=out, num_train_images=len(chosen_train), excluded_leaked=sorted(leaked),
                   excluded_missing=sorted(missing_train), written_image_ids=sorted(keep))
    if args.coco_ann is not None:
        coco_file = args.coco_ann if osp.isabs(args.coco_ann) else osp.join(args.data_root, args.coco_ann)
        if not osp.isfile(coco_file):
            raise FileNotFoundError(f'--coco-ann {coco_file} not found: give COCO\'s '
                                    'annotations/instances_train2014.json')
        coco_out = args.coco_out or osp.join(args.data_root, 'annotations',
                                             'instances_train2014_minus_refer_val_test.json')
        summary.update(write_coco_minus_held_out(coco_file, held_out, coco_out))
    return summary


if __name__ == '__main__':
    run_tool(main, also=(FileNotFoundError, ValueError))  # unreadable REFER files: one line naming the file
