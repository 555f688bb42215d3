"""A deterministic generator of small REFER-format data sets of coloured shapes.

``generate_synthetic_refer(root, ...)`` writes, in the layout ``REFERDataset`` reads::

    root/synthetic/instances.json   COCO: images, annotations (bbox xywh, polygon, plus the object's
                                    "attributes" {"colour", "size"}), categories circle/square/triangle
    root/synthetic/refs(unc).p      REFER refs with splits train / val / testA / testB; each sentence
                                    carries a "kind": attribute | spatial | relational
    root/images/<split>_<index>.jpg

Each image shows 3-6 shapes (several colours, small or large) on a plain, gradient or noisy
background; every scene has two objects of one shape and two of one colour (distractors). Each ref has 2-3 different
wordings, each checked with :func:`~mmrec.datasets.synthetic_language.referents` to denote exactly
its object. Grayscale images (``grayscale_fraction``) get no colour words, since their colours cannot
be seen. testA and testB are drawn like val (unlike RefCOCO's people / objects split). Every image
draws from its own random stream seeded by (seed, split, index), so a split's images do not change
when another split's size does.

Use it to write tiny test data::

    summary = generate_synthetic_refer(tmp_path, num_images={'train': 4, 'val': 3, 'testA': 2,
                                                              'testB': 2}, image_size=(96, 96))
    dataset = REFERDataset(**summary['dataset_kwargs'], split='val', pipeline=[...])
"""
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Mapping, Optional, Tuple

import cv2
import numpy as np

from .refer_io import write_refer
from .synthetic_language import (COLOURS, SHAPES, SIZES, Scene, SceneObject, candidate_queries,
                                 edge_gap, realise, referents, vocabulary)

SPLITS = ('train', 'val', 'testA', 'testB')
DEFAULT_NUM_IMAGES = {'train': 200, 'val': 50, 'testA': 50, 'testB': 50}
DATASET_DIR = 'synthetic'
IMAGE_DIR = 'images'
# Half side of a shape as a fraction of the image's short side, per size class.
HALF_SIDE = {'small': (0.06, 0.075), 'large': (0.13, 0.15)}
MAX_SCENE_TRIES = 50


def synthetic_vocabulary() -> List[str]:
    """Every word that the generator can write in an expression (sorted, lower case)."""
    return vocabulary()


# ---------------------------------------------------------------------------------------------- scenes
def _sample_attributes(rng: np.random.Generator) -> List[Tuple[str, str, str]]:
    """(shape, colour, size) of 3-6 objects: a first one, one of its shape in another colour, one of its
    colour in another shape, and random others."""
    colours, shapes = list(COLOURS), list(SHAPES)
    shape, colour = str(rng.choice(shapes)), str(rng.choice(colours))
    other_colour = str(rng.choice([c for c in colours if c != colour]))
    other_shape = str(rng.choice([s for s in shapes if s != shape]))
    attributes = [(shape, colour, str(rng.choice(SIZES))), (shape, other_colour, str(rng.choice(SIZES))),
                  (other_shape, colour, str(rng.choice(SIZES)))]
    for _ in range(int(rng.integers(3, 7)) - 3):
        attributes.append((str(rng.choice(shapes)), str(rng.choice(colours)), str(rng.choice(SIZES))))
    return attributes


def _place(rng: np.random.Generator, attributes: List[Tuple[str, str, str]], width: int,
           height: int) -> Optional[List[SceneObject]]:
    """Non-overlapping positions for the objects; an optional one (after the first three, which make
    the distractors) that finds no room is left out, a required one that finds none gives None."""
    short_side = min(width, height)
    min_gap = max(2.0, 0.03 * short_side)
    placed: List[SceneObject] = []
    for index, (shape, colour, size) in enumerate(attributes):
        low, high = HALF_SIDE[size]
        half = int(rng.integers(max(3, round(low * short_side)), max(3, round(high * short_side)) + 1))
        for _ in range(100 if 2 * half + 2 < short_side else 0):
            obj = SceneObject(shape, colour, size, cx=int(rng.integers(half + 1, width - half)),
                              cy=int(rng.integers(half + 1, height - half)), half=half)
            if all(edge_gap(obj, other) >= min_gap for other in placed):
                placed.append(obj)
                break
        if len(placed) <= index < 3:
            return None
    return placed


