"""tools/prepare_refcoco.py: per-split counts, missing images, leak-free train detection file."""
import json
import os
import os.path as osp

import pytest

from mmrec.datasets import generate_synthetic_refer
from mmrec.datasets.refer_io import write_refer
from mmrec.utils import UserError

CATEGORIES = [dict(id=1, name='person'), dict(id=2, name='bicycle'), dict(id=3, name='car')]


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('prepare_refcoco')


def _ref(ref_id: int, image_id: int, split: str, num_sentences: int = 2) -> dict:
    sentences = [dict(sent=f'thing {ref_id} {i}', raw=f'thing {ref_id} {i}', tokens=[],
                      sent_id=ref_id * 10 + i) for i in range(num_sentences)]
    return dict(ref_id=ref_id, ann_id=image_id * 100, image_id=image_id, split=split, sentences=sentences,
                category_id=1)


def _write_root(root: str) -> None:
    """Six train2014 images; refcoco (unc) uses 1-5, refcocog (umd) uses 1, 2, 4, 6.

    refcoco unc: train {1, 2, 3}, val {4}, testA {5}; refcocog umd: train {1, 4, 6}, val {2}.
    So refcoco's train images minus every non-train image {2, 4, 5} are {1, 3}.
    """
    images = [dict(id=i, file_name=f'COCO_train2014_{i:012d}.jpg', width=8, height=8) for i in range(1, 7)]
    annotations = []
    for image_id in range(1, 7):  # two instances per image: the referred person and a car
        annotations.append(dict(id=image_id * 100, image_id=image_id, category_id=1, bbox=[0, 0, 4, 4],
                                area=16, iscrowd=0))
        annotations.append(dict(id=image_id * 100 + 1, image_id=image_id, category_id=3,
                                bbox=[4, 4, 3, 3], area=9, iscrowd=0))
    coco = dict(images=images, annotations=annotations, categories=CATEGORIES)
    write_refer(osp.join(root, 'refcoco'), coco, [
        _ref(1, 1, 'train'), _ref(2, 2, 'train', 3), _ref(3, 3, 'train'), _ref(4, 3, 'train'),
        _ref(5, 4, 'val'), _ref(6, 5, 'testA')], split_by='unc')
    write_refer(osp.join(root, 'refcocog'), coco, [
        _ref(11, 1, 'train'), _ref(12, 4, 'train'), _ref(13, 6, 'train'), _ref(14, 2, 'val')],
        split_by='umd')
    os.makedirs(osp.join(root, 'train2014'))
    for img in images:
        with open(osp.join(root, 'train2014', img['file_name']), 'wb') as f:
            f.write(b'not decoded by the tool')


def test_writes_only_train_images_and_excludes_leaked_ones(tool, tmp_path, capsys):
    root = str(tmp_path)
    _write_root(root)
    summary = tool.main([root, '--dataset', 'refcoco', '--split-by', 'unc'])
    out = capsys.readouterr().out

    assert summary['out'] == osp.join(root, 'refcoco', 'instances_train_unc_det.json')
    assert summary['excluded_leaked'] == [2] and summary['written_image_ids'] == [1, 3]
    with open(summary['out']) as f:
        written = json.load(f)
    assert [img['id'] for img in written['images']] == [1, 3]
    assert sorted(ann['id'] for ann in written['annotations']) == [100, 101, 300, 301]  # every instance
    assert written['categories'] == CATEGORIES  # unused categories kept
    assert 'refcoco (unc):' in out and 'refcocog (umd):' in out
    assert '   train:       4 refs       9 expressions      3 images' in out
    assert 'excluded 1 used by a non-train split' in out


def test_missing_images_are_reported_and_left_out(tool, tmp_path, capsys):
    root = str(tmp_path)
    _write_root(root)
    os.remove(osp.join(root, 'train2014', 'COCO_train2014_000000000003.jpg'))
    summary = tool.main([root, '--out', str(tmp_path / 'det.json')])
    assert summary['excluded_missing'] == [3] and summary['written_image_ids'] == [1]
    assert "missing image files in {}: 1, e.g. ['COCO_train2014_000000000003.jpg']".format(
        osp.join(root, 'train2014')) in capsys.readouterr().out


