"""What the spatial reasoner reads in a REC benchmark's expressions, and how far geometry alone gets.

    python tools/analyze_language.py data --dataset refcoco --split-by unc --split val
    python tools/analyze_language.py data --dataset refcocog --split-by umd --split val --split test \
        --candidates same-category --dump work_dirs/refcocog_language.jsonl
    python tools/analyze_language.py data --dataset refcoco --explain 20 --explain-cue depth --explain-seed 0

    python tools/analyze_language.py data/coco/grefcoco --split val          # gRefCOCO (found by its files)
    python tools/analyze_language.py data/ref-l4 --split val --split test    # Ref-L4's Parquet files
    python tools/analyze_language.py data/my_rec/expressions.jsonl           # the JSON-lines format

DATA is a benchmark in its published layout (docs/datasets.md), read by its dataset class; ``--format`` names
the layout, else it is found from the files (a folder holding several layouts must name one):

- ``refer``: ``DATA/<dataset>/instances.json`` + ``refs(<split-by>).p`` (RefCOCO/+/g, RefClef; a folder that
  holds the two files itself works too);
- ``grefcoco``: ``grefs(<split-by>).json`` + ``instances.json`` in ``DATA``, ``DATA/grefcoco`` or
  ``DATA/<dataset>``;
- ``ref-l4``: ``DATA/ref-l4-<split>.parquet`` per ``--split`` (or one Parquet file given as DATA);
- ``jsonl``: ``DATA/expressions.jsonl`` (else the folder's ``*.jsonl``, or the file given); ``--split`` keeps
  the lines of those splits.

No images are needed (a JSON-lines or Ref-L4 file without image sizes reads them from ``images/`` beside it
when present; expressions of an image of unknown size are left out and counted).

For each split it prints the number of expressions; how many carry each cue type (location extreme,
ordinal, depth, size, relation, none: an expression can carry several) as carry / answered / answered right;
and the **geometry-only accuracy**: the candidates are the annotations of the expression's image in
``instances.json`` (``--candidates same-category``: only those of the referred object's category, the
category-oracle setting), every phrase matches every candidate equally (CLIP taken out), the prior is
uniform, the reasoner's argmax is the prediction, and a declined expression is credited chance (1/K).
Expressions of images with fewer than two candidates are left out. An expression with several referred
objects (gRefCOCO, JSON lines' ``boxes``) is right when the one box the reasoner picks is any of them (chance
T/K), and left out when every candidate is referred; one that refers to nothing is not scored but counted
(``no_target``). The last line is one JSON object over all requested splits together: ``expressions``,
``chance``, ``geometry_accuracy``, ``answered``, ``answered_accuracy`` (fractions), the cue counts,
``left_out``, ``excluded`` (per reason), ``no_target``, ``multi_target``, ``with_two_candidates`` (expressions
with a target and at least two candidates), ``format`` and ``per_split``.

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
from collections import Counter
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmrec.evaluation.language_analysis import (CANDIDATE_MODES, EXCLUSIONS, LanguageSummary,  # noqa: E402
                                                analyze_samples, format_table)
from mmrec.evaluation.language_sources import CANDIDATES_FROM, FORMATS, load_source  # noqa: E402
from mmrec.evaluation.language_explain import format_explained, pick, wrong_answers  # noqa: E402
from mmrec.models.spatial_reasoning import CUE_TYPES  # noqa: E402
from mmrec.utils.user_errors import UserError, add_debug_argument, run_tool  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Cue types and geometry-only accuracy of the spatial reasoner on '
                                                 'a REC benchmark (annotations only, no images)')
    parser.add_argument('data_root', metavar='DATA',
                        help='benchmark folder or file in its published layout (REFER root, gRefCOCO folder, '
                             'Ref-L4 folder or Parquet file, JSON-lines file or folder)')
    parser.add_argument('--format', choices=('auto', ) + FORMATS, default='auto',
                        help='layout of DATA (default: found from its files)')
    parser.add_argument('--dataset', default='refcoco', help='sub-folder of DATA_ROOT (refcoco, refcoco+, ...)')
    parser.add_argument('--split-by', default='unc',
                        help='split file refs(<split-by>).p / grefs(<split-by>).json: unc, google, umd, ...')
    parser.add_argument('--split', action='append', default=None,
                        help='split to analyse; repeat for several (default: val; JSON lines: every line)')
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


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    source = load_source(args.data_root, args.format, args.dataset, args.split_by, args.split)
    if args.candidates == 'same-category' and source.format == 'jsonl':
        raise UserError('--candidates same-category needs object categories, which the JSON-lines format has not')
    start = time.time()
    counts: Counter = Counter()
    outcomes, left_out = analyze_samples(source.samples(), candidates=args.candidates, counts=counts)
    print(f'{len(outcomes)} expressions of {source.num_images} images analysed in {time.time() - start:.1f} s '
          f'({left_out} left out: fewer than two candidates, a referred object not among them, every candidate '
          f'referred, or no image size; {counts["no_target"]} refer to nothing, not scored)', file=sys.stderr)
    if args.explain:
        for item in pick(wrong_answers(source.samples(), candidates=args.candidates, cue=args.explain_cue),
                         args.explain, args.explain_seed):
            print(format_explained(item) + '\n')
    names = list(args.split or ['val']) if source.format in ('refer', 'grefcoco') else \
        list(dict.fromkeys(o.split for o in outcomes))
    per_split = {split: LanguageSummary.of([o for o in outcomes if o.split == split]) for split in names}
    overall = LanguageSummary.of(outcomes)
    label = f'{args.dataset} ({args.split_by})' if source.format == 'refer' else source.label
    print(f'{label}, candidates: {args.candidates}, from {CANDIDATES_FROM[source.format]}')
    print(f'expressions with a target and at least 2 candidates: {counts["with_two_candidates"]}; several '
          f'referred objects (right if the chosen box is any of them): {counts["multi_target"]}; referring to '
          f'nothing (not scored): {counts["no_target"]}')
    print(format_table({**per_split, 'all': overall} if len(names) > 1 else per_split))
    if args.dump:
        os.makedirs(osp.dirname(osp.abspath(args.dump)), exist_ok=True)
        with open(args.dump, 'w') as f:
            for outcome in outcomes:
                f.write(json.dumps(outcome.as_dict()) + '\n')
    result = dict(dataset=args.dataset if source.format == 'refer' else source.label, format=source.format,
                  split_by=args.split_by, splits=names, candidates=args.candidates, left_out=left_out,
                  excluded={reason: counts[reason] for reason in EXCLUSIONS}, no_target=counts['no_target'],
                  multi_target=counts['multi_target'], with_two_candidates=counts['with_two_candidates'],
                  **overall.as_dict(), per_split={split: summary.as_dict() for split, summary in per_split.items()})
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    run_tool(main, also=(FileNotFoundError, ValueError))  # files not found or unreadable: one line naming them
