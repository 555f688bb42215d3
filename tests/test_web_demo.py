"""The web demo's logic without a browser (mmrec.apps.webui): input checks, cue phrases, drawing, Try it over
RECInferencer, the browse tab's checks / filters / counts, and the CLI's offline default."""
import json
import os.path as osp
import shutil
import sys
import zlib

import cv2
import numpy as np
import pytest

from mmrec.apis import RECInferencer
from mmrec.models.spatial_reasoning import parse_expression
from mmrec.testing import colored_squares, save_tiny_clip, save_tiny_detector, tiny_method2_options
from mmrec.testing.rec_fixtures import REPO_ROOT
from mmrec.testing.web_demo import (WRONG_EVERY, make_browse_fixture, png_chunk, png_header, write_black_png,
                                    write_data_config, write_predictions)
from mmrec.visualization import CANDIDATE_COLOR, answer_color, draw_rec_answers
from mmrec.apps.webui import InputError, Limits, load_upload_image, parse_expressions
from mmrec.apps.webui.browse import (BrowseFilter, PredictionsMismatch, browse_page, draw_row, load_browse_set,
                                metric_iou_threshold, read_predictions)
from mmrec.apps.webui.cues import expression_cues, ordinal
from mmrec.apps.webui.try_it import run_try_it


# ------------------------------------------------------------------------------------------------ inputs
def test_expressions_one_per_line_blank_lines_skipped_any_script():
    text = '  the red square \n\n\t\nle carré à gauche\n左边的人\n'
    assert parse_expressions(text) == ['the red square', 'le carré à gauche', '左边的人']


@pytest.mark.parametrize('text', [None, '', '   ', '\n \t\n'])
def test_no_expression_is_refused_with_a_message(text):
    with pytest.raises(InputError, match='at least one expression'):
        parse_expressions(text)


def test_fifty_expressions_are_refused_with_the_limit():
    with pytest.raises(InputError, match='50 expressions were given; the demo takes at most 10'):
        parse_expressions('\n'.join(f'square {i}' for i in range(50)))


def test_an_overlong_expression_is_named_by_its_line():
    with pytest.raises(InputError, match='line 2 has 201 characters'):
        parse_expressions('ok\n' + 'x' * 201)


def test_an_image_upload_becomes_a_bgr_array(tmp_path):
    image, _ = colored_squares(size=(40, 30))
    path = str(tmp_path / 'squares.png')
    cv2.imwrite(path, image)
    loaded = load_upload_image(path)
    assert loaded.shape == (30, 40, 3) and loaded.dtype == np.uint8
    assert np.array_equal(loaded, image)
    gray = str(tmp_path / 'gray.png')
    cv2.imwrite(gray, image[:, :, 0])
    assert load_upload_image(gray).shape == (30, 40, 3)


