"""The *Try it* tab's work: check an upload and its expressions, run :class:`~mmrec.apis.RECInferencer` once
for all of them, and lay out the answers (a drawing, a table, the boxes as JSON)."""
import json
import time
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from mmrec.apis import RECInferencer
from mmrec.visualization import answer_color, draw_rec_answers
from .cues import expression_cues
from .inputs import DEFAULT_LIMITS, Limits, load_upload_image, parse_expressions

TABLE_HEADERS = ['#', 'colour', 'expression', 'box [x1, y1, x2, y2]', 'score', 'cues read']


@dataclass
class TryItOutput:
    """What the tab shows: ``drawing`` RGB ``(H, W, 3)`` uint8, one table row per expression
    (:data:`TABLE_HEADERS`), the answers as JSON text and a one-line summary."""
    drawing: np.ndarray
    table: List[list]
    answers_json: str
    summary: str


def run_try_it(inferencer: RECInferencer, image_path: Optional[str], text: Optional[str],
               show_candidates: bool = False, limits: Limits = DEFAULT_LIMITS, min_width: int = 640) -> TryItOutput:
    """Answer every expression of ``text`` (one per line) on the image at ``image_path``.

    The cues column holds what the spatial-reasoning parser reads in each expression that the model's reasoner
    answered (:attr:`~mmrec.apis.RECPrediction.reasoned`), and "left to CLIP" for one it handed back (no
    location, size or relation words, or none that single out a box).

    Raises:
        InputError: a bad upload or expression list (see :func:`load_upload_image`, :func:`parse_expressions`).
    """
    expressions = parse_expressions(text, limits)
    image = load_upload_image(image_path, limits)
    start = time.perf_counter()
    result = inferencer.predict(image, expressions)
    seconds = time.perf_counter() - start
    reasoning = inferencer.uses_spatial_reasoning
    answers = []
    for index, prediction in enumerate(result.predictions):
        answers.append(dict(text=prediction.text, bbox=[round(v, 2) for v in prediction.bbox],
                            score=round(prediction.score, 4), colour=answer_color(index)[0],
                            reasoned=prediction.reasoned,
                            cues=expression_cues(prediction.text) if prediction.reasoned else []))
    drawing = draw_rec_answers(image, [p.bbox for p in result.predictions], [p.score for p in result.predictions],
                               candidates=result.candidate_bboxes if show_candidates else None, min_width=min_width)
    table = [[index + 1, answer['colour'], answer['text'], ', '.join(f'{v:.1f}' for v in answer['bbox']),
              f'{answer["score"]:.3f}', _cues_cell(answer, reasoning)] for index, answer in enumerate(answers)]
    summary = (f'{len(answers)} expression(s) answered in {seconds:.2f} s on a {image.shape[1]} x {image.shape[0]} '
               f'image, chosen among {len(result.candidate_bboxes)} candidate boxes; spatial reasoning '
               f'{"on" if reasoning else "off"}.')
    payload = dict(answers=answers, num_candidates=len(result.candidate_bboxes),
                   image_size=[int(image.shape[1]), int(image.shape[0])])
    return TryItOutput(drawing=np.ascontiguousarray(drawing[:, :, ::-1]), table=table,
                       answers_json=json.dumps(payload, ensure_ascii=False), summary=summary)


def _cues_cell(answer: dict, reasoning: bool) -> str:
    """The table's *cues read* cell: the cues where the reasoner answered, else who did."""
    if not reasoning:
        return 'no reasoning'
    if not answer['reasoned']:
        return 'left to CLIP'
    return '; '.join(answer['cues']) or '-'
