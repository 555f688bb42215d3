"""REFERDataset: samples, fields and counts against the generator, legacy pickles, bad inputs."""
import json
import os
import os.path as osp
import pickle
import shutil
import struct

import pytest

from mmrec.datasets import REFERDataset, generate_synthetic_refer
from mmrec.datasets.refer_io import load_refs, write_refer
from mmrec.evaluation import RECMetric
from mmrec.testing import logged_warnings
from mmdet.registry import DATASETS

NUM_IMAGES = {'train': 4, 'val': 3, 'testA': 2, 'testB': 2}
EXPRESSION_KEYS = {'text', 'bbox', 'ref_id', 'sent_id', 'ann_id', 'category_id', 'split', 'kind'}


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory) -> dict:
    root = str(tmp_path_factory.mktemp('refer'))
    return generate_synthetic_refer(root, num_images=NUM_IMAGES, image_size=(96, 96), seed=0)


def _dataset(kwargs: dict, **overrides) -> REFERDataset:
    return REFERDataset(**{**kwargs, **overrides})


def _copy_root(summary: dict, tmp_path) -> str:
    root = str(tmp_path / 'copy')
    shutil.copytree(summary['dataset_kwargs']['data_root'], root)
    return root


def _read_coco(root: str) -> dict:
    with open(osp.join(root, 'synthetic', 'instances.json')) as f:
        return json.load(f)


