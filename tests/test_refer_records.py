"""REFERDataset and bad data: bad records skipped and counted per reason with the file and ref ids named (the
second of two bad records too), a box on the border kept, nothing left = one line; missing / truncated /
undecodable images named up front or at the sample, or skipped and counted with ``skip_missing_images``."""
import copy
import json
import os
import os.path as osp

import pytest

from mmrec.datasets import REFERDataset
from mmrec.datasets.refer_io import load_refs, write_refer
from mmrec.datasets.refer_records import BORDER_TOLERANCE
from mmrec.datasets.skipped_records import MISSING_IMAGE
from mmrec.evaluation import RECMetric
from mmrec.testing import logged_warnings
from test_refer_dataset import _copy_root, _dataset, _load_val_with_warnings, _read_coco, synthetic  # noqa: F401


def val_refs(root: str):
    refs = load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
    return refs, [ref for ref in refs if ref['split'] == 'val']


def ann_of(coco: dict, ref: dict) -> dict:
    return next(ann for ann in coco['annotations'] if ann['id'] == ref['ann_id'])


def img_of(coco: dict, ref: dict) -> dict:
    return next(img for img in coco['images'] if img['id'] == ref['image_id'])


def set_box(index: int, value):
    """An edit of the COCO [x, y, w, h] box's ``index``-th number of a ref's annotation."""
    def edit(coco, refs, ref):
        ann_of(coco, ref)['bbox'][index] = value
    return edit


def past_border(coco, refs, ref):
    ann, img = ann_of(coco, ref), img_of(coco, ref)
    ann['bbox'][0] = img['width'] - ann['bbox'][2] + BORDER_TOLERANCE + 0.01  # the right edge just past it


def delete(where: str, key: str):
    def edit(coco, refs, ref):
        del (ann_of(coco, ref) if where == 'ann' else img_of(coco, ref) if where == 'img' else ref)[key]
    return edit


def null_box(coco, refs, ref):
    ann_of(coco, ref)['bbox'] = None


def list_split(coco, refs, ref):
    ref['split'] = ['val']


CASES = [
    ('refs with a box outside the image', past_border, 'outside'),
    ('refs with a NaN or infinite box', set_box(0, float('nan')), 'nan'),
    ('refs with a NaN or infinite box', set_box(3, float('inf')), 'inf'),
    ('refs with negative box coordinates or size', set_box(1, -1.0), 'negative'),
    ('refs whose annotation has no bbox', delete('ann', 'bbox'), 'no-bbox'),
    ('refs with a null box', null_box, 'null-box'),
    ('refs whose box is not 4 numbers', set_box(2, 'wide'), 'not-numbers'),
    ('refs whose image lacks file_name, height or width', delete('img', 'file_name'), 'no-file_name'),
    ('refs whose image lacks file_name, height or width', delete('img', 'height'), 'no-height'),
    ('refs whose image lacks file_name, height or width', delete('img', 'width'), 'no-width'),
    ('refs whose split is not a string', list_split, 'list-split'),
    ('refs missing fields', delete('ref', 'ann_id'), 'no-ann_id'),
]


def images_apart(val: list) -> list:
    """Two val refs of different images (so an image-level edit of one leaves the other's image alone)."""
    first = val[0]
    second = next(ref for ref in val[1:] if ref['image_id'] != first['image_id'])
    return [first, second]