def test_refcocog_leaks_are_excluded_the_other_way_round(tool, tmp_path):
    root = str(tmp_path)
    _write_root(root)
    summary = tool.main([root, '--dataset', 'refcocog', '--split-by', 'umd'])
    # refcocog train {1, 4, 6}: 4 is refcoco's val image.
    assert summary['excluded_leaked'] == [4] and summary['written_image_ids'] == [1, 6]


def test_synthetic_root(tool, tmp_path):
    root = str(tmp_path)
    generated = generate_synthetic_refer(root, num_images={'train': 3, 'val': 2}, image_size=(80, 64))
    summary = tool.main([root, '--dataset', 'synthetic'])
    with open(summary['out']) as f:
        written = json.load(f)
    assert [img['file_name'] for img in written['images']] == [f'train_{i:05d}.jpg' for i in range(3)]
    assert len(written['categories']) == 3
    with open(generated['ann_file']) as f:
        all_anns = json.load(f)['annotations']
    kept = set(summary['written_image_ids'])
    assert len(written['annotations']) == sum(1 for a in all_anns if a['image_id'] in kept)
    assert summary['num_train_images'] == generated['num_images']['train']

    from mmdet.datasets import CocoDataset  # the file is what the detector's training config reads
    detection = CocoDataset(data_root=root, ann_file=summary['out'], data_prefix=dict(img='images/'),
                            metainfo=dict(classes=('circle', 'square', 'triangle')), pipeline=[])
    assert len(detection) == 3
    assert sum(len(detection.get_data_info(i)['instances']) for i in range(3)) == len(written['annotations'])


def test_bad_arguments_name_the_culprit(tool, tmp_path):
    root = str(tmp_path)
    _write_root(root)
    with pytest.raises(UserError, match=r"refcoco\+.*found: \['refcoco', 'refcocog'\]"):
        tool.main([root, '--dataset', 'refcoco+'])
    with pytest.raises(UserError, match=r"refs\(google\)\.p not found; split files there: \['unc'\]"):
        tool.main([root, '--split-by', 'google'])
    with pytest.raises(UserError, match='no_such_root'):
        tool.main([str(tmp_path / 'no_such_root')])


def test_coco_train2014_less_every_refer_val_test_image(tool, tmp_path, capsys):
    """--coco-ann: COCO train2014 (images 1-8 here; 7 and 8 in no REFER data set) less the images of every
    non-train split of refcoco (unc: 4, 5) and refcocog (umd: 2), whatever --dataset says."""
    root = str(tmp_path)
    _write_root(root)
    images = [dict(id=i, file_name=f'COCO_train2014_{i:012d}.jpg', width=8, height=8) for i in range(1, 9)]
    annotations = [dict(id=i * 100, image_id=i, category_id=1, bbox=[0, 0, 4, 4], area=16, iscrowd=0)
                   for i in range(1, 9)]
    os.makedirs(osp.join(root, 'annotations'))
    with open(osp.join(root, 'annotations', 'instances_train2014.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=CATEGORIES), f)
    summary = tool.main([root, '--dataset', 'refcocog', '--split-by', 'umd',
                         '--coco-ann', 'annotations/instances_train2014.json'])
    assert summary['coco_out'] == osp.join(root, 'annotations', 'instances_train2014_minus_refer_val_test.json')
    assert summary['coco_removed'] == [2, 4, 5] and summary['coco_written'] == 5
    with open(summary['coco_out']) as f:
        written = json.load(f)
    assert [img['id'] for img in written['images']] == [1, 3, 6, 7, 8]
    assert [ann['image_id'] for ann in written['annotations']] == [1, 3, 6, 7, 8]
    assert written['categories'] == CATEGORIES
    assert 'removed 3 used by a non-train split' in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match=r'--coco-ann .*missing\.json not found'):
        tool.main([root, '--coco-ann', 'missing.json'])
