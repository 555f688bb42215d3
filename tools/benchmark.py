"""Speed of mmrec's REC inference against the naive one-expression-at-a-time pipelines.

On a RefCOCO-shaped synthetic workload (COCO-sized images, 7 expressions per image) and full-size models with
random weights (CLIP ViT-B/32 geometry, Faster R-CNN R50-FPN; speed does not depend on the weights), it times
method 2 and method 1 (local search on) as mmrec runs them and as the naive reference does (detector per
expression, PIL crops encoded box by box), checks that both choose the same boxes, and measures the CLIP
image encoder against the machine's matmul peak; then (``--parts sweep``) an 8-point scoring sweep through
tools/sweep.py's code path against 8 separate evaluations, and a second cached tools/test.py run against the
first (mmrec/apps/benchmark/sweep.py); then (``--parts grounding``) MM-GDINO-T with its backbone and neck run
once per image against mmdet's predict per expression, same boxes required (mmrec/apps/benchmark/grounding.py).
The last line printed is JSON with all the figures.

    python tools/benchmark.py                                  # CPU, float32, 2 images (a few minutes)
    python tools/benchmark.py --device cuda --num-images 50    # on a GPU (CLIP under float16 autocast)
    python tools/benchmark.py --methods 2 --top-k 20 --dtype bfloat16
    python tools/benchmark.py --parts sweep --sweep-methods 2 1   # only the sweep and cache measurement
"""
import argparse
import json
import os
import sys

os.environ.setdefault('HF_HUB_OFFLINE', '1')  # everything is built locally; never reach for the hub

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmrec.apps.benchmark import BenchmarkSettings, run_benchmark  # noqa: E402

REFCOCO_VAL_EXPRESSIONS = 10834