def sample_scene(rng: np.random.Generator, width: int, height: int) -> Scene:
    """A random scene of 3-6 objects (raises RuntimeError if the image is too small to hold three)."""
    for _ in range(MAX_SCENE_TRIES):
        objects = _place(rng, _sample_attributes(rng), width, height)
        if objects is not None:
            order = rng.permutation(len(objects))
            return Scene(width, height, tuple(objects[i] for i in order))
    raise RuntimeError(f'cannot place 3 shapes in a {width}x{height} image; use a larger image_size')


# ---------------------------------------------------------------------------------------------- pixels
def _muted_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(70, 200) + rng.integers(-20, 21, size=3)


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A float RGB canvas: plain, a linear gradient between two muted colours, or plain with noise."""
    style = rng.choice(('plain', 'gradient', 'noisy'))
    canvas = np.empty((height, width, 3), dtype=np.float32)
    canvas[:] = _muted_colour(rng)
    if style == 'gradient':
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        ramp = np.cos(angle) * xs / width + np.sin(angle) * ys / height
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        canvas += ramp[..., None] * (_muted_colour(rng) - canvas[0, 0])
    elif style == 'noisy':
        canvas += rng.normal(0, 12, size=canvas.shape).astype(np.float32)
    return canvas


def _shape_mask(obj: SceneObject) -> np.ndarray:
    """Boolean mask of the object over its bounding square (``2 * half`` pixels a side)."""
    offsets = np.arange(2 * obj.half, dtype=np.float32) + 0.5 - obj.half  # pixel centres - centre
    ys, xs = np.meshgrid(offsets, offsets, indexing='ij')
    if obj.shape == 'circle':
        return xs**2 + ys**2 <= obj.half**2
    if obj.shape == 'square':
        return np.ones_like(xs, dtype=bool)
    # Triangle: apex at the top centre, base along the bottom edge.
    return np.abs(xs) <= (ys + obj.half) / 2


def draw_scene(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """The scene as a uint8 BGR image (shape colours jittered a little)."""
    canvas = _background(rng, scene.width, scene.height)
    for obj in scene.objects:
        x1, y1, x2, y2 = obj.bbox_xyxy
        colour = np.asarray(COLOURS[obj.colour], dtype=np.float32) + rng.integers(-12, 13, size=3)
        canvas[y1:y2, x1:x2][_shape_mask(obj)] = colour
    return np.clip(canvas, 0, 255).astype(np.uint8)[..., ::-1].copy()


def _polygon(obj: SceneObject) -> List[float]:
    """The object's outline as a flat COCO polygon [x1, y1, x2, y2, ...]."""
    if obj.shape == 'circle':
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        points = [(obj.cx + obj.half * np.cos(a), obj.cy + obj.half * np.sin(a)) for a in angles]
    elif obj.shape == 'square':
        x1, y1, x2, y2 = obj.bbox_xyxy
        points = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    else:
        x1, y1, x2, y2 = obj.bbox_xyxy
        points = [(obj.cx, y1), (x2, y2), (x1, y2)]
    return [round(float(v), 2) for point in points for v in point]


def _polygon_area(flat: List[float]) -> float:
    xs, ys = np.asarray(flat[0::2]), np.asarray(flat[1::2])
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2)