def write_rotated_jpeg(path: str, image_bgr: np.ndarray, orientation: int = 6) -> str:
    """``image_bgr`` saved as a JPEG whose EXIF says to turn it (6: a quarter turn clockwise)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1])).save(path, exif=exif, quality=95)
    return path


def test_an_exif_rotated_upload_is_turned_upright_as_mmcv_reads_it(tmp_path):
    import mmcv

    image, _ = colored_squares(size=(96, 64))
    path = write_rotated_jpeg(str(tmp_path / 'rotated.jpg'), image)
    loaded = load_upload_image(path)
    assert loaded.shape == (96, 64, 3)  # the 96 x 64 picture stands on its side
    assert np.array_equal(loaded, mmcv.imread(path, flag='color', channel_order='bgr'))
    # the limits hold for the turned image the same way (its sides swapped)
    with pytest.raises(InputError, match='96 x 64 pixels'):
        load_upload_image(path, Limits(max_side=90))
    assert load_upload_image(path, Limits(max_side=96, max_pixels=96 * 64)).shape == (96, 64, 3)


def test_a_non_image_upload_is_refused(tmp_path):
    path = tmp_path / 'notes.png'  # the name does not make it an image
    path.write_text('the man on the left\n')
    with pytest.raises(InputError, match='not an image'):
        load_upload_image(str(path))


def test_a_10000_by_10000_image_is_refused_from_its_header(tmp_path):
    path = write_black_png(tmp_path / 'huge.png', 10000, 10000)
    assert osp.getsize(path) < 1_000_000  # small file, 100 megapixels: a decompression bomb for a naive reader
    with pytest.raises(InputError, match='10000 x 10000 pixels; the demo takes at most'):
        load_upload_image(path)


def test_the_pixel_limit_is_checked_before_decoding(tmp_path):
    """A header announcing a huge image with no pixel data behind it: refused for its size, not as corrupt."""
    path = tmp_path / 'claims_huge.png'
    few_pixels = png_chunk(b'IDAT', zlib.compress(b'\x00' * 100)) + png_chunk(b'IEND', b'')
    path.write_bytes(png_header(10000, 10000, colour_type=2) + few_pixels)
    with pytest.raises(InputError, match='10000 x 10000'):
        load_upload_image(str(path))
    path.write_bytes(png_header(20000, 20000, colour_type=2) + few_pixels)  # over Pillow's own bomb limit
    with pytest.raises(InputError, match='too many pixels|20000 x 20000'):
        load_upload_image(str(path))


def test_a_truncated_image_and_size_limits_are_refused(tmp_path):
    image, _ = colored_squares(size=(64, 48))
    good = str(tmp_path / 'good.jpg')
    cv2.imwrite(good, image)
    data = open(good, 'rb').read()
    truncated = tmp_path / 'truncated.jpg'
    truncated.write_bytes(data[:len(data) // 3])
    with pytest.raises(InputError, match='could not be (read|decoded)'):
        load_upload_image(str(truncated))
    with pytest.raises(InputError, match='at most 0.0 MB'):
        load_upload_image(good, Limits(max_file_bytes=100))
    with pytest.raises(InputError, match='64 x 48 pixels'):
        load_upload_image(good, Limits(max_pixels=1000))
    with pytest.raises(InputError, match='no image was received'):
        load_upload_image(None)
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(InputError, match='empty'):
        load_upload_image(str(empty))


# ------------------------------------------------------------------------------------------------ cues
def test_cue_phrases_of_the_parser():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']
    assert expression_cues('second man from the left in front of the bus') == [
        'ordinal: 2nd from left', "relation: in front of 'the bus'"]
    assert expression_cues('the leftmost square') == ['extreme: left']
    assert expression_cues('the big red circle') == ['size: large']
    assert expression_cues('man in the front') == ['depth: front']
    assert expression_cues('the red chair') == []
    assert 'not modelled' in expression_cues('guy in second row')[0]


# ------------------------------------------------------------------------------------------------ drawing
def test_answers_are_drawn_in_their_own_colours_with_candidates_in_grey():
    image = np.full((100, 200, 3), 128, np.uint8)
    drawing = draw_rec_answers(image, [[10, 50, 60, 90], [120, 50, 190, 90]], [0.9, 0.4],
                               candidates=[[70, 5, 110, 45]], min_width=200)
    assert drawing.shape == (100, 200, 3)
    assert tuple(drawing[70, 10]) == answer_color(0)[1]  # left edge of the first box
    assert tuple(drawing[70, 190]) == answer_color(1)[1]  # right edge of the second
    assert tuple(drawing[25, 70]) == CANDIDATE_COLOR
    assert answer_color(0) != answer_color(1)
    same = draw_rec_answers(image, [[10, 10, 100, 90], [10, 10, 100, 90]], [0.9, 0.4], min_width=200)
    assert tuple(same[50, 10]) == answer_color(0)[1]  # the first answer's edge
    assert tuple(same[50, 10 + 4]) == answer_color(1)[1]  # the second, the same box: drawn inside it
    with pytest.raises(ValueError, match='2 boxes but 1 scores'):
        draw_rec_answers(image, [[0, 0, 1, 1], [0, 0, 2, 2]], [0.5])


# ------------------------------------------------------------------------------------------------ Try it
def tiny_method2_inferencer(root, **options) -> RECInferencer:
    """``configs/method2.py`` with a tiny CLIP and detector saved under ``root``, and ``options`` merged."""
    clip_dir = save_tiny_clip(str(root / 'clip'))
    checkpoint = save_tiny_detector(str(root / 'detector.pth'), clip_dir)
    return RECInferencer(osp.join(REPO_ROOT, 'configs', 'method2.py'), checkpoint,
                         cfg_options=dict(tiny_method2_options(clip_dir), **options))


@pytest.fixture(scope='module')
def tiny_inferencer(tmp_path_factory):
    return tiny_method2_inferencer(tmp_path_factory.mktemp('web_demo_weights'))


def test_predict_gives_the_candidates_and_the_same_answers_as_call(tiny_inferencer):
    image, _ = colored_squares(size=(96, 64))
    result = tiny_inferencer.predict(image, ['red square', 'blue square'])
    plain = tiny_inferencer(image, ['red square', 'blue square'])
    assert [p.bbox for p in result.predictions] == [p.bbox for p in plain]
    assert result.candidate_bboxes.shape[1] == 4 and len(result.candidate_bboxes) == len(result.candidate_scores) > 0
    chosen = {tuple(np.round(p.bbox, 3)) for p in result.predictions}
    assert chosen <= {tuple(np.round(box, 3)) for box in result.candidate_bboxes.tolist()}
    assert not tiny_inferencer.uses_spatial_reasoning  # configs/method2.py: crop similarity alone


def test_try_it_answers_every_expression_as_the_inferencer_does(tiny_inferencer, tmp_path):
    image, _ = colored_squares(size=(96, 64))
    path = str(tmp_path / 'squares.png')
    cv2.imwrite(path, image)
    out = run_try_it(tiny_inferencer, path, 'the red square\n\nthe blue one on the left\n', show_candidates=True)
    expected = tiny_inferencer(image, ['the red square', 'the blue one on the left'])
    answers = json.loads(out.answers_json)['answers']
    assert [a['text'] for a in answers] == ['the red square', 'the blue one on the left']
    for answer, prediction in zip(answers, expected):
        assert np.allclose(answer['bbox'], prediction.bbox, atol=0.01)
        assert answer['score'] == pytest.approx(prediction.score, abs=1e-4)
    assert [row[1] for row in out.table] == [answer_color(0)[0], answer_color(1)[0]]
    assert out.drawing.shape == (427, 640, 3)  # enlarged to 640 wide, RGB
    assert 'spatial reasoning off' in out.summary and '96 x 64' in out.summary


def test_an_exif_rotated_upload_gets_the_boxes_of_the_inferencer_on_its_path(tiny_inferencer, tmp_path):
    image, _ = colored_squares(size=(96, 64))
    path = write_rotated_jpeg(str(tmp_path / 'rotated.jpg'), image)
    out = run_try_it(tiny_inferencer, path, 'the red square\nthe blue square')
    expected = tiny_inferencer(path, ['the red square', 'the blue square'])
    answers = json.loads(out.answers_json)
    assert answers['image_size'] == [64, 96]
    for answer, prediction in zip(answers['answers'], expected):
        assert np.allclose(answer['bbox'], prediction.bbox, atol=0.01)


@pytest.fixture(scope='module')
def reasoning_inferencer(tmp_path_factory):
    """The tiny method 2 with spatial reasoning on (``reasoner=dict()``)."""
    return tiny_method2_inferencer(tmp_path_factory.mktemp('web_demo_reasoning'),
                                   **{'model.scorer.reasoner': {}})


def test_try_it_shows_the_cues_only_where_the_reasoner_answered(reasoning_inferencer, tmp_path):
    """"on the left" is answered by geometry; "red square" (no location word) is left to CLIP."""
    assert reasoning_inferencer.uses_spatial_reasoning
    image, _ = colored_squares(size=(96, 64), squares={'red': [6, 20, 30, 44], 'blue': [62, 20, 86, 44]},
                               colours={'red': (230, 20, 20), 'blue': (20, 20, 230)})
    path = str(tmp_path / 'two_squares.png')
    cv2.imwrite(path, image)
    texts = ['the square on the left', 'red square']
    result = reasoning_inferencer.predict(image, texts)
    assert len(result.candidate_bboxes) > 1 and [p.reasoned for p in result.predictions] == [True, False]
    out = run_try_it(reasoning_inferencer, path, '\n'.join(texts))
    answers = json.loads(out.answers_json)['answers']
    assert [(a['reasoned'], a['cues']) for a in answers] == [(True, ['extreme: left']), (False, [])]
    assert [row[-1] for row in out.table] == ['extreme: left', 'left to CLIP']
    assert 'spatial reasoning on' in out.summary


def test_try_it_says_no_reasoning_without_a_reasoner(tiny_inferencer, tmp_path):
    image, _ = colored_squares(size=(96, 64))
    path = str(tmp_path / 'squares.png')
    cv2.imwrite(path, image)
    out = run_try_it(tiny_inferencer, path, 'the square on the left')
    assert out.table[0][-1] == 'no reasoning' and json.loads(out.answers_json)['answers'][0]['cues'] == []


def test_a_score_subtraction_waiting_for_the_data_set_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"score_subtraction takes its expression bank from the data set "
                                         r"\(source='dataset'\).*score_subtraction=dict\(source=\["):
        tiny_method2_inferencer(tmp_path, **{'model.scorer.score_subtraction': {}})
    bank = ['the red square', 'a blue square', 'the green one']
    inferencer = tiny_method2_inferencer(tmp_path, **{'model.scorer.score_subtraction': dict(source=bank)})
    image, _ = colored_squares(size=(96, 64))
    assert len(inferencer(image, ['the red square'])) == 1  # a bank of its own: answered


def test_try_it_refuses_bad_inputs_before_running_the_model(tiny_inferencer, tmp_path, monkeypatch):
    monkeypatch.setattr(tiny_inferencer, 'predict', lambda *a: pytest.fail('the model ran on a bad input'))
    text_file = tmp_path / 'a.txt'
    text_file.write_text('hello')
    with pytest.raises(InputError, match='not an image'):
        run_try_it(tiny_inferencer, str(text_file), 'red square')
    with pytest.raises(InputError, match='at least one expression'):
        run_try_it(tiny_inferencer, str(text_file), '   \n ')


# ------------------------------------------------------------------------------------------------ browse
@pytest.fixture(scope='module')
def browse_fixture(tmp_path_factory):
    return make_browse_fixture(str(tmp_path_factory.mktemp('browse')))


def test_browse_counts_and_filters_as_counted_by_hand(browse_fixture):
    browse_set = load_browse_set(browse_fixture.predictions, browse_fixture.data_config)
    rows = browse_fixture.rows
    num_wrong = len(range(0, len(rows), WRONG_EVERY))
    page = browse_page(browse_set, BrowseFilter(), 1, per_page=5)
    assert (page.num_rows, page.num_correct) == (len(rows), len(rows) - num_wrong)
    assert page.num_pages == -(-len(rows) // 5) and len(page.rows) == 5
    assert f'accuracy {100 * (len(rows) - num_wrong) / len(rows):.1f}%' in page.summary
    wrong = browse_page(browse_set, BrowseFilter(outcome='wrong'), 1)
    assert wrong.num_rows == num_wrong and wrong.num_correct == 0
    assert all(not row['correct'] for row in wrong.rows)
    kind = rows[1]['kind']
    by_kind = browse_page(browse_set, BrowseFilter(kind=kind), 1, per_page=100)
    assert by_kind.num_rows == sum(row['kind'] == kind for row in rows)
    word = rows[1]['text'].split()[-1]
    searched = browse_page(browse_set, BrowseFilter(search=word.upper()), 1, per_page=100)
    assert searched.num_rows == sum(word in row['text'] for row in rows) > 0
    cue = browse_page(browse_set, BrowseFilter(kind='cue: relation'), 1, per_page=100)
    assert cue.num_rows == sum('relation' in parse_expression(row['text']).cue_types for row in rows) > 0
    assert browse_page(browse_set, BrowseFilter(split='testA'), 1).summary == 'No expression matches this filter.'
    assert browse_page(browse_set, BrowseFilter(), 99, per_page=5).page == page.num_pages  # clamped
    assert set(browse_set.kinds) >= {kind, 'cue: relation'} and browse_set.splits == ['val']


def test_browse_draws_ground_truth_and_prediction(browse_fixture):
    browse_set = load_browse_set(browse_fixture.predictions, browse_fixture.data_config)
    drawing = draw_row(browse_set.rows[0])
    assert drawing.ndim == 3 and drawing.shape[1] == 320 and drawing.shape[0] > 240  # picture + caption band


def test_a_predictions_file_of_other_data_is_a_named_mismatch(browse_fixture, tmp_path):
    rows = [dict(row) for row in browse_fixture.rows]
    rows[4]['text'] = 'a sentence the data set does not have'
    changed = write_predictions(str(tmp_path / 'changed.jsonl'), rows)
    with pytest.raises(PredictionsMismatch, match=r"1 of \d+ rows differ; first, line 5 \(sent_id \d+\): text "
                                                  r"'a sentence the data set does not have' differs"):
        load_browse_set(changed, browse_fixture.data_config)
    other = make_browse_fixture(str(tmp_path / 'other'), num_images=2, seed=7)
    with pytest.raises(PredictionsMismatch, match='does not match the data config synthetic_val_data.py'):
        load_browse_set(other.predictions, browse_fixture.data_config)
    test_split = write_data_config(str(tmp_path / 'test_split.py'), browse_fixture.data_root, split='val')
    rows = [dict(row, split='testA') for row in browse_fixture.rows]
    with pytest.raises(PredictionsMismatch, match=r"split\(s\) \['testA'\] not in"):
        load_browse_set(write_predictions(str(tmp_path / 'testa.jsonl'), rows), test_split)


def test_a_partial_predictions_file_loads_and_says_how_much_is_present(browse_fixture, tmp_path):
    rows = browse_fixture.rows
    whole = load_browse_set(browse_fixture.predictions, browse_fixture.data_config)
    assert f'{len(rows)} of {len(rows)} data-set expressions present' in whole.description
    assert 'partial' not in whole.description
    partial = write_predictions(str(tmp_path / 'partial.jsonl'), rows[:5])
    described = load_browse_set(partial, browse_fixture.data_config).description
    assert described.startswith('5 expressions checked against')
    assert f'5 of {len(rows)} data-set expressions present (a partial predictions file)' in described


def test_outcomes_are_recomputed_from_the_boxes_and_disagreeing_files_refused(browse_fixture, tmp_path):
    assert metric_iou_threshold(browse_fixture.data_config) == 0.5  # the synthetic config's RECMetric
    rows = [dict(row) for row in browse_fixture.rows]
    x1, y1, x2, y2 = rows[1]['gt_bbox']  # a right answer: prediction = ground truth, IoU 1
    rows[1]['pred_bbox'] = [x1, y1, (x1 + x2) / 2, y2]  # half of it: IoU 0.5, still correct at 0.5
    rows[1]['iou'] = 0.5
    browse_set = load_browse_set(write_predictions(str(tmp_path / 'half.jsonl'), rows), browse_fixture.data_config)
    assert browse_set.rows[1]['iou'] == pytest.approx(0.5) and browse_set.rows[1]['correct'] is True
    lying = [dict(row) for row in rows]
    lying[1]['iou'] = 1.0  # the stored IoU of the halved box
    lying[3]['correct'] = not lying[3]['correct']  # WRONG_EVERY = 3: row 3 is wrong, IoU 0
    with pytest.raises(PredictionsMismatch, match=r'disagree with its boxes in 2 of \d+ rows; first, line 2 '
                                                  r'\(sent_id \d+\): iou 1.0, its boxes give 0.5000'):
        load_browse_set(write_predictions(str(tmp_path / 'lying.jsonl'), lying), browse_fixture.data_config)
    with pytest.raises(PredictionsMismatch, match=r'line 4 \(sent_id \d+\): correct True, but IoU 0.0000 at '
                                                  r'the threshold 0.5 is wrong'):
        load_browse_set(write_predictions(str(tmp_path / 'lying2.jsonl'), [dict(row) for row in lying[:1]]
                                          + [dict(row) for row in rows[1:3]] + [lying[3]]),
                        browse_fixture.data_config)


@pytest.mark.parametrize('content, message', [
    ('not json\n', 'line 1 is not JSON'),
    ('[1, 2]\n', 'line 1 is not a JSON object'),
    ('{"img_id": 1, "text": "x"}\n', 'line 1 lacks split, gt_bbox, pred_bbox, iou, correct'),
    ('\n\n', 'holds no rows'),
])
def test_malformed_predictions_files_are_refused_by_line(tmp_path, content, message):
    path = tmp_path / 'bad.jsonl'
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_predictions(str(path))


def test_a_binary_predictions_file_is_refused(tmp_path):
    path = tmp_path / 'bad.jsonl'
    path.write_bytes(b'\xff\xfe\x00\x81' * 10)
    with pytest.raises(InputError, match='not UTF-8'):
        read_predictions(str(path))


# ------------------------------------------------------------------------------------------------ page, CLI
def test_page_text_is_shown_literally_and_choices_are_fixed():
    from mmrec.apps.webui.app import _checked_choice, error_text, page_text

    assert '<script>' not in page_text('<script>alert(1)</script> *bold*')
    assert page_text('a_b') == 'a\\_b'
    assert _checked_choice('fixed/a.jsonl', ['/fixed/a.jsonl'], 'file') == '/fixed/a.jsonl'  # by its label
    with pytest.raises(InputError, match='choose a predictions file from the list'):
        _checked_choice('../../etc/passwd', ['/fixed/a.jsonl'], 'predictions file')
    assert 'Traceback' not in error_text(RuntimeError('internal detail')) and 'RuntimeError' in error_text(
        RuntimeError('internal detail'))


def test_the_page_names_files_without_server_folders_and_takes_the_largest_upload():
    from mmrec.apps.webui.app import upload_cap
    from mmrec.apps.webui.browse import display_path as _label

    assert _label('/srv/secret/models/eval/predictions.jsonl') == 'eval/predictions.jsonl'
    assert _label(osp.join(REPO_ROOT, 'configs', 'method2.py')) == osp.join('configs', 'method2.py')
    limits = Limits()
    assert upload_cap(limits) == limits.max_predictions_bytes == 50 * 2 ** 20 > limits.max_file_bytes


def test_without_gradio_the_cli_says_how_to_install_it(load_tool, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'gradio', None)  # "import gradio" raises ModuleNotFoundError
    from mmrec.utils import run_tool
    with pytest.raises(SystemExit) as stop:
        run_tool(load_tool('web_demo').main, [])
    assert stop.value.code == 2
    assert 'pip install -e ".[demo]"' in capsys.readouterr().err


def test_without_the_quickstart_models_the_cli_says_how_to_make_them(load_tool, tmp_path, capsys):
    web_demo = load_tool('web_demo')
    from mmrec.utils import run_tool
    with pytest.raises(SystemExit) as stop:
        run_tool(web_demo.main, ['--quickstart-dir', str(tmp_path / 'nothing')])
    assert stop.value.code == 2
    assert 'python tools/quickstart.py' in capsys.readouterr().err


def test_the_cli_binds_to_loopback_by_default(load_tool):
    args = load_tool('web_demo').parse_args([])
    assert (args.host, args.port, args.config) == ('127.0.0.1', 7860, None)


def test_examples_given_on_the_command_line_carry_their_own_expressions(tmp_path):
    """tools/web_demo.py --examples IMAGE: an image of a REFER data set (``<root>/images/``) comes with its own
    expressions (the first wording of each of its refs, up to three); an image in any other folder with none."""
    from mmrec.apps.webui.defaults import EXPRESSIONS_PER_EXAMPLE, expressions_beside
    from mmrec.datasets.refer_io import load_refs, sentence_text
    from mmrec.datasets.synthetic import generate_synthetic_refer

    root = str(tmp_path / 'data')
    generate_synthetic_refer(root, num_images=dict(train=1, val=2), image_size=(96, 64), seed=3)
    image = osp.join(root, 'images', 'val_00000.jpg')
    (tmp_path / 'loose').mkdir()
    loose = str(tmp_path / 'loose' / 'val_00000.jpg')  # same name, no data set beside it: nothing is read for it
    shutil.copy(image, loose)
    found = expressions_beside([image, loose])
    refs = [ref for ref in load_refs(osp.join(root, 'synthetic', 'refs(unc).p'))
            if ref['file_name'] == 'val_00000.jpg']
    expected = [sentence_text(ref['sentences'][0]) for ref in refs][:EXPRESSIONS_PER_EXAMPLE]
    assert found == {image: '\n'.join(expected)} and expected
