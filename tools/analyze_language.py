"""What the spatial reasoner reads in a REFER data set's expressions, and how far geometry alone gets.

    python tools/analyze_language.py data --dataset refcoco --split-by unc --split val
    python tools/analyze_language.py data --dataset refcocog --split-by umd --split val --split test \
        --candidates same-category --dump work_dirs/refcocog_language.jsonl
    python tools/analyze_language.py data --dataset refcoco --explain 20 --explain-cue depth --explain-seed 0

DATA_ROOT is a REFER root (``DATA_ROOT/<dataset>/instances.json`` and ``refs(<split-by>).p``; a folder that
holds those two files itself works too). No images are needed or looked for.

For each split it prints the number of expressions; how many carry each cue type (location extreme,
ordinal, depth, size, relation, none: an expression can carry several) as carry / answered / answered right;
and the **geometry-only accuracy**: the candidates are the annotations of the expression's image in
``instances.json`` (``--candidates same-category``: only those of the referred object's category, the
category-oracle setting), every phrase matches every candidate equally (CLIP taken out), the prior is
uniform, the reasoner's argmax is the prediction, and a declined expression is credited chance (1/K).
Expressions of images with fewer than two candidates are left out. The last line is one JSON object over all
requested splits together: ``expressions``, ``chance``, ``geometry_accuracy``, ``answered``,
``answered_accuracy`` (fractions), the cue counts, ``left_out`` and ``per_split``.

``--explain N`` first prints N expressions answered wrongly (``--explain-cue depth``: only those carrying a
depth cue; ``--explain-seed S``: a random sample instead of the first N), each with its parse and a table of
the candidate boxes: the box, its bottom edge and linear size as fractions of the image, every factor the
reasoner applied (prior x CLIP, size, each location cue, the relation) and the resulting probabilities, the
chosen box marked ``*`` and the referred one ``R``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmrec.datasets import REFERDataset  # noqa: E402
from mmrec.evaluation.language_analysis import (CANDIDATE_MODES, LanguageSummary, analyze_samples,  # noqa: E402
                                                format_table)
from mmrec.evaluation.language_explain import format_explained, pick, wrong_answers  # noqa: E402
from mmrec.models.spatial_reasoning import CUE_TYPES  # noqa: E402
from mmrec.utils.tool_checks import check_data_root, check_file  # noqa: E402
from mmrec.utils.user_errors import add_debug_argument, run_tool  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Cue types and geometry-only accuracy of the spatial reasoner on '
                                                 'a REFER data set (annotations only, no images)')
    parser.add_argument('data_root', help='REFER root holding <dataset>/instances.json and refs(<split-by>).p')
    parser.add_argument('--dataset', default='refcoco', help='sub-folder of DATA_ROOT (refcoco, refcoco+, ...)')
    parser.add_argument('--split-by', default='unc', help='split file refs(<split-by>).p: unc, google, umd, ...')
    parser.add_argument('--split', action='append', default=None,
                        help='split to analyse; repeat for several (default: val)')
    parser.add_argument('--candidates', choices=CANDIDATE_MODES, default='all',
                        help="'all' annotations of the image, or 'same-category' as the referred object")
    parser.add_argument('--dump', help='write one JSON line per expression (text, split, cues, answered, credit)')
    parser.add_argument('--explain', type=int, default=0, metavar='N',
                        help='print N expressions answered wrongly: the parse, every factor per box, the chosen and '
                             'the referred box')
    parser.add_argument('--explain-cue', choices=CUE_TYPES[:-1],
                        help='explain only wrong answers whose expression carries this cue type')
    parser.add_argument('--explain-seed', type=int,
                        help='explain a random sample of the wrong answers (this seed) instead of the first N')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def annotation_files(data_root: str, dataset: str, split_by: str) -> Tuple[str, str]:
    """``(ann_file, split_file)`` under ``data_root/dataset`` or, failing that, ``data_root`` itself."""
    folder = osp.join(data_root, dataset)
    if not osp.isdir(folder) and osp.isfile(osp.join(data_root, 'instances.json')):
        folder = data_root
    return osp.join(folder, 'instances.json'), osp.join(folder, f'refs({split_by}).p')


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    check_data_root(args.data_root)
    ann_file, split_file = annotation_files(args.data_root, args.dataset, args.split_by)
    check_file(ann_file, 'annotation file', f'check DATA_ROOT and --dataset {args.dataset}')
    check_file(split_file, 'split file', f'check --split-by {args.split_by} (refs(<split-by>).p)')
    splits = args.split or ['val']
    dataset = REFERDataset(ann_file=ann_file, split_file=split_file, split=splits, data_prefix=dict(img_path=''),
                           with_candidates=True, check_images=False, test_mode=True)
    start = time.time()
    samples = (dataset.get_data_info(index) for index in range(len(dataset)))
    outcomes, left_out = analyze_samples(samples, candidates=args.candidates)
    print(f'{len(outcomes)} expressions of {len(dataset)} images analysed in {time.time() - start:.1f} s '
          f'({left_out} left out: fewer than two candidates, or the referred object not among them)', file=sys.stderr)
    if args.explain:
        samples = (dataset.get_data_info(index) for index in range(len(dataset)))
        for item in pick(wrong_answers(samples, candidates=args.candidates, cue=args.explain_cue), args.explain,
                         args.explain_seed):
            print(format_explained(item) + '\n')
    per_split = {split: LanguageSummary.of([o for o in outcomes if o.split == split]) for split in splits}
    overall = LanguageSummary.of(outcomes)
    print(f'{args.dataset} ({args.split_by}), candidates: {args.candidates}')
    print(format_table({**per_split, 'all': overall} if len(splits) > 1 else per_split))
    if args.dump:
        os.makedirs(osp.dirname(osp.abspath(args.dump)), exist_ok=True)
        with open(args.dump, 'w') as f:
            for outcome in outcomes:
                f.write(json.dumps(outcome.as_dict()) + '\n')
    result = dict(dataset=args.dataset, split_by=args.split_by, splits=splits, candidates=args.candidates,
                  left_out=left_out, **overall.as_dict(),
                  per_split={split: summary.as_dict() for split, summary in per_split.items()})
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    run_tool(main, also=(FileNotFoundError, ValueError))  # unreadable REFER files: one line naming the file