# ---------------------------------------------------------------------------------------------- words
def describe(scene: Scene, target: int, rng: np.random.Generator,
             use_colour: bool = True) -> List[Tuple[str, str]]:
    """2-3 different (text, kind) wordings that denote exactly ``target``, mixing kinds where it can;
    [] when fewer than two exist."""
    by_kind: Dict[str, list] = {}
    for query in candidate_queries(scene, target, use_colour):
        by_kind.setdefault(query.kind, []).append(query)
    if not by_kind:
        return []
    wanted = int(rng.integers(2, 4))
    kinds = [str(k) for k in rng.permutation(sorted(by_kind))]
    sentences: List[Tuple[str, str]] = []
    for attempt in range(6 * wanted):
        kind = kinds[attempt % len(kinds)]
        query = by_kind[kind][int(rng.integers(len(by_kind[kind])))]
        text = realise(query, rng)
        if all(text != t for t, _ in sentences) and referents(text, scene) == [target]:
            sentences.append((text, kind))
        if len(sentences) == wanted:
            break
    return sentences if len(sentences) >= 2 else []


def _describe_scene(scene: Scene, rng: np.random.Generator,
                    use_colour: bool) -> List[Tuple[int, List[Tuple[str, str]]]]:
    """Up to 1-3 (object index, sentences) refs of a scene."""
    wanted = int(rng.integers(1, 4))
    refs = []
    for target in rng.permutation(len(scene.objects)):
        sentences = describe(scene, int(target), rng, use_colour)
        if sentences:
            refs.append((int(target), sentences))
        if len(refs) == wanted:
            break
    return refs


# ---------------------------------------------------------------------------------------------- files
class _ReferWriter:
    """Accumulates COCO images/annotations and REFER refs with running ids."""

    def __init__(self) -> None:
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self.refs: List[dict] = []
        self.num_sentences = 0

    def add_image(self, file_name: str, scene: Scene, split: str,
                  refs: List[Tuple[int, List[Tuple[str, str]]]]) -> int:
        image_id = len(self.images) + 1
        self.images.append(dict(id=image_id, file_name=file_name, width=scene.width, height=scene.height))
        ann_ids = []
        for obj in scene.objects:
            ann_ids.append(len(self.annotations) + 1)
            polygon = _polygon(obj)
            x1, y1, x2, y2 = obj.bbox_xyxy
            self.annotations.append(dict(
                id=ann_ids[-1], image_id=image_id, category_id=SHAPES.index(obj.shape) + 1,
                bbox=[x1, y1, x2 - x1, y2 - y1], area=_polygon_area(polygon), iscrowd=0,
                segmentation=[polygon], attributes=dict(colour=obj.colour, size=obj.size)))
        for target, sentences in refs:
            sent_ids = list(range(self.num_sentences + 1, self.num_sentences + 1 + len(sentences)))
            self.num_sentences += len(sentences)
            self.refs.append(dict(
                ref_id=len(self.refs) + 1, ann_id=ann_ids[target], image_id=image_id, split=split,
                category_id=SHAPES.index(scene.objects[target].shape) + 1, file_name=file_name,
                sent_ids=sent_ids,
                sentences=[dict(sent=text, raw=text, tokens=text.split(), sent_id=sent_id, kind=kind)
                           for sent_id, (text, kind) in zip(sent_ids, sentences)]))
        return image_id

    def coco(self) -> dict:
        categories = [dict(id=i + 1, name=shape, supercategory='shape') for i, shape in enumerate(SHAPES)]
        return dict(info=dict(description='mmrec synthetic REFER data'), images=self.images,
                    annotations=self.annotations, categories=categories)


def split_counts(num_images: Optional[Mapping[str, int]]) -> Dict[str, int]:
    """Images per split (``DEFAULT_NUM_IMAGES`` for None); ValueError naming a split that is not synthetic's."""
    num_images = dict(DEFAULT_NUM_IMAGES if num_images is None else num_images)
    unknown = sorted(set(num_images) - set(SPLITS))
    if unknown:
        raise ValueError(f'unknown split(s) {unknown}; the synthetic splits are {list(SPLITS)}')
    return num_images


