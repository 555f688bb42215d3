"""The synthetic REFER generator: layout, determinism, unambiguous expressions, grayscale images."""
import filecmp
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmrec.datasets.refer_io import load_refs
from mmrec.datasets.synthetic import generate_synthetic_refer, sample_scene, synthetic_vocabulary
from mmrec.datasets.synthetic_language import (COLOURS, SHAPES, Query, Scene, SceneObject,
                                               candidate_queries, parse, realise, referents)

NUM_IMAGES = {'train': 4, 'val': 3, 'testA': 2, 'testB': 2}


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory) -> tuple:
    root = str(tmp_path_factory.mktemp('synthetic'))
    summary = generate_synthetic_refer(root, num_images=NUM_IMAGES, image_size=(96, 96), seed=0,
                                       grayscale_fraction=0.5)
    return root, summary


def _scenes_from_files(root: str) -> dict:
    """Rebuild each image's Scene (and the index of each annotation in it) from instances.json."""
    with open(osp.join(root, 'synthetic', 'instances.json')) as f:
        coco = json.load(f)
    names = {cat['id']: cat['name'] for cat in coco['categories']}
    images = {img['id']: img for img in coco['images']}
    objects, index_of_ann = {}, {}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        obj = SceneObject(names[ann['category_id']], ann['attributes']['colour'],
                          ann['attributes']['size'], cx=x + w // 2, cy=y + h // 2, half=w // 2)
        index_of_ann[ann['id']] = len(objects.setdefault(ann['image_id'], []))
        objects[ann['image_id']].append(obj)
    scenes = {img_id: Scene(images[img_id]['width'], images[img_id]['height'], tuple(objs))
              for img_id, objs in objects.items()}
    return dict(scenes=scenes, index_of_ann=index_of_ann, images=images)


def test_layout_and_summary(synthetic_root):
    root, summary = synthetic_root
    assert osp.isfile(osp.join(root, 'synthetic', 'instances.json'))
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    with open(osp.join(root, 'synthetic', 'instances.json')) as f:
        coco = json.load(f)
    assert [cat['name'] for cat in coco['categories']] == list(SHAPES)
    assert len(coco['images']) == sum(NUM_IMAGES.values())
    for img in coco['images']:
        assert osp.isfile(osp.join(root, 'images', img['file_name']))
        assert (img['width'], img['height']) == (96, 96)
    for split, count in NUM_IMAGES.items():
        split_refs = [ref for ref in refs if ref['split'] == split]
        assert summary['num_images'][split] == count
        assert len({ref['image_id'] for ref in split_refs}) == count  # every image has a ref
        assert summary['num_refs'][split] == len(split_refs)
        assert summary['num_expressions'][split] == sum(len(ref['sentences']) for ref in split_refs)
    assert summary['dataset_kwargs']['data_prefix'] == dict(img_path='images/')


def test_every_expression_denotes_exactly_its_object(synthetic_root):
    root, _ = synthetic_root
    files = _scenes_from_files(root)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    kinds = set()
    for ref in refs:
        texts = [s['sent'] for s in ref['sentences']]
        assert 2 <= len(texts) <= 3 and len(set(texts)) == len(texts), texts
        scene = files['scenes'][ref['image_id']]
        for sentence in ref['sentences']:
            assert referents(sentence['sent'], scene) == [files['index_of_ann'][ref['ann_id']]], sentence
            kinds.add(sentence['kind'])
    assert kinds == {'attribute', 'spatial', 'relational'}


def test_scenes_have_distractors(synthetic_root):
    rng = np.random.default_rng(5)
    scenes = list(_scenes_from_files(synthetic_root[0])['scenes'].values())
    scenes += [sample_scene(rng, 64, 64) for _ in range(100)]  # cramped: optional objects may not fit
    for scene in scenes:
        assert 3 <= len(scene.objects) <= 6
        shapes = [obj.shape for obj in scene.objects]
        colours = [obj.colour for obj in scene.objects]
        assert len(set(shapes)) < len(shapes) and len(set(colours)) < len(colours)


def test_grayscale_images_are_single_channel_without_colour_words(synthetic_root):
    root, summary = synthetic_root
    # round(0.5 * n) per split: 2 + 2 (1.5 rounds to 2) + 1 + 1
    assert len(summary['grayscale_images']) == 6
    files = _scenes_from_files(root)
    gray_ids = {img_id for img_id, img in files['images'].items()
                if img['file_name'] in summary['grayscale_images']}
    for img_id, img in files['images'].items():
        pixels = cv2.imread(osp.join(root, 'images', img['file_name']), cv2.IMREAD_UNCHANGED)
        assert pixels.ndim == (2 if img_id in gray_ids else 3)
    for ref in load_refs(osp.join(root, 'synthetic', 'refs(unc).p')):
        if ref['image_id'] in gray_ids:
            words = {w for s in ref['sentences'] for w in s['tokens']}
            assert not words & set(COLOURS), ref['sentences']


def test_generator_is_deterministic(tmp_path, synthetic_root):
    root, _ = synthetic_root
    again = str(tmp_path / 'again')
    generate_synthetic_refer(again, num_images=NUM_IMAGES, image_size=(96, 96), seed=0,
                             grayscale_fraction=0.5)
    for rel in ('synthetic/instances.json', 'images/val_00002.jpg', 'images/testB_00001.jpg'):
        assert filecmp.cmp(osp.join(root, rel), osp.join(again, rel), shallow=False), rel
    assert load_refs(osp.join(root, 'synthetic', 'refs(unc).p')) == \
        load_refs(osp.join(again, 'synthetic', 'refs(unc).p'))

    other_seed = str(tmp_path / 'other')
    generate_synthetic_refer(other_seed, num_images=NUM_IMAGES, image_size=(96, 96), seed=1,
                             grayscale_fraction=0.5)
    assert not filecmp.cmp(osp.join(root, 'images/val_00002.jpg'),
                           osp.join(other_seed, 'images/val_00002.jpg'), shallow=False)


def test_split_contents_do_not_depend_on_other_splits(tmp_path, synthetic_root):
    root, _ = synthetic_root
    more_train = str(tmp_path / 'more_train')
    generate_synthetic_refer(more_train, num_images={**NUM_IMAGES, 'train': 6}, image_size=(96, 96),
                             seed=0, grayscale_fraction=0.5)
    assert filecmp.cmp(osp.join(root, 'images/val_00001.jpg'),
                       osp.join(more_train, 'images/val_00001.jpg'), shallow=False)


def test_vocabulary_covers_every_written_word(synthetic_root):
    vocab = synthetic_vocabulary()
    assert vocab == sorted(set(vocab)) and {'circle', 'red', 'leftmost', 'next'} <= set(vocab)
    for ref in load_refs(osp.join(synthetic_root[0], 'synthetic', 'refs(unc).p')):
        for sentence in ref['sentences']:
            assert set(sentence['tokens']) <= set(vocab), sentence['sent']


def test_parse_reads_back_every_wording():
    """The checker judges the written words, so every wording must parse to the query it came from."""
    rng = np.random.default_rng(3)
    for _ in range(40):
        scene = sample_scene(rng, 120, 96)
        for target in range(len(scene.objects)):
            for query in candidate_queries(scene, target):
                for _ in range(3):
                    text = realise(query, rng)
                    assert parse(text) == query, text


def test_checker_on_a_hand_made_scene():
    left = SceneObject('circle', 'red', 'small', cx=20, cy=50, half=6)
    right = SceneObject('circle', 'blue', 'small', cx=80, cy=50, half=6)
    square = SceneObject('square', 'green', 'large', cx=75, cy=20, half=10)
    near_left = SceneObject('circle', 'blue', 'small', cx=26, cy=80, half=6)  # 6 px right of `left`
    scene = Scene(100, 100, (left, right, square))
    assert referents('the circle', scene) == [0, 1]  # ambiguous
    assert referents('the leftmost circle', scene) == [0]
    assert referents('the circle on the right', scene) == [1]
    assert referents('the circle next to the square', scene) == [1]
    assert referents('the circle to the left of the blue circle', scene) == [0]
    assert referents('the large shape', scene) == [2]
    assert referents('the red one above the square', scene) == []  # the red circle is below it
    crowded = Scene(100, 100, (left, right, square, near_left))
    assert referents('the leftmost circle', crowded) == [0, 3]  # lead of 6 px < 10% margin
    assert referents('the blue circle', crowded) == [1, 3]
    with pytest.raises(ValueError, match='not a synthetic expression'):
        parse('the fluffy circle')


def test_candidates_match_their_meaning():
    scene = Scene(100, 100, (SceneObject('circle', 'red', 'small', 20, 50, 6),
                             SceneObject('circle', 'red', 'small', 80, 50, 6),
                             SceneObject('square', 'red', 'large', 50, 20, 10)))
    queries = candidate_queries(scene, 0)
    assert Query('circle', extreme='left') in queries
    assert all(q.kind != 'attribute' for q in queries)  # its attributes equal the other circle's


def test_too_small_image_is_refused():
    with pytest.raises(RuntimeError, match='8x8'):
        sample_scene(np.random.default_rng(0), 8, 8)


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match='test'):
        generate_synthetic_refer(str(tmp_path), num_images={'test': 2})
    with pytest.raises(ValueError, match='grayscale_fraction'):
        generate_synthetic_refer(str(tmp_path), num_images={'val': 1}, grayscale_fraction=2.0)


def test_command_line_tool(tmp_path, repo_root, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('make_synthetic_refer',
                                                  osp.join(repo_root, 'tools', 'make_synthetic_refer.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    summary = tool.main([str(tmp_path), '--seed', '2', '--num-train', '2', '--num-val', '1',
                         '--num-testA', '0', '--num-testB', '0', '--width', '80', '--height', '64'])
    assert summary['num_images'] == {'train': 2, 'val': 1, 'testA': 0, 'testB': 0}
    assert cv2.imread(osp.join(str(tmp_path), 'images', 'val_00000.jpg')).shape[:2] == (64, 80)
    assert 'val: 1 images' in capsys.readouterr().out
