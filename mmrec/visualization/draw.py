"""Draw one REC result: gt box in green, predicted box in red, expression below.

Pure cv2 + numpy. The expression goes into a filled caption band appended
under the picture rather than over it, so that the text never hides a box and
stays legible on any background; long expressions wrap onto several lines.
Images narrower than ``min_width`` are enlarged first (nearest neighbour, boxes
scaled alike), otherwise a caption on a 32-pixel-wide picture could not be read.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

GT_COLOR = (0, 255, 0)  # BGR green
PRED_COLOR = (0, 0, 255)  # BGR red
TEXT_COLOR = (255, 255, 255)
CAPTION_BACKGROUND = (48, 48, 48)
LEGEND_COLOR = (200, 200, 200)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def to_bgr_uint8(image: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 copy of a grayscale, BGR or BGRA image."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image.copy()
    raise ValueError(f'expected an (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) '
                     f'image, got shape {image.shape}')


def _ascii(text: str) -> str:
    """cv2's Hershey fonts only draw ASCII; show anything else as '?'."""
    return ''.join(char if 32 <= ord(char) < 127 else '?' for char in str(text))


def _text_width(text: str, font_scale: float, thickness: int) -> int:
    return cv2.getTextSize(text, FONT, font_scale, thickness)[0][0]


def wrap_text(text: str, max_width: int, font_scale: float,
              thickness: int = 1) -> List[str]:
    """Greedy word wrap so that every line is at most ``max_width`` pixels wide.

    A word wider than a whole line is cut between characters.
    """
    lines: List[str] = []
    current = ''
    for word in _ascii(text).split():
        candidate = f'{current} {word}' if current else word
        if _text_width(candidate, font_scale, thickness) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ''
        for char in word:  # the word alone may still be too wide
            if current and _text_width(current + char, font_scale,
                                       thickness) > max_width:
                lines.append(current)
                current = ''
            current += char
    if current:
        lines.append(current)
    return lines or ['']


def _clipped_box(bbox: Optional[Sequence[float]], width: int,
                 height: int) -> Optional[Tuple[int, int, int, int]]:
    """Integer box clipped to the image; None when absent, invalid or outside."""
    if bbox is None:
        return None
    box = np.asarray(bbox, dtype=np.float64).reshape(-1)
    if box.shape != (4, ) or not np.isfinite(box).all():
        return None
    x1, y1, x2, y2 = box
    if x2 < 0 or y2 < 0 or x1 > width - 1 or y1 > height - 1:
        return None
    x1, x2 = np.clip([x1, x2], 0, width - 1)
    y1, y2 = np.clip([y1, y2], 0, height - 1)
    return int(round(x1)), int(round(y1)), int(round(x2)), int(round(y2))


def _draw_tag(canvas: np.ndarray, box: Tuple[int, int, int, int], label: str,
              color: Tuple[int, int, int], font_scale: float) -> None:
    """A small filled tag with ``label`` at the box's top-left corner.

    Placed above the box when there is room, inside it otherwise, and shifted
    left when it would leave the image.
    """
    (text_w, text_h), baseline = cv2.getTextSize(label, FONT, font_scale, 1)
    tag_w, tag_h = text_w + 4, text_h + baseline + 4
    height, width = canvas.shape[:2]
    x1, y1 = box[0], box[1]
    top = y1 - tag_h if y1 - tag_h >= 0 else min(y1 + 1, max(height - tag_h, 0))
    left = max(0, min(x1, width - tag_w))
    cv2.rectangle(canvas, (left, top), (left + tag_w - 1, top + tag_h - 1),
                  color, thickness=-1)
    cv2.putText(canvas, label, (left + 2, top + 2 + text_h), FONT, font_scale,
                (0, 0, 0), 1, cv2.LINE_AA)


def _caption_band(text: str, legend: str, width: int, font_scale: float,
                  thickness: int) -> np.ndarray:
    """A filled band holding the wrapped expression and a dimmer legend."""
    margin = 6
    legend_scale = font_scale * 0.85
    lines = [(line, font_scale, thickness, TEXT_COLOR)
             for line in wrap_text(text, width - 2 * margin, font_scale, thickness)]
    lines += [(line, legend_scale, 1, LEGEND_COLOR)
              for line in wrap_text(legend, width - 2 * margin, legend_scale)]
    (_, text_h), baseline = cv2.getTextSize('Ag', FONT, font_scale, thickness)
    line_h = text_h + baseline + 4
    band = np.empty((2 * margin + line_h * len(lines), width, 3), np.uint8)
    band[:] = CAPTION_BACKGROUND
    for index, (line, scale, line_thickness, color) in enumerate(lines):
        origin = (margin, margin + index * line_h + text_h + 2)
        cv2.putText(band, line, origin, FONT, scale, color, line_thickness,
                    cv2.LINE_AA)
    return band


def _enlarged(image: np.ndarray, min_width: int) -> Tuple[np.ndarray, float]:
    """A BGR uint8 copy of ``image`` enlarged (nearest neighbour) to at least ``min_width``, and the scale."""
    canvas = to_bgr_uint8(image)
    height, width = canvas.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f'cannot draw on an empty image of shape {canvas.shape}')
    scale = max(1.0, min_width / width)
    if scale > 1.0:
        canvas = cv2.resize(canvas, (int(round(width * scale)), int(round(height * scale))),
                            interpolation=cv2.INTER_NEAREST)
    return canvas, scale


def _style(width: int, height: int) -> Tuple[int, float, int]:
    """``(box thickness, font scale, text thickness)`` that stay legible at this picture size."""
    box_thickness = max(1, int(round(min(height, width) / 160)))
    font_scale = float(np.clip(width / 800, 0.45, 1.0))
    return box_thickness, font_scale, 2 if font_scale >= 0.8 else 1