def generate_synthetic_refer(root: str,
                             num_images: Optional[Mapping[str, int]] = None,
                             image_size: Tuple[int, int] = (320, 240),
                             seed: int = 0,
                             grayscale_fraction: float = 0.0) -> dict:
    """Write a synthetic REFER data root (see the module docstring) and return a summary.

    Args:
        root: Folder to write into (created; existing files of the same names are overwritten).
        num_images: Images per split, e.g. ``{'train': 4, 'val': 3}``; splits are among
            train / val / testA / testB; default ``DEFAULT_NUM_IMAGES``.
        image_size: ``(width, height)`` in pixels.
        seed: Everything written is a function of the arguments.
        grayscale_fraction: Share of each split's images saved single-channel (rounded to a count).

    Returns:
        dict with ``dataset_kwargs`` (``data_root``, ``ann_file``, ``split_file``, ``data_prefix`` for
        ``REFERDataset``), per split ``num_images``, ``num_refs``, ``num_expressions``, ``kinds``
        (Counter of sentence kinds) and ``grayscale_images`` (file names), and ``image_size``, ``seed``.
    """
    num_images = split_counts(num_images)
    if not 0.0 <= grayscale_fraction <= 1.0:
        raise ValueError(f'grayscale_fraction must be in [0, 1], got {grayscale_fraction}')
    width, height = (int(v) for v in image_size)
    os.makedirs(osp.join(root, IMAGE_DIR), exist_ok=True)

    writer = _ReferWriter()
    summary = dict(num_images={}, num_refs={}, num_expressions={}, kinds={}, grayscale_images=[],
                   image_size=(width, height), seed=seed)
    for split_index, split in enumerate(SPLITS):
        count = int(num_images.get(split, 0))
        num_gray = int(round(grayscale_fraction * count))
        gray = set(np.random.default_rng([seed, split_index]).permutation(count)[:num_gray].tolist())
        refs_before, sents_before = len(writer.refs), writer.num_sentences
        for index in range(count):
            rng = np.random.default_rng([seed, split_index, index])
            scene, refs = _scene_with_refs(rng, width, height, use_colour=index not in gray)
            image = draw_scene(scene, rng)
            if index in gray:
                image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            file_name = f'{split}_{index:05d}.jpg'
            if not cv2.imwrite(osp.join(root, IMAGE_DIR, file_name), image, [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f'could not write {osp.join(root, IMAGE_DIR, file_name)}')
            writer.add_image(file_name, scene, split, refs)
            if index in gray:
                summary['grayscale_images'].append(file_name)
        split_refs = writer.refs[refs_before:]
        summary['num_images'][split] = count
        summary['num_refs'][split] = len(split_refs)
        summary['num_expressions'][split] = writer.num_sentences - sents_before
        summary['kinds'][split] = Counter(s['kind'] for ref in split_refs for s in ref['sentences'])

    paths = write_refer(osp.join(root, DATASET_DIR), writer.coco(), writer.refs, split_by='unc')
    summary['dataset_kwargs'] = dict(data_root=str(root), ann_file=f'{DATASET_DIR}/instances.json',
                                     split_file=f'{DATASET_DIR}/refs(unc).p',
                                     data_prefix=dict(img_path=f'{IMAGE_DIR}/'))
    summary.update(paths)
    return summary


def _scene_with_refs(rng: np.random.Generator, width: int, height: int,
                     use_colour: bool) -> Tuple[Scene, List[Tuple[int, List[Tuple[str, str]]]]]:
    """A scene with at least one describable object, and its refs."""
    for _ in range(MAX_SCENE_TRIES):
        scene = sample_scene(rng, width, height)
        refs = _describe_scene(scene, rng, use_colour)
        if refs:
            return scene, refs
    raise RuntimeError(f'no describable scene found in {MAX_SCENE_TRIES} tries ({width}x{height})')
