"""The web demo's answers to odd and hostile input: thin images, PNG metadata bombs, server paths kept out of the
page and its ``/config``, repeated predictions rows, and examples whose expressions describe their own image."""
import json
import os
import os.path as osp
import zlib

import cv2
import numpy as np
import pytest

from mmrec.datasets.refer_io import load_refs
from mmrec.testing.web_demo import make_browse_fixture, png_chunk, png_header, write_black_png, write_predictions
from mmrec.apps.webui import InputError, load_upload_image
from mmrec.apps.webui.browse import PredictionsMismatch, browse_page, BrowseFilter, load_browse_set
from mmrec.apps.webui.try_it import run_try_it
from test_web_demo import tiny_inferencer  # noqa: F401 (fixture)


# ------------------------------------------------------------------------------------------------ images
def test_an_8192_by_1_image_gets_a_clear_message(tmp_path):
    with pytest.raises(InputError, match=r'8192 x 1 pixels; the demo takes images at least 16 pixels on a side and '
                                         r'at most 32 times as long as wide'):
        load_upload_image(write_black_png(tmp_path / 'strip.png', 8192, 1))
    with pytest.raises(InputError, match='1 x 8192 pixels'):
        load_upload_image(write_black_png(tmp_path / 'column.png', 1, 8192))
    with pytest.raises(InputError, match='1056 x 32 pixels'):  # 33 times as long: one past the ratio
        load_upload_image(write_black_png(tmp_path / 'long.png', 1056, 32))


def test_the_thinnest_accepted_image_is_answered(tiny_inferencer, tmp_path):  # noqa: F811
    image = np.full((16, 512, 3), 255, np.uint8)  # 32 times as long as wide, 16 high: both limits exactly
    image[:, 10:26] = (0, 0, 230)
    path = str(tmp_path / 'thin.png')
    cv2.imwrite(path, image)
    out = run_try_it(tiny_inferencer, path, 'the red square')
    answer = json.loads(out.answers_json)
    assert answer['image_size'] == [512, 16] and len(answer['answers']) == 1


def png_with(chunk: bytes, after_pixels: bool) -> bytes:
    pixels = png_chunk(b'IDAT', zlib.compress(b'\x00' * 17 * 16))  # 16 x 16 gray: inside every limit
    before, after = (b'', chunk) if after_pixels else (chunk, b'')
    return png_header(16, 16) + before + pixels + after + png_chunk(b'IEND', b'')


@pytest.mark.parametrize('after_pixels', [False, True])
@pytest.mark.parametrize('kind, head', [(b'zTXt', b'Comment\x00\x00'), (b'iCCP', b'profile\x00\x00'),
                                        (b'iTXt', b'Comment\x00\x01\x00\x00\x00')])
def test_a_png_metadata_decompression_bomb_is_named(tmp_path, kind, head, after_pixels):
    bomb = zlib.compress(b'\x00' * (64 * 1024 * 1024), 9)  # 64 MB of zeros in ~64 KB
    path = tmp_path / 'bomb.png'
    path.write_bytes(png_with(png_chunk(kind, head + bomb), after_pixels))
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match=r'zTXt / iTXt text or an iCCP colour profile\) that inflates past the '
                                         'safety limit, as a decompression bomb does'):
        load_upload_image(str(path))


# ------------------------------------------------------------------------------------------ server paths
@pytest.fixture(scope='module')
def browse_fixture(tmp_path_factory):
    return make_browse_fixture(str(tmp_path_factory.mktemp('browse_safety')))


def test_the_page_config_names_no_server_path(browse_fixture, tmp_path):
    from mmrec.apps.webui.app import _checked_choice, build_app
    from mmrec.apps.webui.defaults import DemoSources

    image = str(tmp_path / 'examples' / 'val_00000.jpg')
    os.makedirs(osp.dirname(image))
    cv2.imwrite(image, np.zeros((32, 32, 3), np.uint8))
    other = osp.join(str(tmp_path), 'b', 'predictions', 'predictions.jsonl')  # the same label as the fixture's
    sources = DemoSources(config=browse_fixture.data_config, checkpoint=str(tmp_path / 'secret' / 'detector.pth'),
                          examples=[image], example_expressions={image: 'the red circle\nthe small square'},
                          predictions=[browse_fixture.predictions, other], data_configs=[browse_fixture.data_config])
    page = json.dumps(build_app(None, sources).get_config_file(), default=str)
    for path in (browse_fixture.predictions, other, browse_fixture.data_config, sources.checkpoint, image):
        assert osp.dirname(path) not in page, path
    assert 'the red circle\\nthe small square' in page  # the example's own expressions
    assert _checked_choice('predictions/predictions.jsonl', sources.predictions, 'file') == browse_fixture.predictions
    assert _checked_choice('predictions/predictions.jsonl #2', sources.predictions, 'file') == other
    with pytest.raises(InputError, match='from the list'):
        _checked_choice(browse_fixture.predictions, sources.predictions, 'file')  # a path is not a choice


