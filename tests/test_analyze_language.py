"""tools/analyze_language.py: cue counts and geometry-only accuracy on a small REFER root (no images)."""
import json
import os.path as osp
import pickle

import pytest

from mmrec.datasets.refer_io import write_refer
from mmrec.utils import UserError

# Image 1 (200 x 100): A on the left and B in the middle (category 1), C on the right (category 2).
# Image 2: a single object, so its expression is left out (nothing to choose from).
IMAGES = [dict(id=1, file_name='one.jpg', width=200, height=100), dict(id=2, file_name='two.jpg', width=64,
                                                                       height=64)]
ANNOTATIONS = [dict(id=11, image_id=1, category_id=1, bbox=[10, 40, 30, 30]),
               dict(id=12, image_id=1, category_id=1, bbox=[80, 40, 30, 30]),
               dict(id=13, image_id=1, category_id=2, bbox=[150, 40, 30, 30]),
               dict(id=21, image_id=2, category_id=1, bbox=[5, 5, 20, 20])]
CATEGORIES = [dict(id=1, name='person'), dict(id=2, name='dog')]


def _ref(ref_id, ann_id, image_id, category_id, texts):
    return dict(ref_id=ref_id, ann_id=ann_id, image_id=image_id, split='val', category_id=category_id,
                sentences=[dict(sent=text, raw=text, sent_id=ref_id * 10 + i) for i, text in enumerate(texts)])


REFS = [
    # about A: one answered right ("left one"), four the reasoner declines (no cue it reads), one skipped
    # by the dataset (empty)
    _ref(0, 11, 1, 1, ['left one', 'red thing', '?!', 'ñandú à gauche', '12345', '']),
    # about C: "second from left" among A, B, C is B: answered wrong
    _ref(1, 13, 1, 2, ['second from left']),
    _ref(2, 21, 2, 1, ['the left one']),
]


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('analyze_language')


@pytest.fixture()
def root(tmp_path):
    write_refer(str(tmp_path / 'refcoco'), dict(images=IMAGES, annotations=ANNOTATIONS, categories=CATEGORIES),
                REFS, split_by='unc')
    return str(tmp_path)


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_geometry_only_accuracy_by_hand(tool, root, capsys):
    result = tool.main([root, '--dataset', 'refcoco', '--split-by', 'unc', '--split', 'val'])
    assert _last_json(capsys) == json.loads(json.dumps(result))
    # six expressions of image 1 (K = 3): one right, one wrong, four declined at chance 1/3
    assert result['expressions'] == 6 and result['left_out'] == 1
    assert result['chance'] == pytest.approx(1 / 3, abs=1e-4)
    assert result['geometry_accuracy'] == pytest.approx((1 + 4 / 3) / 6, abs=1e-4)
    assert result['answered'] == pytest.approx(2 / 6, abs=1e-4)
    assert result['answered_accuracy'] == pytest.approx(0.5)
    assert result['cue_counts'] == dict(extreme=1, ordinal=1, depth=0, size=0, relation=0, none=4)
    assert result['cue_correct']['extreme'] == 1 and result['cue_correct']['ordinal'] == 0


def test_same_category_candidates(tool, root, capsys):
    result = tool.main([root, '--dataset', 'refcoco', '--candidates', 'same-category'])
    # A's expressions choose between A and B (K = 2); C is alone in its category: left out
    assert (result['expressions'], result['left_out']) == (5, 2)
    assert result['geometry_accuracy'] == pytest.approx((1 + 4 * 0.5) / 5, abs=1e-4)
    assert result['answered_accuracy'] == pytest.approx(1.0)


def test_dump_writes_one_row_per_expression(tool, root, tmp_path, capsys):
    dump = tmp_path / 'out' / 'rows.jsonl'
    tool.main([root, '--dataset', 'refcoco', '--dump', str(dump)])
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(rows) == 6
    assert {row['text']: row['credit'] for row in rows}['second from left'] == 0.0


def test_a_folder_holding_the_files_itself_works(tool, root, capsys):
    assert tool.main([osp.join(root, 'refcoco')])['expressions'] == 6


def test_missing_and_non_refer_files_are_named(tool, root, tmp_path):
    with pytest.raises(UserError, match='data root'):
        tool.main([str(tmp_path / 'nowhere')])
    with pytest.raises(UserError, match=r'refs\(google\)\.p'):
        tool.main([root, '--split-by', 'google'])
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump({'not': 'a list'}, f)
    with pytest.raises(ValueError, match=r'refs\(unc\)\.p'):
        tool.main([root])
    write_refer(osp.join(root, 'refcoco'), dict(images=IMAGES, annotations=ANNOTATIONS, categories=CATEGORIES),
                REFS, split_by='unc')
    with pytest.raises(ValueError, match='splits present'):
        tool.main([root, '--split', 'testA'])


def test_explain_prints_the_wrong_answers_before_the_json(tool, root, capsys):
    result = tool.main([root, '--dataset', 'refcoco', '--explain', '5'])
    out = capsys.readouterr().out
    # one wrong answer exists ("second from left" about C): it alone is explained, the JSON line stays last
    assert out.count('WRONG') == 1 and '"second from left"' in out
    assert "parse: subject 'the object' [#2 from left]" in out
    assert json.loads(out.strip().splitlines()[-1]) == json.loads(json.dumps(result))
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith('  ') and line.split()[0].isdigit()}
    # B (index 1) chosen and C (index 2) referred; C's factor for "#2 from left" is 0 (two boxes lie left of it)
    assert rows['1'].split()[1] == '*' and rows['2'].split()[1] == 'R'
    assert float(rows['2'].split()[-2]) == 0.0


def test_explain_cue_filter(tool, root, capsys):
    tool.main([root, '--dataset', 'refcoco', '--explain', '5', '--explain-cue', 'extreme'])
    assert 'WRONG' not in capsys.readouterr().out  # the only extreme expression ("left one") is answered right
