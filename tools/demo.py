"""Find the box each expression refers to in one image, and draw the answers.

Example:
    python tools/demo.py photo.jpg "the man on the left" "red car" \
        --config configs/method2.py --checkpoint detector.pth --out out.jpg \
        --cfg-options model.scorer.encoder.name_or_path=/models/clip-vit-base-patch32

Prints one line per expression (box in image pixels, score, and how many candidates it was chosen among) and
writes one panel per expression into ``--out``: the image with the chosen box (red) and the expression written under it.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import DictAction

from mmrec.apis import RECInferencer
from mmrec.visualization import draw_rec_prediction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Referring expression comprehension on one image')
    parser.add_argument('image', help='image file')
    parser.add_argument('expressions', nargs='+', help='one or more referring expressions')
    parser.add_argument('--config', default='configs/method2.py', help='model config')
    parser.add_argument('--checkpoint', default=None, help='model (detector) checkpoint')
    parser.add_argument('--out', default='demo_out.jpg', help='where to write the drawing')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.scorer.encoder.name_or_path=/models/clip')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    inferencer = RECInferencer(args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options)
    image = inferencer.load_image(args.image)
    result = inferencer.predict(image, args.expressions)
    panels = []
    for index, pred in enumerate(result.predictions):
        box = ', '.join(f'{v:.1f}' for v in pred.bbox)
        among = len(result.candidates_of(index)[0])  # a grounding detector prompted per expression: its own
        print(f'{pred.text!r}: box [{box}] score {pred.score:.4f} (among {among} candidates)')
        panels.append(draw_rec_prediction(image, pred.text, pred_bbox=pred.bbox, score=pred.score))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, np.vstack(panels)):
        raise OSError(f'could not write {args.out}')
    print(f'drawing written to {args.out}')


if __name__ == '__main__':
    main()
