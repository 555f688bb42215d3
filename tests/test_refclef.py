"""RefClef (ReferItGame over SAIAPR TC-12) through REFERDataset: its files in REFER's layout, both split sets, the
saiapr_tc-12 image folder, string annotation ids, and the dataset configs."""
import os.path as osp

import pytest
from mmengine.config import Config

import mmrec  # noqa: F401
from mmdet.registry import DATASETS
from mmrec.datasets import REFERDataset
from mmrec.testing.benchmark_files import coco_file, write_refclef

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
UNC_SPLITS = ('train', 'val', 'testA', 'testB', 'testC')
BERKELEY_SPLITS = ('train', 'val', 'test')


def _refs(splits, offset):
    """One ref per split, each on its own image, with a short "stuff" expression as RefClef has."""
    return [dict(ref_id=offset + i, ann_id=f'{1000 + i}_1', image_id=1000 + i, split=split, category_id=3,
                 sent_ids=[10 * (offset + i)], file_name=f'{1000 + i}.jpg',
                 sentences=[dict(sent='sky', raw='Sky', sent_id=10 * (offset + i), tokens=['sky'])])
            for i, split in enumerate(splits)]


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('refclef')
    images = [dict(id=1000 + i, file_name=f'{i:02d}/images/{1000 + i}.jpg', height=30, width=40) for i in range(5)]
    annotations = [dict(id=f'{1000 + i}_{k}', image_id=1000 + i, category_id=category, bbox=box, area=480,
                        iscrowd=0, mask_name=f'{1000 + i}_{k}.mat')
                   for i in range(5) for k, category, box in ((1, 3, [0, 0, 40, 12]), (2, 7, [0, 18, 40, 12]))]
    coco = coco_file(images, annotations, [dict(id=3, name='sky'), dict(id=7, name='grass')])
    write_refclef(str(root), dict(unc=_refs(UNC_SPLITS, 0), berkeley=_refs(BERKELEY_SPLITS, 100)), coco)
    return root


@pytest.mark.parametrize('split_file,splits', [('refs(unc).p', UNC_SPLITS), ('refs(berkeley).p', BERKELEY_SPLITS)])
def test_both_split_sets_load_with_saiapr_paths(root, split_file, splits):
    for split in splits:
        dataset = REFERDataset(data_root=str(root), ann_file='instances.json', split_file=split_file, split=split,
                               data_prefix=dict(img_path='saiapr_tc-12/'))
        info = dataset.get_data_info(0)
        assert len(dataset) == 1 and info['expressions'][0]['split'] == split
        assert info['img_path'].startswith(osp.join(str(root), 'saiapr_tc-12', ''))
        assert info['img_path'].endswith('/images/' + osp.basename(info['img_path']))
        assert info['expressions'][0]['text'] == 'sky' and info['expressions'][0]['bbox'] == [0.0, 0.0, 40.0, 12.0]
        assert isinstance(info['expressions'][0]['ann_id'], str)  # RefClef's ids such as '1000_1'
    assert dataset.metainfo['category_names'] == {3: 'sky', 7: 'grass'}  # REFER's categories only


def test_a_split_of_the_other_set_is_named_with_the_present_ones(root):
    with pytest.raises(ValueError, match=r"split\(s\) \['testC'\] not in .*refs\(berkeley\).p; the splits present "
                                         r"are \['test', 'train', 'val'\]"):
        REFERDataset(data_root=str(root), ann_file='instances.json', split_file='refs(berkeley).p', split='testC',
                     data_prefix=dict(img_path='saiapr_tc-12/'))


@pytest.mark.parametrize('name,test_splits', [('refclef_rec.py', ['val', 'testA', 'testB', 'testC']),
                                              ('refclef-berkeley_rec.py', ['test'])])
def test_configs_build_their_splits_and_pack_samples(root, name, test_splits):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    assert cfg.test_dataloader.dataset.split == test_splits
    test = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root)))
    assert len(test) == len(test_splits) and test[0]['data_samples'].texts == ['sky']
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(root)))
    assert [e['split'] for e in val.get_data_info(0)['expressions']] == ['val']


def test_analyze_language_reads_refclef(root, load_tool, capsys):
    """tools/analyze_language.py on RefClef's files as published (a folder with instances.json + refs(unc).p)."""
    result = load_tool('analyze_language').main([str(root), '--dataset', 'refclef', '--split-by', 'unc',
                                                 '--split', 'testA', '--split', 'testC'])
    assert result['expressions'] == 2 and result['left_out'] == 0
    assert 'refclef (unc)' in capsys.readouterr().out


def test_annotated_candidates_pack_with_string_ids(root):
    """The ground-truth-boxes setting (with_candidates) on RefClef: its string annotation ids pack as -1, the
    boxes as they are."""
    dataset = REFERDataset(data_root=str(root), ann_file='instances.json', split_file='refs(unc).p', split='val',
                           data_prefix=dict(img_path='saiapr_tc-12/'), with_candidates=True,
                           pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadReferExpressions'),
                                     dict(type='PackRECInputs')])
    candidates = dataset[0]['data_samples'].gt_candidates
    assert candidates.bboxes.tolist() == [[0, 0, 40, 12], [0, 18, 40, 30]]
    assert candidates.ann_ids.tolist() == [-1, -1] and candidates.category_ids.tolist() == [3, 7]