@pytest.mark.parametrize('reason, edit', [case[:2] for case in CASES], ids=[case[2] for case in CASES])
def test_two_bad_records_are_skipped_counted_and_named(synthetic, tmp_path, reason, edit):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    refs, val = val_refs(root)
    coco = _read_coco(root)
    bad = images_apart(val)
    for ref in bad:
        edit(coco, refs, ref)
    write_refer(osp.join(root, 'synthetic'), coco, refs)

    dataset, warning = _load_val_with_warnings(synthetic, root)

    bad_images = {ref['image_id'] for ref in bad}
    skipped = [ref for ref in val if ref['image_id'] in bad_images] if 'image lacks' in reason else bad
    lost = sum(len(ref['sentences']) for ref in skipped)
    assert dataset.num_expressions == synthetic['num_expressions']['val'] - lost
    kept = {e['ref_id'] for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']}
    assert not kept & {ref['ref_id'] for ref in bad}
    assert 'refs(unc).p' in warning and f'{len(skipped)} {reason} (' in warning
    for ref in bad:  # the second of the two is named as well as the first
        assert f"ref_id={ref['ref_id']!r}" in warning
    assert dataset.metainfo['skipped_reasons'] == {reason: len(skipped)}


def test_a_box_exactly_on_the_border_is_kept(synthetic, tmp_path):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    refs, val = val_refs(root)
    coco = _read_coco(root)
    ann, img = ann_of(coco, val[0]), img_of(coco, val[0])
    ann['bbox'] = [img['width'] - 10.0, img['height'] - 10.0, 10.0, 10.0]  # right and bottom on the border
    write_refer(osp.join(root, 'synthetic'), coco, refs)
    dataset, warning = _load_val_with_warnings(synthetic, root)
    assert dataset.num_expressions == synthetic['num_expressions']['val'] and warning == ''
    boxes = [e['bbox'] for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']
             if e['ref_id'] == val[0]['ref_id']]
    assert boxes[0] == [img['width'] - 10.0, img['height'] - 10.0, img['width'], img['height']]
    ann['bbox'] = [img['width'] - 10.0, 0.0, 10.0 + BORDER_TOLERANCE, 10.0]  # within the rounding tolerance
    write_refer(osp.join(root, 'synthetic'), coco, refs)
    dataset, warning = _load_val_with_warnings(synthetic, root)
    assert dataset.num_expressions == synthetic['num_expressions']['val'] and warning == ''


def test_a_duplicated_ref_is_counted_once(synthetic, tmp_path):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    refs, val = val_refs(root)
    refs += [copy.deepcopy(val[1]), copy.deepcopy(val[1])]  # twice more: both later copies are skipped
    write_refer(osp.join(root, 'synthetic'), _read_coco(root), refs)
    dataset, warning = _load_val_with_warnings(synthetic, root)
    assert dataset.num_expressions == synthetic['num_expressions']['val']
    # the metric says, beside its figures, that the files had bad records (both later copies: 2)
    assert dataset.metainfo['skipped_records'] == 2
    metric = RECMetric()
    metric.dataset_meta = dataset.metainfo
    metrics = metric.compute_metrics([[dict(iou=1.0, upper_bound_hit=None, kind=None, split='val')]])
    assert metrics['skipped_records'] == 2 and 'skipped_expressions' not in metrics
    assert f"2 duplicated refs (a ref_id seen before) (refs(unc).p ref #{len(refs) - 2} (ref_id={val[1]['ref_id']!r})" \
           f", refs(unc).p ref #{len(refs) - 1} " in warning


def test_nothing_left_to_evaluate_is_one_line(synthetic, tmp_path):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    refs, val = val_refs(root)
    coco = _read_coco(root)
    for ref in val:
        ann_of(coco, ref)['bbox'] = None
    write_refer(osp.join(root, 'synthetic'), coco, refs)
    with pytest.raises(ValueError, match=r"refs\(unc\)\.p: nothing to evaluate in split\(s\) \['val'\].*"
                                         rf"{len(val)} refs with a null box"):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')


def truncate(path: str) -> None:
    with open(path, 'rb') as file:
        data = file.read()
    with open(path, 'wb') as file:
        file.write(data[:len(data) // 2])


@pytest.mark.parametrize('damage', ['missing', 'truncated'])
def test_a_bad_image_is_named_up_front_or_skipped_and_counted(synthetic, tmp_path, damage):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    victim = osp.join(root, 'images', 'val_00001.jpg')
    os.remove(victim) if damage == 'missing' else truncate(victim)
    with pytest.raises(FileNotFoundError, match=rf"1 of 3 images .*val_00001\.jpg \({damage}.*"
                                                r"skip_missing_images=True"):
        _dataset(synthetic['dataset_kwargs'], data_root=root, split='val')

    dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='val', skip_missing_images=True)
    lost = synthetic['num_expressions']['val'] - dataset.num_expressions
    assert len(dataset) == 2 and lost > 0 and dataset.metainfo['skipped_reasons'] == {MISSING_IMAGE: lost}
    assert dataset.skipped.places[MISSING_IMAGE][0].startswith(f'{victim} ({damage}')
    metric = RECMetric()
    metric.dataset_meta = dataset.metainfo
    row = dict(iou=1.0, upper_bound_hit=None, kind=None, split='val')
    with logged_warnings() as warnings:
        metrics = metric.compute_metrics([[row]])
    assert metrics['skipped_records'] == lost and metrics['accuracy'] == 1.0
    assert f"the data set skipped {lost} records ({lost} {MISSING_IMAGE})" in warnings.out


def test_an_image_that_cannot_be_decoded_is_named_when_reached(synthetic, tmp_path):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    victim = osp.join(root, 'images', 'val_00001.jpg')
    with open(victim, 'wb') as file:  # passes the cheap check (JPEG start and end markers), does not decode
        file.write(b'\xff\xd8\xff\xe0' + b'\x00garbage' * 64 + b'\xff\xd9')
    dataset = _dataset(synthetic['dataset_kwargs'], data_root=root, split='val',
                       pipeline=[dict(type='LoadImageFromFile')])
    index = next(i for i in range(len(dataset)) if dataset.get_data_info(i)['img_path'] == victim)
    assert dataset[0 if index else 1]['img'] is not None  # the others load
    with pytest.raises(FileNotFoundError, match=rf'the image {victim} is cannot be decoded|{victim}.*decoded'):
        dataset[index]


def test_a_bad_candidate_annotation_is_left_out_and_counted(synthetic, tmp_path):  # noqa: F811
    root = _copy_root(synthetic, tmp_path)
    refs, val = val_refs(root)
    coco = _read_coco(root)
    img_id = val[0]['image_id']
    other = next(ann for ann in coco['annotations'] if ann['image_id'] == img_id and ann['id'] != val[0]['ann_id'])
    other['bbox'][0] = float('nan')
    write_refer(osp.join(root, 'synthetic'), coco, refs)
    logger_dataset = REFERDataset(**dict(synthetic['dataset_kwargs'], data_root=root), split='val',
                                  with_candidates=True)
    sample = next(logger_dataset.get_data_info(i) for i in range(len(logger_dataset))
                  if logger_dataset.get_data_info(i)['img_id'] == img_id)
    assert other['id'] not in [c['ann_id'] for c in sample['candidates']]
    assert val[0]['ann_id'] in [c['ann_id'] for c in sample['candidates']]
    assert json.dumps(sample['candidates'])  # plain, finite data