def draw_rec_prediction(image: np.ndarray,
                        text: str,
                        gt_bbox: Optional[Sequence[float]] = None,
                        pred_bbox: Optional[Sequence[float]] = None,
                        score: Optional[float] = None,
                        iou: Optional[float] = None,
                        min_width: int = 320) -> np.ndarray:
    """Draw one expression's result on a copy of ``image``.

    Args:
        image: (H, W) grayscale, (H, W, 3) BGR or (H, W, 4) BGRA, uint8.
        text: the referring expression, written in a band under the image.
        gt_bbox: ground-truth box [x1, y1, x2, y2] in image pixels (green).
        pred_bbox: predicted box in image pixels (red, drawn over the gt).
        score: optional prediction score shown in the red box's tag.
        iou: optional IoU of prediction and gt shown in the legend.
        min_width: narrower images are enlarged to this width first.

    Returns:
        A BGR uint8 image: the (possibly enlarged) picture with the boxes,
        with the caption band stacked below it. Boxes are clipped to the
        image; a box entirely outside it (or non-finite) is not drawn.
    """
    canvas, scale = _enlarged(image, min_width)
    height, width = canvas.shape[:2]
    box_thickness, font_scale, text_thickness = _style(width, height)

    def scaled(bbox):
        return None if bbox is None else np.asarray(bbox, np.float64) * scale

    boxes = []
    for bbox, color, label in (
            (gt_bbox, GT_COLOR, 'GT'),
            (pred_bbox, PRED_COLOR,
             'pred' if score is None else f'pred {float(score):.2f}')):
        box = _clipped_box(scaled(bbox), width, height)
        if box is not None:
            cv2.rectangle(canvas, box[:2], box[2:], color, box_thickness,
                          cv2.LINE_8)
            boxes.append((box, label, color))
    for box, label, color in boxes:  # tags last: no box line crosses a tag
        _draw_tag(canvas, box, label, color, font_scale * 0.7)

    legend = 'green: ground truth, red: prediction'
    if iou is not None:
        legend += f', IoU {float(iou):.2f}'
    band = _caption_band(text, legend, width, font_scale, text_thickness)
    return np.vstack([canvas, band])


#: BGR colours of the answers drawn by :func:`draw_rec_answers`, one per expression (then repeated), with
#: their names for a legend.
ANSWER_COLORS = (('red', (40, 40, 230)), ('blue', (230, 110, 30)), ('orange', (0, 150, 255)),
                 ('magenta', (200, 40, 200)), ('cyan', (220, 220, 0)), ('yellow', (0, 230, 230)),
                 ('purple', (160, 40, 110)), ('lime', (40, 230, 120)), ('brown', (30, 80, 150)),
                 ('pink', (180, 150, 255)))
CANDIDATE_COLOR = (170, 170, 170)


def answer_color(index: int) -> Tuple[str, Tuple[int, int, int]]:
    """``(name, BGR)`` of the ``index``-th answer's colour."""
    return ANSWER_COLORS[index % len(ANSWER_COLORS)]


def draw_rec_answers(image: np.ndarray,
                     boxes: Sequence[Sequence[float]],
                     scores: Sequence[float],
                     candidates: Optional[Sequence[Sequence[float]]] = None,
                     min_width: int = 320) -> np.ndarray:
    """Draw several expressions' chosen boxes on one copy of ``image``, each in its own colour.

    Args:
        image: (H, W) grayscale, (H, W, 3) BGR or (H, W, 4) BGRA, uint8.
        boxes: one ``[x1, y1, x2, y2]`` per expression, image pixels; the i-th is drawn in
            :func:`answer_color` ``(i)`` with the tag ``"<i+1>: <score>"``.
        scores: one score per box.
        candidates: optional ``(K, 4)`` boxes the model chose from, drawn first in thin grey.
        min_width: narrower images are enlarged to this width first.

    Returns:
        A BGR uint8 image (possibly enlarged); boxes are clipped to it, boxes outside it are not drawn.
    """
    if len(boxes) != len(scores):
        raise ValueError(f'draw_rec_answers: {len(boxes)} boxes but {len(scores)} scores')
    canvas, scale = _enlarged(image, min_width)
    height, width = canvas.shape[:2]
    box_thickness, font_scale, _ = _style(width, height)
    for candidate in candidates if candidates is not None else ():
        box = _clipped_box(np.asarray(candidate, np.float64) * scale, width, height)
        if box is not None:
            cv2.rectangle(canvas, box[:2], box[2:], CANDIDATE_COLOR, 1, cv2.LINE_8)
    (_, text_height), baseline = cv2.getTextSize('Ag', FONT, font_scale * 0.7, 1)
    tag_height = text_height + baseline + 4  # as _draw_tag's
    drawn: List[Tuple[int, int, int, int]] = []
    tags = []
    for index, (bbox, score) in enumerate(zip(boxes, scores)):
        color = answer_color(index)[1]
        box = _clipped_box(np.asarray(bbox, np.float64) * scale, width, height)
        if box is None:
            continue
        # expressions that chose the same box: each later one inset, its tag lower, so every colour shows
        repeat = drawn.count(box)
        drawn.append(box)
        inset = repeat * (box_thickness + 2)
        x1, y1, x2, y2 = box
        cv2.rectangle(canvas, (x1 + inset, y1 + inset), (max(x1 + inset, x2 - inset), max(y1 + inset, y2 - inset)),
                      color, box_thickness + 1, cv2.LINE_8)
        tags.append(((x1, y1 + repeat * tag_height, x2, y2), f'{index + 1}: {float(score):.2f}', color))
    for box, label, color in tags:  # tags last: no box line crosses a tag
        _draw_tag(canvas, box, label, color, font_scale * 0.7)
    return canvas