@pytest.mark.parametrize('split', ['train', 'val', 'testA', 'testB'])
def test_image_major_counts_match_the_generator(synthetic, split):
    dataset = _dataset(synthetic['dataset_kwargs'], split=split)
    assert len(dataset) == synthetic['num_images'][split]
    assert dataset.num_expressions == synthetic['num_expressions'][split]
    expressions = [e for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']]
    assert len(expressions) == synthetic['num_expressions'][split]
    assert len({e['ref_id'] for e in expressions}) == synthetic['num_refs'][split]
    assert {e['split'] for e in expressions} == {split}


def test_list_of_splits_and_one_expression_per_sample(synthetic):
    kwargs = synthetic['dataset_kwargs']
    both = _dataset(kwargs, split=['testA', 'testB'])
    assert len(both) == NUM_IMAGES['testA'] + NUM_IMAGES['testB']
    assert both.num_expressions == synthetic['num_expressions']['testA'] + \
        synthetic['num_expressions']['testB']
    per_expression = _dataset(kwargs, split=['testA', 'testB'], one_expression_per_sample=True)
    assert len(per_expression) == both.num_expressions
    assert all(len(per_expression.get_data_info(i)['expressions']) == 1 for i in range(len(per_expression)))
    flat_image_major = [e['sent_id'] for i in range(len(both)) for e in both.get_data_info(i)['expressions']]
    flat_per_expression = [per_expression.get_data_info(i)['expressions'][0]['sent_id']
                           for i in range(len(per_expression))]
    assert flat_per_expression == flat_image_major


def test_registered_and_built_from_config(synthetic):
    dataset = DATASETS.build(dict(type='REFERDataset', split='val', **synthetic['dataset_kwargs']))
    assert isinstance(dataset, REFERDataset) and len(dataset) == NUM_IMAGES['val']
    assert dataset.metainfo['classes'] == ('referred object', )
    assert dataset.metainfo['category_names'] == {1: 'circle', 2: 'square', 3: 'triangle'}


def test_fields_and_boxes_are_xyxy_pixels(synthetic):
    dataset = _dataset(synthetic['dataset_kwargs'], split='train')
    coco = _read_coco(synthetic['dataset_kwargs']['data_root'])
    anns = {ann['id']: ann for ann in coco['annotations']}
    refs = {ref['ref_id']: ref for ref in load_refs(synthetic['split_file'])}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert osp.isfile(info['img_path']) and (info['width'], info['height']) == (96, 96)
        for expr in info['expressions']:
            assert set(expr) == EXPRESSION_KEYS
            x, y, w, h = anns[expr['ann_id']]['bbox']
            assert expr['bbox'] == [x, y, x + w, y + h]
            x1, y1, x2, y2 = expr['bbox']
            assert 0 <= x1 < x2 <= info['width'] and 0 <= y1 < y2 <= info['height']
            assert anns[expr['ann_id']]['image_id'] == info['img_id']
            ref = refs[expr['ref_id']]
            sentence = next(s for s in ref['sentences'] if s['sent_id'] == expr['sent_id'])
            assert expr['text'] == sentence['sent'] and expr['kind'] == sentence['kind']
            assert expr['category_id'] == ref['category_id']


def _rewrite_refs(root: str, refs: list, name: str = 'refs(unc).p') -> None:
    with open(osp.join(root, 'synthetic', name), 'wb') as f:
        pickle.dump(refs, f, protocol=2)


def _as_bytes(obj):
    """Every str inside ``obj`` as bytes (latin1), the way Python 2 kept its strings."""
    if isinstance(obj, str):
        return obj.encode('latin1')
    if isinstance(obj, dict):
        return {_as_bytes(k): _as_bytes(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_as_bytes(v) for v in obj]
    return obj


class _Python2StylePickler(pickle._Pickler):
    """Writes bytes with the SHORT_BINSTRING/BINSTRING opcodes that Python 2 used for its str."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str


def test_legacy_python2_pickle_loads(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    for ref in refs:  # real RefCOCO sentences carry no 'kind'; one has a latin1 byte in its raw text
        for sentence in ref['sentences']:
            del sentence['kind']
    refs[0]['sentences'][0].update(sent='', raw='the caf\xe9 circle')
    split_file = osp.join(root, 'synthetic', 'refs(unc).p')
    with open(split_file, 'wb') as f:
        _Python2StylePickler(f, protocol=2).dump(_as_bytes(refs))
    with open(split_file, 'rb') as f, pytest.raises(UnicodeDecodeError):
        pickle.load(f)  # a genuine Python 2 pickle: the default ASCII decoding fails on it

    dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='train')
    assert dataset.num_expressions == synthetic['num_expressions']['train']
    expressions = [e for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']]
    assert all(isinstance(e['text'], str) and e['kind'] is None for e in expressions)
    assert 'the caf\xe9 circle' in [e['text'] for e in expressions]  # 'sent' empty -> 'raw'


def test_python3_pickle_with_bytes_strings_loads(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    _rewrite_refs(root, _as_bytes(refs))
    dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split=['val'])
    assert dataset.num_expressions == synthetic['num_expressions']['val']
    assert all(isinstance(e['split'], str) for e in dataset.get_data_info(0)['expressions'])


@pytest.mark.parametrize('key', ['data_root', 'ann_file', 'split_file'])
def test_missing_files_are_named(synthetic, key):
    kwargs = dict(synthetic['dataset_kwargs'])
    kwargs[key] = '/nonexistent/root' if key == 'data_root' else 'synthetic/nope.file'
    with pytest.raises(FileNotFoundError, match='nonexistent/root' if key == 'data_root' else 'nope.file'):
        REFERDataset(split='val', **kwargs)


def test_missing_images_are_named(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    os.remove(osp.join(root, 'images', 'val_00001.jpg'))
    with pytest.raises(FileNotFoundError, match=r'1 of 3 images.*val_00001\.jpg'):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')
    assert len(_dataset(synthetic['dataset_kwargs'], data_root=root, split='train')) == 4


def test_unknown_split_lists_the_splits_present(synthetic):
    with pytest.raises(ValueError, match=r"\['test'\].*\['testA', 'testB', 'train', 'val'\]"):
        _dataset(synthetic['dataset_kwargs'], split=['val', 'test'])


@pytest.mark.parametrize('content, message', [
    ({'refs': []}, 'must hold a list'),
    ([{'ref_id': 7, 'ann_id': 1}], r"nothing to evaluate.*1 refs missing fields \(refs\(unc\)\.p ref #0 "
                                   r"\(ref_id=7\) missing \['image_id'"),
    (['a string'], 'ref #0 is a str'),
])
def test_pickle_that_is_not_refs_is_named(synthetic, tmp_path, content, message):
    root = _copy_root(synthetic, tmp_path)
    _rewrite_refs(root, content)
    with pytest.raises(ValueError, match=r'refs\(unc\)\.p.*' + message):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')


def test_unreadable_pickle_is_named(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    with open(osp.join(root, 'synthetic', 'refs(unc).p'), 'wb') as f:
        f.write(b'this is not a pickle')
    with pytest.raises(ValueError, match=r'refs\(unc\)\.p is not a readable pickle'):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')


class _CreatesAFile:
    """Unpickling this creates ``path``: the kind of code a split file from elsewhere could run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


def test_split_file_that_would_run_code_is_refused(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    marker = tmp_path / 'ran'
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    refs[0]['sentences'][0]['raw'] = _CreatesAFile(str(marker))
    _rewrite_refs(root, refs)
    with pytest.raises(ValueError, match=r'refs\(unc\)\.p .*needs (io|builtins)\.open.*plain data'):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')
    assert not marker.exists()
    with open(osp.join(root, 'synthetic', 'refs(unc).p'), 'rb') as f:
        pickle.load(f)  # the same file through plain pickle does run it: the test can fail
    assert marker.exists()


def _load_val_with_warnings(synthetic: dict, root: str):
    """The val split of the data root at ``root`` and the warnings logged while loading it (one string)."""
    with logged_warnings() as logged:
        dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')
    return dataset, ' '.join(logged.messages)


def test_bad_records_are_skipped_counted_and_logged(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    val = [ref for ref in refs if ref['split'] == 'val']
    unknown_ann, zero_area, empty_sentence, no_sentence = val[0], val[1], val[2], val[3]
    unknown_ann['ann_id'] = 99999
    empty_sentence['sentences'][0].update(sent='   ', raw=' ')
    lost_with_no_sentence = len(no_sentence['sentences'])
    no_sentence['sentences'] = []  # a ref without any expression: counted, not silently dropped
    assert len(empty_sentence['sentences']) >= 3
    empty_sentence['sentences'][1].update(sent='', raw='')  # '' is counted like spaces; the last one stays
    blank = 2
    coco = _read_coco(root)
    next(a for a in coco['annotations'] if a['id'] == zero_area['ann_id'])['bbox'][2] = 0
    write_refer(osp.join(root, 'synthetic'), coco, refs)

    dataset, warning = _load_val_with_warnings(synthetic, root)
    expected = (synthetic['num_expressions']['val'] - len(unknown_ann['sentences'])
                - len(zero_area['sentences']) - blank - lost_with_no_sentence)
    assert dataset.num_expressions == expected
    ref_ids = {e['ref_id'] for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']}
    assert unknown_ann['ref_id'] not in ref_ids and zero_area['ref_id'] not in ref_ids
    assert empty_sentence['ref_id'] in ref_ids and no_sentence['ref_id'] not in ref_ids
    assert f"1 refs whose ann_id is not in instances.json (refs(unc).p (ref_id={unknown_ann['ref_id']})" in warning
    assert f"1 refs with a zero-area box (refs(unc).p (ref_id={zero_area['ref_id']})" in warning
    assert f"1 refs without any expression (refs(unc).p (ref_id={no_sentence['ref_id']}))" in warning
    assert f"{blank} empty or blank expressions (refs(unc).p (ref_id={empty_sentence['ref_id']})" in warning
    assert dataset.metainfo['skipped_reasons'] == {
        'refs whose ann_id is not in instances.json': 1, 'refs with a zero-area box': 1,
        'empty or blank expressions': blank, 'refs without any expression': 1}
    # and the metric reports them beside its figures
    metric = RECMetric()
    metric.dataset_meta = dataset.metainfo
    with logged_warnings() as logged:
        metrics = metric.compute_metrics([[dict(iou=1.0, upper_bound_hit=None, kind=None, split='val')]])
    assert metrics['skipped_records'] == 3 + blank and '1 refs without any expression' in logged.out


def test_unknown_image_and_fully_skipped_image_leave_no_sample(synthetic, tmp_path):
    """A ref on an image missing from instances.json is a counted skip (not a KeyError), and an image
    whose refs are all skipped does not become a sample without expressions."""
    root = _copy_root(synthetic, tmp_path)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    val = [ref for ref in refs if ref['split'] == 'val']
    val_images = sorted({ref['image_id'] for ref in val})
    unknown_image = val[0]
    unknown_image['image_id'] = 424242
    emptied_image = val_images[-1]
    coco = _read_coco(root)
    for ann in coco['annotations']:
        if ann['image_id'] == emptied_image:
            ann['bbox'][2] = 0  # every ref of this image now has a zero-area box
    malformed = next(ref for ref in val if ref['image_id'] != emptied_image and ref is not unknown_image)
    malformed['sentences'][0] = 'not a sentence dict'
    write_refer(osp.join(root, 'synthetic'), coco, refs)

    dataset, warning = _load_val_with_warnings(synthetic, root)
    img_ids = [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))]
    assert emptied_image not in img_ids and 424242 not in img_ids
    assert all(dataset.get_data_info(i)['expressions'] for i in range(len(dataset)))
    assert f"1 refs whose image_id is not in instances.json (refs(unc).p (ref_id={unknown_image['ref_id']})" \
        in warning
    assert f"1 sentences that are not dicts (refs(unc).p (ref_id={malformed['ref_id']}) sentence 0)" in warning


def _annotated_objects(coco: dict, img_id: int) -> list:
    """``REFERDataset(with_candidates=True)``'s expected ``candidates`` of an image, from instances.json."""
    return [dict(bbox=[float(x), float(y), float(x + w), float(y + h)], ann_id=ann['id'],
                 category_id=ann['category_id'])
            for ann in coco['annotations'] if ann['image_id'] == img_id
            for x, y, w, h in [ann['bbox']] if w > 0 and h > 0]


def test_candidates_only_when_asked(synthetic):
    dataset = _dataset(synthetic['dataset_kwargs'], split='val')
    assert not any('candidates' in dataset.get_data_info(i) for i in range(len(dataset)))


def test_candidates_are_every_annotated_object_of_the_image(synthetic, tmp_path):
    """All the image's annotations in file order (the referred ones among them), zero-area ones left out, and
    the same list for every sample of the image with one_expression_per_sample."""
    root = _copy_root(synthetic, tmp_path)
    coco = _read_coco(root)
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    img_id = next(ref['image_id'] for ref in refs if ref['split'] == 'val')
    next_id = max(a['id'] for a in coco['annotations']) + 1
    template = next(a for a in coco['annotations'] if a['image_id'] == img_id)
    unreferred = dict(template, id=next_id, bbox=[1, 2, 30, 40])  # an object no expression refers to
    flat = dict(template, id=next_id + 1, bbox=[5, 5, 10, 0])  # zero area: left out
    coco['annotations'] += [unreferred, flat]
    write_refer(osp.join(root, 'synthetic'), coco, refs)

    for per_expression in (False, True):
        dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='val', with_candidates=True,
                           one_expression_per_sample=per_expression)
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            expected = _annotated_objects(coco, info['img_id'])
            assert info['candidates'] == expected
            boxes = {c['ann_id']: c['bbox'] for c in info['candidates']}
            assert all(boxes[e['ann_id']] == e['bbox'] for e in info['expressions'])  # the answer is a candidate
    sample = next(info for info in map(dataset.get_data_info, range(len(dataset))) if info['img_id'] == img_id)
    assert sample['candidates'][-1] == dict(bbox=[1.0, 2.0, 31.0, 42.0], ann_id=unreferred['id'],
                                            category_id=unreferred['category_id'])
    assert flat['id'] not in {c['ann_id'] for c in sample['candidates']}


def test_check_images_false_loads_without_the_images(synthetic, tmp_path):
    root = _copy_root(synthetic, tmp_path)
    shutil.rmtree(osp.join(root, 'images'))
    with pytest.raises(FileNotFoundError, match='images'):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')
    dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='val', check_images=False)
    assert len(dataset) == NUM_IMAGES['val'] and dataset.num_expressions == synthetic['num_expressions']['val']
    assert not osp.exists(dataset.get_data_info(0)['img_path'])
