"""The synthetic shapes in gRefCOCO's layout: expressions that refer to one object, to several, or to none.

``generate_synthetic_grefcoco(root, ...)`` writes, in the layout ``GRefCOCODataset`` reads (gRefCOCO's
``grefs(unc).json`` + ``instances.json``, docs/datasets.md)::

    root/grefcoco/instances.json    COCO, as the REFER generator's (``mmrec/datasets/synthetic.py``)
    root/grefcoco/grefs(unc).json   refs whose ann_id / category_id are lists ([-1] for no target)
    root/images/<split>_<index>.jpg

Per image, besides the one-object refs of the REFER generator (kinds attribute / spatial / relational):

- a **multi** ref when some attribute description fits two or three objects: "the two red circles",
  "both squares", "the three small shapes";
- with probability ``no_target_rate`` a **none** ref: a shape in a colour (or a size) that the image does not
  have, next to ones it has ("the green circle" where the circles are red and blue).

Every sentence is checked by reading its words back (:func:`plural_referents`, the REFER generator's
``referents``): it denotes exactly its targets (or nothing). Scenes and pixels are drawn as the REFER
generator draws them (from their own random streams, so not the same images), all in colour.
"""
import json
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Mapping, Optional, Tuple

import cv2
import numpy as np

from .synthetic import IMAGE_DIR, SPLITS, _describe_scene, _ReferWriter, draw_scene, sample_scene, split_counts
from .synthetic_language import (COLOURS, GENERIC_NOUNS, SHAPES, SIZE_WORDS, SIZES, Query, Scene,
                                 _attribute_queries, _parse_noun_phrase, realise, referents, resolve)

DATASET_DIR = 'grefcoco'
#: Count words of plural descriptions: how many objects each says.
COUNT_WORDS: Dict[str, int] = {'two': 2, 'both': 2, 'three': 3}


# ---------------------------------------------------------------------------------------------- language
def realise_plural(query: Query, count: int, rng: np.random.Generator) -> str:
    """A plural wording of the attribute ``query`` for ``count`` (2 or 3) objects: 'the two red circles'."""
    size = None if query.size is None else str(rng.choice(SIZE_WORDS[query.size]))
    noun = (query.shape or str(rng.choice(GENERIC_NOUNS))) + 's'
    words = [w for w in (size, query.colour, noun) if w]
    if count == 2 and rng.random() < 0.5:
        return ' '.join(['both'] + words)
    return ' '.join(['the', 'two' if count == 2 else 'three'] + words)


def parse_plural(text: str) -> Tuple[Query, int]:
    """Read a wording made by :func:`realise_plural` back into ``(query, count)``; ``ValueError`` otherwise
    (the words between the count and the noun are read as the REFER generator's parser reads them)."""
    tokens = text.lower().split()
    tokens = tokens[1:] if tokens[:1] == ['the'] else tokens
    if len(tokens) < 2 or tokens[0] not in COUNT_WORDS or not tokens[-1].endswith('s'):
        raise ValueError(f'not a synthetic plural expression: {text!r}')
    noun = tokens[-1][:-1]
    if noun not in SHAPES + GENERIC_NOUNS:
        raise ValueError(f'not a synthetic plural expression: {text!r} ({tokens[-1]!r} is not a noun)')
    return _parse_noun_phrase(tokens[1:-1] + [noun], text), COUNT_WORDS[tokens[0]]


def plural_referents(text: str, scene: Scene) -> List[int]:
    """The objects a plural wording denotes: those its description fits, when there are as many as it says."""
    query, count = parse_plural(text)
    found = resolve(query, scene)
    return found if len(found) == count else []


def describe_several(scene: Scene, rng: np.random.Generator) -> Optional[Tuple[List[int], List[str]]]:
    """``(targets, sentences)`` of a ref to 2-3 objects that one attribute description fits, or None."""
    groups: Dict[Query, List[int]] = {}
    for index, obj in enumerate(scene.objects):
        for query in _attribute_queries(obj, use_colour=True):
            found = resolve(query, scene)
            if query != Query() and 2 <= len(found) <= 3:
                groups.setdefault(query, found)
    if not groups:
        return None
    queries = sorted(groups, key=repr)
    query = queries[int(rng.integers(len(queries)))]
    targets = groups[query]
    sentences: List[str] = []
    for _ in range(8):
        text = realise_plural(query, len(targets), rng)
        if text not in sentences and plural_referents(text, scene) == targets:
            sentences.append(text)
        if len(sentences) == 2:
            break
    return targets, sentences


def describe_nothing(scene: Scene, rng: np.random.Generator) -> List[str]:
    """1-2 wordings of a shape the scene has, in a colour or a size it has not in that shape ([] if none)."""
    absent = []
    for obj in scene.objects:
        absent += [Query(obj.shape, colour=c) for c in COLOURS if c != obj.colour]
        absent += [Query(obj.shape, colour=obj.colour, size=s) for s in SIZES if s != obj.size]
    absent = sorted({q for q in absent if not resolve(q, scene)}, key=repr)
    if not absent:
        return []
    query = absent[int(rng.integers(len(absent)))]
    sentences: List[str] = []
    wanted = int(rng.integers(1, 3))
    for _ in range(6):
        text = realise(query, rng)
        if text not in sentences and referents(text, scene) == []:
            sentences.append(text)
        if len(sentences) == wanted:
            break
    return sentences


