"""Find the box each expression refers to in one image, and draw the answers.

Example:
    python tools/demo.py                          # the quickstart's models on one of its images and expressions
    python tools/demo.py photo.jpg "the man on the left" "red car" \
        --config configs/method2.py --checkpoint detector.pth --out out.jpg \
        --cfg-options model.scorer.encoder.name_or_path=/models/clip-vit-base-patch32

Without ``--config`` it uses the models ``python tools/quickstart.py`` trains (as ``tools/web_demo.py`` does),
and without an image the first of the quickstart's example images with its own expressions. Prints one line
per expression (box in image pixels, score, and how many candidates it was chosen among) and writes one panel
per expression into ``--out``: the image with the chosen box (red) and the expression written under it. A mistake (a path, a key, an image that is not
one, weights that are not there) ends in one line naming it, before the model is built.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np
from mmengine.config import DictAction

from mmrec.utils import ALLOW_MISSING_FLAG, UserError, add_debug_argument, run_tool
from mmrec.utils.config_keys import keyword_errors_named
from mmrec.utils.tool_checks import check_file, load_model_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Referring expression comprehension on one image')
    parser.add_argument('image', nargs='?', help="image file (default: one of the quickstart's example images)")
    parser.add_argument('expressions', nargs='*', help='one or more referring expressions (default with no image: '
                        "the example image's own)")
    parser.add_argument('--config', default=None, help="model config (default: the quickstart's method 2)")
    parser.add_argument('--checkpoint', default=None,
                        help="model (detector) checkpoint (default without --config: the quickstart's fine-tuned one)")
    parser.add_argument('--quickstart-dir', default=None,
                        help='where the quickstart wrote its models (default: work_dirs/quickstart)')
    parser.add_argument('--out', default='demo_out.jpg', help='where to write the drawing')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.scorer.encoder.name_or_path=/models/clip')
    parser.add_argument(ALLOW_MISSING_FLAG, action='store_true',
                        help='use a checkpoint that leaves weights of the model uninitialised (refused otherwise)')
    parser.add_argument('--allow-random-weights', action='store_true',
                        help='answer without any checkpoint, with random weights (smoke runs of tiny models only; '
                             'refused otherwise)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def demo_inputs(args: argparse.Namespace):
    """``(config, checkpoint, cfg_options, image, expressions)``: the arguments', else the quickstart's."""
    from mmrec.apps.webui.defaults import QuickstartMissing, quickstart_settings, quickstart_sources

    config, checkpoint, options = args.config, args.checkpoint, dict(args.cfg_options or {})
    image, expressions = args.image, list(args.expressions)
    if image is not None and not expressions:
        raise UserError(f'no expression given for {image!r}: tools/demo.py IMAGE "the man on the left" ...')
    if image is not None:
        check_file(image, 'image')
    if config is None or image is None:
        if config is not None:
            raise UserError('give an image and its expressions: tools/demo.py IMAGE "the man on the left" ... '
                            '(without --config the quickstart\'s example image is used)')
        try:
            sources = quickstart_sources(quickstart_settings(*([args.quickstart_dir] if args.quickstart_dir else [])))
        except QuickstartMissing as missing:
            raise UserError(' '.join(str(missing).replace('web_demo.py', 'demo.py').split())) from None
        config, checkpoint = sources.config, checkpoint or sources.checkpoint
        options = {**sources.cfg_options, **options}
        if image is None:
            if not sources.examples:
                raise UserError('the quickstart has no example image with expressions; give one: '
                                'tools/demo.py IMAGE "the man on the left" ...')
            image = sources.examples[0]
            expressions = sources.example_expressions[image].splitlines()
    return config, checkpoint, options, image, expressions


def main(argv: Optional[List[str]] = None) -> list:
    """Answer, print and draw; returns the predictions."""
    args = parse_args(argv)
    config, checkpoint, options, image_path, expressions = demo_inputs(args)
    from mmrec.apis import RECInferencer
    from mmrec.visualization import draw_rec_prediction

    image = RECInferencer.load_image(image_path)  # one that is not an image is named here, before the model
    cfg = load_model_config(config, checkpoint, options)
    with keyword_errors_named(options):
        inferencer = RECInferencer(cfg, checkpoint, device=args.device, allow_missing_keys=args.allow_missing_keys,
                                   allow_random_weights=args.allow_random_weights)
    result = inferencer.predict(image, expressions)
    predictions = result.predictions
    panels = []
    for index, pred in enumerate(result.predictions):
        box = ', '.join(f'{v:.1f}' for v in pred.bbox)
        among = len(result.candidates_of(index)[0])  # a grounding detector prompted per expression: its own
        print(f'{pred.text!r}: box [{box}] score {pred.score:.4f} (among {among} candidates)')
        panels.append(draw_rec_prediction(image, pred.text, pred_bbox=pred.bbox, score=pred.score))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, np.vstack(panels)):
        raise UserError(f'could not write {args.out!r}: give a writable path ending in .jpg or .png')
    print(f'drawing written to {args.out}')
    return predictions


if __name__ == '__main__':
    run_tool(main)