def parse_args(argv=None) -> BenchmarkSettings:
    defaults = BenchmarkSettings()
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default=defaults.device, help='torch device, e.g. cpu or cuda:0')
    parser.add_argument('--dtype', default=defaults.dtype, choices=['float32', 'bfloat16', 'float16'],
                        help='float32, or autocast to bfloat16/float16 for both pipelines')
    parser.add_argument('--num-images', type=int, default=defaults.num_images, help='timed images per method')
    parser.add_argument('--expressions-per-image', type=int, default=defaults.expressions_per_image)
    parser.add_argument('--top-k', type=int, default=defaults.top_k, help='candidates (K) per image')
    parser.add_argument('--image-batch', type=int, default=defaults.image_batch,
                        help="images per model call in mmrec's pipeline")
    parser.add_argument('--clip-batch', type=int, default=defaults.clip_batch,
                        help='crops per call when measuring the CLIP encoder alone')
    parser.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument('--methods', type=int, nargs='+', default=list(defaults.methods), choices=[1, 2])
    parser.add_argument('--resample', default=defaults.resample, choices=['bicubic', 'bilinear', 'roi_align'],
                        help="naive crops: PIL's bicubic or bilinear resize, or roi_align (mmrec's crop path on the original image)")
    parser.add_argument('--crop-source', default=defaults.crop_source, choices=['original', 'input'],
                        help="mmrec's CLIP crops: PIL-exact bicubic from the loaded image (as the RefCOCO configs) "
                             "or roi_align from the detector's resized input")
    parser.add_argument('--clip-init-factor', type=float, default=defaults.clip_init_factor,
                        help="initializer_factor of the random CLIP (1: transformers' default; see "
                             'mmrec/apps/benchmark/models.py): sets how far apart the candidates scores are, '
                             'hence how robust the agreement is, not the speed')
    parser.add_argument('--parts', nargs='+', default=list(defaults.parts), choices=['speed', 'sweep', 'grounding'],
                        help='speed: mmrec against the naive pipelines; sweep: a scoring sweep against separate '
                        "evaluations and a cached test run; grounding: MM-GDINO-T's backbone and neck once per image "
                        'against its predict per expression')
    parser.add_argument('--sweep-methods', type=int, nargs='+', default=list(defaults.sweep_methods), choices=[1, 2],
                        help='methods of the sweep measurement')
    parser.add_argument('--sweep-images', type=int, default=defaults.sweep_images,
                        help="images of the sweep measurement's data set")
    parser.add_argument('--tiny', action='store_true', help='tiny models and images (smoke test only)')
    parser.add_argument('--seed', type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    return BenchmarkSettings(device=args.device, dtype=args.dtype, num_images=args.num_images,
                             expressions_per_image=args.expressions_per_image, top_k=args.top_k,
                             image_batch=args.image_batch, clip_batch=args.clip_batch, threads=args.threads,
                             methods=tuple(args.methods), resample=args.resample, crop_source=args.crop_source,
                             clip_init_factor=args.clip_init_factor, tiny=args.tiny, seed=args.seed,
                             parts=tuple(args.parts), sweep_methods=tuple(args.sweep_methods),
                             sweep_images=args.sweep_images)


def format_report(results: dict) -> str:
    """The human-readable report printed before the JSON line."""
    lines = [f"device: {results['device']} ({results['device_name']}), {results['threads']} threads, "
             f"{results['dtype']}{', TINY models' if results['tiny'] else ''}; load average at start "
             f"{results['load_average'][0]:.2f}, at end {results['load_average_end'][0]:.2f}"]
    if 'speed' in results['parts']:
        lines += [''] + speed_report(results)
    if 'sweep' in results['parts']:
        lines += [''] + sweep_report(results)
    if 'grounding' in results['parts']:
        lines += [''] + grounding_report(results)
    lines += ['', f"peak memory: {results['peak_memory_mb']:.0f} MiB"]
    return '\n'.join(lines)


def speed_report(results: dict) -> list:
    lines = [f"mmrec crops from the {results['crop_source']} image, naive crops {results['resample']}; workload: "
             f"{results['num_images']} images x {results['expressions_per_image']} expressions (+1 warm-up image), "
             f"K={results['top_k']}",
             '',
             f"{'':10} {'mmrec expr/s':>13} {'naive expr/s':>13} {'ours/naive':>11} {'same box':>9} "
             f"{'IoU>=0.5':>9} {'crops/img':>10} {'naive crops/img':>16} {'detector s':>11}"]
    for method in results['methods']:
        m = f'm{method}'
        naive_crops = results[f'{m}_naive_crops_per_expr'] * results['expressions_per_image']
        lines.append(f"method {method:<3} {results[f'{m}_expr_per_s']:13.3f} {results[f'{m}_naive_expr_per_s']:13.3f} "
                     f"{results[f'{m}_speedup']:10.2f}x {100 * results[f'{m}_agreement']:8.1f}% "
                     f"{100 * results[f'{m}_agreement_iou50']:8.1f}% {results[f'{m}_crops_per_image']:10.1f} "
                     f"{naive_crops:16.1f} {results[f'{m}_detector_seconds_per_call']:11.2f}")
    for method in results['methods']:
        hours = REFCOCO_VAL_EXPRESSIONS / results[f'm{method}_expr_per_s'] / 3600
        lines.append(f'RefCOCO val ({REFCOCO_VAL_EXPRESSIONS} expressions), method {method}: about {hours:.1f} h '
                     f"with mmrec, {hours * results[f'm{method}_speedup']:.1f} h naive")
    lines += ['',
              f"CLIP image encoder: {results['clip_crops_per_s']:.1f} crops/s (batch {results['clip_batch']}) x "
              f"{results['clip_gflop_per_crop']:.2f} GFLOP = {results['clip_achieved_gflops']:.1f} GFLOP/s; "
              f"matmul peak {results['matmul_peak_gflops']:.1f} GFLOP/s ({results['matmul_dtype']}): "
              f"{100 * results['clip_roofline_fraction']:.0f}% of peak"]
    return lines


def sweep_report(results: dict) -> list:
    lines = [f"research loop on {results['sweep_images']} synthetic images:"]
    for method in results['sweep_methods']:
        prefix = 'sweep' if method == 2 else 'm1_sweep'
        lines.append(f"method {method}: {results[f'{prefix}_points']}-point scoring sweep "
                     f"{results[f'{prefix}_seconds']:.1f} s, {results[f'{prefix}_points']} separate evaluations "
                     f"{results[f'{prefix}_separate_seconds']:.1f} s: {results[f'{prefix}_speedup']:.2f}x, largest "
                     f"metric difference {results[f'{prefix}_max_metric_diff']:g}")
    if 'cache_speedup' in results:
        lines.append(f"tools/test.py --cache-dir, method 2: first run {results['cache_first_seconds']:.1f} s, second "
                     f"{results['cache_second_seconds']:.1f} s: {results['cache_speedup']:.2f}x, same metrics: "
                     f"{results['cache_same_metrics']}")
    return lines


def grounding_report(results: dict) -> list:
    return [f"grounding detector ({'tiny' if results['tiny'] else 'MM-GDINO-T'}), {results['grounding_expressions']} "
            f"expressions: predict per expression {results['grounding_naive_seconds']:.1f} s, backbone and neck once "
            f"per image {results['grounding_seconds']:.1f} s: {results['grounding_speedup']:.2f}x, same boxes "
            f"{100 * results['grounding_same_boxes']:.0f}% (largest head output difference "
            f"{results['grounding_max_head_difference']:.2g}); backbone + neck "
            f"{100 * results['grounding_image_share']:.0f}% of a forward (sharing them alone: "
            f"{results['grounding_image_sharing_speedup']:.2f}x), "
            f"{results['grounding_text_calls_per_image']:.1f} text batches per image"]


def main(argv=None) -> dict:
    results = run_benchmark(parse_args(argv))
    print(format_report(results))
    print(json.dumps(results, sort_keys=True))
    return results


if __name__ == '__main__':
    main()
