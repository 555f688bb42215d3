"""tools/analyze_language.py on the other benchmarks' published layouts (gRefCOCO, Ref-L4, JSON lines), written
small by the tests: how the candidates are made, how several and no referents are scored, and what is left out.

One image (200 x 100) holds A on the left, B in the middle, C on the right. In the geometry-only setting the
reasoner answers 'left one' with A and 'second from left' with B (among A, B, C) or C (among A, C), and
declines 'red thing' (chance credited)."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmrec.testing.benchmark_files import coco_file, write_grefcoco, write_image, write_jsonl, write_ref_l4
from mmrec.utils import UserError

A, B, C = [10, 40, 30, 30], [80, 40, 30, 30], [150, 40, 30, 30]  # xywh


def _xyxy(box):
    x, y, w, h = box
    return [x, y, x + w, y + h]


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('analyze_language')


def _gref(ref_id, ann_id, texts, category_id=None):
    return dict(ref_id=ref_id, image_id=1, ann_id=ann_id, category_id=category_id or [1] * len(ann_id),
                split='val', sentences=[dict(sent=text, sent_id=ref_id * 10 + i) for i, text in enumerate(texts)])


@pytest.fixture()
def grefcoco(tmp_path):
    annotations = [dict(id=11, image_id=1, category_id=1, bbox=A), dict(id=12, image_id=1, category_id=1, bbox=B),
                   dict(id=13, image_id=1, category_id=2, bbox=C)]
    grefs = [_gref(1, [11, 12], ['left one', 'red thing']),  # two targets: A (right) / declined, chance 2/3
             _gref(2, [13], ['second from left'], [2]),        # B chosen: wrong
             _gref(3, [-1], ['a giraffe'], [-1]),              # no target: counted, not scored
             _gref(4, [11, 12, 13], ['all of them'], [1, 1, 2]),  # every candidate referred: left out
             _gref(5, [99], ['ghost'])]                        # unknown target id: skipped by the dataset
    write_grefcoco(str(tmp_path / 'grefcoco'), grefs,
                   coco_file([dict(id=1, file_name='1.jpg', width=200, height=100)], annotations,
                             [dict(id=1, name='person'), dict(id=2, name='dog')]))
    return str(tmp_path)


def test_grefcoco_several_and_no_targets(tool, grefcoco, capsys):
    result = tool.main([grefcoco, '--split', 'val'])  # found by its files under DATA/grefcoco
    out = capsys.readouterr().out
    assert result['format'] == 'grefcoco' and result['expressions'] == 3
    assert result['geometry_accuracy'] == pytest.approx((1 + 2 / 3 + 0) / 3, abs=1e-4)
    assert result['chance'] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3, abs=1e-4)
    assert (result['multi_target'], result['no_target'], result['left_out']) == (2, 1, 1)
    assert result['excluded']['every_candidate_referred'] == 1 and result['with_two_candidates'] == 4
    assert 'at least 2 candidates: 4' in out and "image's annotations" in out


def test_grefcoco_same_category_keeps_the_referred_categories(tool, grefcoco, capsys):
    result = tool.main([osp.join(grefcoco, 'grefcoco'), '--format', 'grefcoco', '--candidates', 'same-category'])
    # ref 1's targets are all of category 1 (A, B): nothing else to choose, left out; ref 2's C is alone in
    # category 2; ref 4 spans both categories: every candidate referred
    assert result['expressions'] == 0 and result['left_out'] == 4
    assert result['excluded']['fewer_than_two_candidates'] == 1


def _ref_l4_rows():
    row = dict(height=100, width=200, image_id='coco_1', file_name='x.jpg', split='val')
    return [dict(row, id=1, caption='left one', bbox=A, bbox_id=7),
            dict(row, id=2, caption='second from left', bbox=A, bbox_id=7, is_rewrite=True),
            dict(row, id=3, caption='the one on the right', bbox=C, bbox_id=8),
            dict(row, id=4, caption='a cat', bbox=B, bbox_id=9, image_id='coco_2', file_name='y.jpg')]


def test_ref_l4_candidates_are_the_distinct_boxes_of_the_image(tool, tmp_path, capsys):
    write_ref_l4(str(tmp_path / 'ref-l4-val.parquet'), _ref_l4_rows())
    result = tool.main([str(tmp_path)])  # DATA/ref-l4-val.parquet for the default split
    out = capsys.readouterr().out
    # x.jpg: two distinct boxes (A twice), so K = 2 and 'second from left' picks C: wrong; y.jpg has one box
    assert result['format'] == 'ref-l4' and result['splits'] == ['val'] and result['expressions'] == 3
    assert result['chance'] == pytest.approx(0.5) and result['geometry_accuracy'] == pytest.approx(2 / 3, abs=1e-4)
    assert result['excluded']['fewer_than_two_candidates'] == 1 and result['with_two_candidates'] == 3
    assert 'Ref-L4 has no other objects' in out
    assert tool.main([str(tmp_path / 'ref-l4-val.parquet')])['expressions'] == 3  # the file itself


def test_ref_l4_needs_the_file_of_every_split_asked(tool, tmp_path):
    write_ref_l4(str(tmp_path / 'ref-l4-val.parquet'), _ref_l4_rows())
    with pytest.raises(UserError, match=r'ref-l4-test\.parquet'):
        tool.main([str(tmp_path), '--format', 'ref-l4', '--split', 'val', '--split', 'test'])


def _jsonl_lines():
    size = dict(width=200, height=100)
    return [dict(image='a.jpg', expression='left one', box=_xyxy(A), **size),
            dict(image='a.jpg', expression='second from left', boxes=[_xyxy(B), _xyxy(C)], **size),
            dict(image='a.jpg', expression='a giraffe', boxes=[], **size),
            dict(image='b.jpg', expression='left one', box=_xyxy(A)),   # no size in the line
            dict(image='b.jpg', expression='right one', box=_xyxy(C))]


def test_json_lines_sizes_from_the_line_or_the_image(tool, tmp_path, capsys):
    path = write_jsonl(str(tmp_path / 'expressions.jsonl'), _jsonl_lines())
    result = tool.main([path])
    # a.jpg: candidates A, B, C; 'second from left' picks B, one of its two targets: right
    assert result['format'] == 'jsonl' and result['expressions'] == 2 and result['geometry_accuracy'] == 1.0
    assert (result['multi_target'], result['no_target']) == (1, 1)
    assert result['excluded']['no_image_size'] == 2  # b.jpg: no size in the lines, no image to read it from
    write_image(str(tmp_path / 'images' / 'b.jpg'), (200, 100))
    result = tool.main([str(tmp_path)])  # DATA/expressions.jsonl; b.jpg's size read from images/b.jpg
    assert result['expressions'] == 4 and result['excluded']['no_image_size'] == 0
    assert result['geometry_accuracy'] == 1.0  # 'left one' / 'right one' among A and C
    with pytest.raises(ValueError, match='same-category needs object categories'):
        tool.main([path, '--candidates', 'same-category'])


def test_json_lines_split_option_keeps_those_lines(tool, tmp_path):
    lines = [dict(line, split='val' if i < 2 else 'test') for i, line in enumerate(_jsonl_lines())]
    path = write_jsonl(str(tmp_path / 'mine.jsonl'), lines)
    result = tool.main([path, '--split', 'val'])
    assert result['expressions'] == 2 and list(result['per_split']) == ['val']


def test_no_layout_found_or_several_named_in_one_line(tool, tmp_path, grefcoco):
    folder = tmp_path / 'empty'
    folder.mkdir()
    with pytest.raises(UserError) as error:
        tool.main([str(folder)])
    message = str(error.value)
    assert '\n' not in message and 'no REC annotations' in message
    for name in ('refs(unc).p', 'grefs(unc).json', 'ref-l4-val.parquet', 'expressions.jsonl', '--format'):
        assert name in message
    with pytest.raises(UserError, match=r'no jsonl files .*expressions\.jsonl'):
        tool.main([osp.join(grefcoco, 'grefcoco'), '--format', 'jsonl'])
    write_jsonl(osp.join(grefcoco, 'grefcoco', 'expressions.jsonl'), _jsonl_lines())
    with pytest.raises(UserError, match=r'several layouts \(grefcoco, jsonl\)'):
        tool.main([osp.join(grefcoco, 'grefcoco')])
    with pytest.raises(UserError, match='not a ref-l4 annotation file'):
        tool.main([osp.join(grefcoco, 'grefcoco', 'expressions.jsonl'), '--format', 'ref-l4'])
    assert json.loads(json.dumps(tool.main([osp.join(grefcoco, 'grefcoco'), '--format', 'grefcoco'])))


def test_the_command_line_ends_a_wrong_path_in_one_line(repo_root, tmp_path):
    proc = subprocess.run([sys.executable, osp.join(repo_root, 'tools', 'analyze_language.py'), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stdout == ''  # run_tool's exit status for a user's mistake
    line, = proc.stderr.strip().splitlines()
    assert line.startswith(f'error: no REC annotations in {tmp_path}: looked for refcoco/refs(unc).p')