def test_the_browse_summary_and_its_errors_name_no_server_path(browse_fixture, tmp_path):
    browse_set = load_browse_set(browse_fixture.predictions, browse_fixture.data_config)
    assert browse_fixture.data_root.rstrip('/') not in browse_set.description
    assert 'data_root browse_safety0/data,' in browse_set.description  # the folder's name and its parent's
    moved = str(tmp_path / 'moved_data.py')
    with open(browse_fixture.data_config) as src, open(moved, 'w') as dst:
        dst.write(src.read().replace(browse_fixture.data_root.rstrip('/'), str(tmp_path / 'gone' / 'data')))
    with pytest.raises(PredictionsMismatch) as refused:
        load_browse_set(browse_fixture.predictions, moved)
    message = str(refused.value)
    assert str(tmp_path) not in message
    assert 'do not match the data config moved_data.py (data_root gone/data' in message


# ---------------------------------------------------------------------------------------- repeated rows
def test_a_repeated_row_is_counted_once_with_a_warning(browse_fixture, tmp_path):
    rows = browse_fixture.rows
    whole = browse_page(load_browse_set(browse_fixture.predictions, browse_fixture.data_config), BrowseFilter(), 1)
    wrong_row = rows[0]  # the fixture's first row is a wrong answer: repeating it would lower the accuracy
    assert not wrong_row['correct']
    doubled = write_predictions(str(tmp_path / 'doubled.jsonl'), rows + [wrong_row, wrong_row])
    browse_set = load_browse_set(doubled, browse_fixture.data_config)
    page = browse_page(browse_set, BrowseFilter(), 1)
    assert (page.num_rows, page.num_correct) == (whole.num_rows, whole.num_correct) == (len(rows), page.num_correct)
    assert '2 repeated row(s) of the file counted once' in browse_set.description


def test_two_different_answers_to_one_expression_are_refused(browse_fixture, tmp_path):
    rows = browse_fixture.rows
    changed = dict(rows[1], pred_bbox=[0, 0, 1, 1], iou=0.0, correct=False)
    path = write_predictions(str(tmp_path / 'conflict.jsonl'), rows + [changed])
    with pytest.raises(PredictionsMismatch, match=rf'sent_id {rows[1]["sent_id"]} twice with different answers '
                                                  rf'\(lines 2 and {len(rows) + 1}\)'):
        load_browse_set(path, browse_fixture.data_config)


# --------------------------------------------------------------------------------------------- examples
def test_each_example_image_comes_with_its_own_expressions(tmp_path):
    from mmrec.datasets.synthetic import generate_synthetic_refer
    from mmrec.apps.webui.defaults import MAX_EXAMPLES, quickstart_settings, quickstart_sources

    settings = quickstart_settings(str(tmp_path / 'quickstart'), str(tmp_path / 'data'))
    generate_synthetic_refer(settings.data_root, num_images={'val': MAX_EXAMPLES + 1}, image_size=(64, 48), seed=3)
    stage = settings.path('detector_finetuned')
    os.makedirs(stage)
    checkpoint = osp.join(stage, 'epoch_1.pth')
    open(checkpoint, 'wb').close()
    with open(osp.join(stage, 'last_checkpoint'), 'w') as f:
        f.write(checkpoint)
    from mmrec.apps.quickstart import clip_dir
    os.makedirs(clip_dir(settings))
    open(osp.join(clip_dir(settings), 'config.json'), 'w').close()

    sources = quickstart_sources(settings)
    refs = load_refs(osp.join(settings.data_root, 'synthetic', 'refs(unc).p'))
    assert len(sources.examples) == MAX_EXAMPLES
    texts_of_others = set()
    for path in sources.examples:
        own = {s['sent'] for ref in refs if ref['file_name'] == osp.basename(path) for s in ref['sentences']}
        given = sources.example_expressions[path].splitlines()
        assert 1 <= len(given) <= 3 and set(given) <= own, (path, given)
        texts_of_others |= set(given)
    assert len(texts_of_others) > 3  # not one list for every image
