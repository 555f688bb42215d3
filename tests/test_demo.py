"""tools/demo.py: one image, several expressions -> printed boxes and a drawing with each chosen box."""
import importlib.util
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from mmrec.testing import cli_options, colored_squares, save_tiny_clip, save_tiny_detector, tiny_method2_options
from mmrec.testing.rec_fixtures import REPO_ROOT
from mmrec.utils import UserError
from mmrec.visualization import PRED_COLOR


def load_demo():
    spec = importlib.util.spec_from_file_location('mmrec_demo', osp.join(REPO_ROOT, 'tools', 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    """A tiny CLIP directory and a tiny detector checkpoint (random weights, saved as a user's would be)."""
    root = tmp_path_factory.mktemp('demo_weights')
    clip_dir = save_tiny_clip(str(root / 'clip'))
    return clip_dir, save_tiny_detector(str(root / 'detector.pth'), clip_dir)


def has_pred_colour_near(image: np.ndarray, x: float, y: float, radius: int = 2) -> bool:
    x, y = int(round(x)), int(round(y))
    patch = image[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1].reshape(-1, 3)
    return bool((np.abs(patch.astype(int) - np.array(PRED_COLOR)).sum(axis=1) <= 30).any())


def test_demo_prints_and_draws_the_chosen_boxes(tiny_weights, tmp_path, capsys):
    clip_dir, ckpt = tiny_weights
    image, _ = colored_squares(size=(96, 64))
    image_path = str(tmp_path / 'squares.png')
    cv2.imwrite(image_path, image)
    out = str(tmp_path / 'drawn' / 'out.png')
    options = cli_options(tiny_method2_options(clip_dir, image_scale=(144, 96)))
    expressions = ['the red square', 'blue square on the left']
    load_demo().main([image_path, *expressions, '--config', osp.join(REPO_ROOT, 'configs', 'method2.py'),
                      '--checkpoint', ckpt, '--out', out, '--cfg-options', *options])
    printed = capsys.readouterr().out
    boxes = [[float(v) for v in match.split(', ')] for match in re.findall(r'box \[([^\]]+)\]', printed)]
    assert len(boxes) == 2 and all(text in printed for text in expressions)
    drawing = cv2.imread(out)
    assert drawing is not None
    scale = 320 / 96  # the drawing enlarges images narrower than 320 px
    panel_height = drawing.shape[0] // 2  # one panel (picture + caption band) per expression
    assert drawing.shape[1] == 320 and drawing.shape[0] == 2 * panel_height
    for index, (x1, y1, x2, y2) in enumerate(boxes):
        assert 0 <= x1 < x2 <= 96 and 0 <= y1 < y2 <= 64
        top = index * panel_height
        sx1, sx2 = min(x1 * scale, 319), min(x2 * scale, 319)
        sy1, sy2 = top + min(y1 * scale, 212), top + min(y2 * scale, 212)
        for x, y in (((sx1 + sx2) / 2, sy1), ((sx1 + sx2) / 2, sy2), (sx1, (sy1 + sy2) / 2), (sx2, (sy1 + sy2) / 2)):
            assert has_pred_colour_near(drawing, x, y), (index, x, y)


def test_demo_reports_a_missing_clip_directory(tiny_weights, tmp_path):
    _, ckpt = tiny_weights
    image_path = str(tmp_path / 'img.png')
    cv2.imwrite(image_path, colored_squares()[0])
    with pytest.raises(UserError, match="missing_clip' not found.*save_pretrained"):  # before the model is built
        load_demo().main([image_path, 'red', '--config', osp.join(REPO_ROOT, 'configs', 'method2.py'),
                          '--checkpoint', ckpt, '--cfg-options',
                          f'model.scorer.encoder.name_or_path={tmp_path / "missing_clip"}'])


def test_demo_without_arguments_answers_the_quickstart_example_with_its_own_expressions(tiny_weights, tmp_path,
                                                                                          monkeypatch, capsys):
    """No argument at all: the quickstart's model, first example image and that image's expressions."""
    from mmrec.apps.webui import defaults
    clip_dir, ckpt = tiny_weights
    image = str(tmp_path / 'val_00000.jpg')
    cv2.imwrite(image, colored_squares(size=(96, 64))[0])
    options = tiny_method2_options(clip_dir, image_scale=(144, 96))
    sources = defaults.DemoSources(config=osp.join(REPO_ROOT, 'configs', 'method2.py'), checkpoint=ckpt,
                                   cfg_options=options, examples=[image],
                                   example_expressions={image: 'the red square\nthe blue square'})
    monkeypatch.setattr(defaults, 'quickstart_sources', lambda settings=None: sources)
    predictions = load_demo().main(['--out', str(tmp_path / 'out.jpg')])
    assert [p.text for p in predictions] == ['the red square', 'the blue square']
    assert "'the red square': box [" in capsys.readouterr().out and osp.isfile(tmp_path / 'out.jpg')


def test_demo_without_the_quickstart_models_says_how_to_make_them(tmp_path, capsys):
    from mmrec.utils import run_tool
    with pytest.raises(SystemExit) as stop:
        run_tool(load_demo().main, ['--quickstart-dir', str(tmp_path / 'nothing')])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and 'python tools/quickstart.py' in err[0]


def test_an_image_that_is_not_one_is_named_before_the_model_is_built(tiny_weights, tmp_path, monkeypatch, capsys):
    from mmrec.utils import run_tool
    clip_dir, ckpt = tiny_weights
    fake = tmp_path / 'photo.jpg'
    fake.write_text('not pixels')
    monkeypatch.setattr('mmrec.apis.RECInferencer.__init__', lambda *a, **k: pytest.fail('the model was built'))
    with pytest.raises(SystemExit) as stop:
        run_tool(load_demo().main, [str(fake), 'red', '--config', osp.join(REPO_ROOT, 'configs', 'method2.py'),
                                    '--checkpoint', ckpt])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1
    assert f"{str(fake)!r} is not an image OpenCV can read" in err[0]
    with pytest.raises(UserError, match=r"image '.*phot\.jpg' not found; close names: .*photo\.jpg"):
        load_demo().main([str(tmp_path / 'phot.jpg'), 'red'])


def test_no_checkpoint_is_one_line_unless_random_weights_are_asked_for(tiny_weights, tmp_path, capsys):
    """``--config`` without ``--checkpoint`` (and no ``load_from``) would answer with random weights: one line naming
    both fixes, exit code 2; ``--allow-random-weights`` (a tiny model's smoke run) answers."""
    from mmrec.utils import run_tool
    clip_dir, _ = tiny_weights
    image_path = str(tmp_path / 'squares.png')
    cv2.imwrite(image_path, colored_squares()[0])
    argv = [image_path, 'red', '--config', osp.join(REPO_ROOT, 'configs', 'method2.py'), '--out',
            str(tmp_path / 'out.png'), '--cfg-options', *cli_options(tiny_method2_options(clip_dir)), 'load_from=None']
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        run_tool(load_demo().main, argv)
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith('Loading weights')]
    assert stop.value.code == 2 and len(err) == 1  # (transformers' progress bar of the CLIP it loads aside)
    assert 'no checkpoint' in err[0] and '--checkpoint' in err[0] and '--allow-random-weights' in err[0]
    predictions = load_demo().main(argv + ['--allow-random-weights'])
    assert len(predictions) == 1 and osp.isfile(str(tmp_path / 'out.png'))