# ---------------------------------------------------------------------------------------------- files
def _gref(ref_id: int, image_id: int, split: str, file_name: str, targets: List[int], scene: Scene,
          ann_ids: List[int], sentences: List[Tuple[str, str]], first_sent_id: int) -> dict:
    """gRefCOCO's ref dict: ``ann_id`` / ``category_id`` lists, ``[-1]`` when nothing is referred."""
    sent_ids = list(range(first_sent_id, first_sent_id + len(sentences)))
    return dict(ref_id=ref_id, image_id=image_id, split=split, file_name=file_name,
                ann_id=[ann_ids[t] for t in targets] or [-1],
                category_id=[SHAPES.index(scene.objects[t].shape) + 1 for t in targets] or [-1],
                sent_ids=sent_ids,
                sentences=[dict(sent=text, raw=text, tokens=text.split(), sent_id=sent_id, kind=kind)
                           for sent_id, (text, kind) in zip(sent_ids, sentences)])


def _image_refs(scene: Scene, rng: np.random.Generator,
                no_target_rate: float) -> List[Tuple[List[int], List[Tuple[str, str]]]]:
    """``(targets, [(text, kind), ...])`` of one image: its one-object refs, a multi ref, maybe a none ref."""
    refs = [([target], sentences) for target, sentences in _describe_scene(scene, rng, use_colour=True)]
    several = describe_several(scene, rng)
    if several is not None and several[1]:
        refs.append((several[0], [(text, 'multi') for text in several[1]]))
    if rng.random() < no_target_rate:
        nothing = describe_nothing(scene, rng)
        if nothing:
            refs.append(([], [(text, 'none') for text in nothing]))
    return refs


def generate_synthetic_grefcoco(root: str, num_images: Optional[Mapping[str, int]] = None,
                                image_size: Tuple[int, int] = (320, 240), seed: int = 0,
                                no_target_rate: float = 0.5) -> dict:
    """Write a synthetic gRefCOCO data root (module docstring) and return a summary.

    Args:
        root: Folder to write into (created; files of the same names are overwritten).
        num_images: Images per split among train / val / testA / testB; default ``DEFAULT_NUM_IMAGES``.
        image_size: ``(width, height)`` in pixels.
        seed: Everything written is a function of the arguments.
        no_target_rate: Chance that an image gets a ref to nothing.

    Returns:
        dict with ``dataset_kwargs`` (``data_root``, ``ann_file``, ``split_file``, ``data_prefix`` for
        ``GRefCOCODataset``), per split ``num_images``, ``num_refs``, ``num_expressions`` and ``kinds``
        (Counter of sentence kinds: attribute / spatial / relational / multi / none), ``ann_file``,
        ``split_file``.
    """
    num_images = split_counts(num_images)
    if not 0.0 <= no_target_rate <= 1.0:
        raise ValueError(f'no_target_rate must be in [0, 1], got {no_target_rate}')
    width, height = (int(v) for v in image_size)
    os.makedirs(osp.join(root, IMAGE_DIR), exist_ok=True)
    writer, grefs, num_sentences = _ReferWriter(), [], 0
    summary = dict(num_images={}, num_refs={}, num_expressions={}, kinds={})
    for split_index, split in enumerate(SPLITS):
        count = int(num_images.get(split, 0))
        refs_before, sents_before = len(grefs), num_sentences
        for index in range(count):
            rng = np.random.default_rng([seed, split_index, index, 1])
            scene = sample_scene(rng, width, height)
            file_name = f'{split}_{index:05d}.jpg'
            path = osp.join(root, IMAGE_DIR, file_name)
            if not cv2.imwrite(path, draw_scene(scene, rng), [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f'could not write {path}')
            image_id = writer.add_image(file_name, scene, split, [])
            ann_ids = [ann['id'] for ann in writer.annotations[-len(scene.objects):]]
            for targets, sentences in _image_refs(scene, rng, no_target_rate):
                grefs.append(_gref(len(grefs) + 1, image_id, split, file_name, targets, scene, ann_ids, sentences,
                                   num_sentences + 1))
                num_sentences += len(sentences)
        split_refs = grefs[refs_before:]
        summary['num_images'][split] = count
        summary['num_refs'][split] = len(split_refs)
        summary['num_expressions'][split] = num_sentences - sents_before
        summary['kinds'][split] = Counter(s['kind'] for ref in split_refs for s in ref['sentences'])
    folder = osp.join(root, DATASET_DIR)
    os.makedirs(folder, exist_ok=True)
    paths = dict(ann_file=osp.join(folder, 'instances.json'), split_file=osp.join(folder, 'grefs(unc).json'))
    with open(paths['ann_file'], 'w') as f:
        json.dump(writer.coco(), f)
    with open(paths['split_file'], 'w') as f:
        json.dump(grefs, f)
    summary['dataset_kwargs'] = dict(data_root=str(root), ann_file=f'{DATASET_DIR}/instances.json',
                                     split_file=f'{DATASET_DIR}/grefs(unc).json',
                                     data_prefix=dict(img_path=f'{IMAGE_DIR}/'))
    summary.update(paths)
    return summary
