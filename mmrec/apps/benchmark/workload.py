"""A RefCOCO-shaped synthetic evaluation workload: COCO-sized images, several expressions per image.

RefCOCO val has 10,834 expressions over 1,500 images (about 7 per image, on 2-3 referred objects per
image). Speed depends on the image sizes, the number of expressions per image and their lengths, not on
what the pictures show, so the workload draws images of common COCO sizes showing a few coloured objects on
a textured background, and short expressions ("the red car on the left") about them, a few per object.
Everything is generated from one seed, offline.
"""
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

import numpy as np

#: (width, height) of the most common COCO train2014 image sizes.
COCO_SIZES: Tuple[Tuple[int, int], ...] = ((640, 480), (640, 427), (480, 640), (640, 426), (500, 375),
                                           (640, 428), (427, 640), (612, 612))

COLOURS = {'red': (210, 40, 40), 'green': (40, 170, 60), 'blue': (40, 70, 200), 'yellow': (225, 205, 40),
           'white': (235, 235, 235), 'black': (25, 25, 25), 'brown': (120, 80, 40), 'pink': (230, 140, 170)}
NOUNS = ('man', 'woman', 'person', 'car', 'dog', 'chair', 'umbrella', 'bus', 'cat', 'table')
PLACES = ('on the left', 'on the right', 'in the middle', 'at the top', 'at the bottom', 'in front',
          'behind the others', 'closest to the camera')
SIZES = ('big', 'small', 'tall', 'short')

#: Every word the expressions use (a tokenizer built for the workload needs no more).
VOCABULARY: Tuple[str, ...] = tuple(sorted({word for phrase in (*COLOURS, *NOUNS, *PLACES, *SIZES, 'the')
                                            for word in phrase.split()}))


@dataclass
class WorkloadImage:
    """One image and its expressions (all answered by one call of an image-major model)."""

    img_id: int
    image_bgr: np.ndarray  # (h, w, 3) uint8, as mmcv loads images
    texts: List[str] = field(default_factory=list)

    @property
    def size(self) -> Tuple[int, int]:
        """``(width, height)``."""
        return self.image_bgr.shape[1], self.image_bgr.shape[0]


def _draw_objects(rng: np.random.Generator, width: int, height: int, num_objects: int) -> np.ndarray:
    """An RGB image: a smooth two-colour gradient, ``num_objects`` filled rectangles/ellipses, mild noise."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    start, end = rng.uniform(60, 200, size=(2, 3)).astype(np.float32)
    t = (xs / width * rng.uniform(0.2, 0.8) + ys / height * rng.uniform(0.2, 0.8))[..., None]
    image = start + (end - start) * np.clip(t, 0, 1)
    for _ in range(num_objects):
        colour = np.array(list(COLOURS.values())[rng.integers(len(COLOURS))], dtype=np.float32)
        w, h = rng.uniform(0.1, 0.45) * width, rng.uniform(0.1, 0.6) * height
        x1, y1 = rng.uniform(0, width - w), rng.uniform(0, height - h)
        if rng.random() < 0.5:
            inside = (xs >= x1) & (xs < x1 + w) & (ys >= y1) & (ys < y1 + h)
        else:
            inside = ((xs - x1 - w / 2) / (w / 2)) ** 2 + ((ys - y1 - h / 2) / (h / 2)) ** 2 <= 1
        shade = 1 + 0.3 * (ys - y1) / height  # objects are not flat either
        image[inside] = (colour * shade[..., None])[inside]
    image += rng.normal(0, 6, size=image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _expression(rng: np.random.Generator, colour: str, noun: str) -> str:
    """A short referring expression about an object of ``colour`` and ``noun``."""
    words = ['the']
    if rng.random() < 0.4:
        words.append(SIZES[rng.integers(len(SIZES))])
    words += [colour, noun]
    if rng.random() < 0.7:
        words.append(PLACES[rng.integers(len(PLACES))])
    return ' '.join(words)


def make_workload(num_images: int, expressions_per_image: int = 7, objects_per_image: int = 3,
                  sizes: Sequence[Tuple[int, int]] = COCO_SIZES, seed: int = 0) -> List[WorkloadImage]:
    """``num_images`` images (sizes cycling through ``sizes``), each with ``expressions_per_image``
    expressions spread over ``objects_per_image`` referred objects (as in RefCOCO, several per object)."""
    if num_images < 1 or expressions_per_image < 1 or objects_per_image < 1:
        raise ValueError(f'make_workload: num_images ({num_images}), expressions_per_image '
                         f'({expressions_per_image}) and objects_per_image ({objects_per_image}) must be >= 1')
    rng = np.random.default_rng(seed)
    images = []
    for img_id in range(num_images):
        width, height = sizes[img_id % len(sizes)]
        rgb = _draw_objects(rng, width, height, num_objects=objects_per_image + 2)
        objects = [(list(COLOURS)[rng.integers(len(COLOURS))], NOUNS[rng.integers(len(NOUNS))])
                   for _ in range(objects_per_image)]
        texts = [_expression(rng, *objects[i % objects_per_image]) for i in range(expressions_per_image)]
        images.append(WorkloadImage(img_id=img_id, image_bgr=np.ascontiguousarray(rgb[..., ::-1]), texts=texts))
    return images
