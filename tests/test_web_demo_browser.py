"""The web demo end to end: tools/web_demo.py serves tiny models on a free loopback port, headless Chromium
(Debian's, driven by Selenium) uploads, types, submits and browses, and the page's answers are compared with
RECInferencer's for the same inputs. Screenshots of both tabs go to the test's tmp dir and, when
MMREC_WEB_DEMO_SCREENSHOTS names a folder, there too. With MMREC_WEB_DEMO_QUICKSTART=1 the server runs on its
default, the quickstart's trained models (``python tools/quickstart.py`` first), instead of random tiny ones;
the README's pictures are made so:

    MMREC_WEB_DEMO_QUICKSTART=1 MMREC_WEB_DEMO_SCREENSHOTS=docs/images pytest tests/test_web_demo_browser.py

Skipped only where Chromium is absent outside CI; under CI (``CI`` set) its absence is a failure.
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from mmrec.testing import cli_options, save_tiny_clip, save_tiny_detector, tiny_method2_options
from mmrec.testing.browser import (chromium_driver, chromium_missing, free_port, remove_profile, save_screenshot,
                                   wait_for_http, wait_until)
from mmrec.testing.rec_fixtures import REPO_ROOT
from mmrec.testing.web_demo import WRONG_EVERY, make_browse_fixture, write_black_png
from mmrec.apps.webui.app import PER_PAGE

MISSING = chromium_missing()
if MISSING and os.environ.get('CI'):
    pytest.fail(f'CI needs Chromium for the web demo test: {MISSING}', pytrace=False)
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f'no headless Chromium: {MISSING}')

METHOD2 = osp.join(REPO_ROOT, 'configs', 'method2.py')
EXPRESSIONS = ['the red circle', 'the leftmost square']


@pytest.fixture(scope='module')
def demo_files(tmp_path_factory):
    root = tmp_path_factory.mktemp('web_demo_e2e')
    browse = make_browse_fixture(str(root / 'browse'))
    other = make_browse_fixture(str(root / 'other'), num_images=2, seed=7)  # another data set's predictions
    shutil.copy(other.predictions, osp.join(osp.dirname(browse.predictions), 'zz_other_data.jsonl'))
    files = dict(root=root, browse=browse, image=osp.join(browse.data_root, 'images', 'val_00000.jpg'))
    if os.environ.get('MMREC_WEB_DEMO_QUICKSTART'):
        from mmrec.apps.webui.defaults import quickstart_sources
        sources = quickstart_sources()  # its message says how to make the models when they are missing
        return dict(files, config=sources.config, checkpoint=sources.checkpoint, options=sources.cfg_options,
                    model_args=[])
    clip_dir = save_tiny_clip(str(root / 'clip'))
    checkpoint = save_tiny_detector(str(root / 'detector.pth'), clip_dir)
    options = tiny_method2_options(clip_dir)
    return dict(files, config=METHOD2, checkpoint=checkpoint, options=options,
                model_args=['--config', METHOD2, '--checkpoint', checkpoint, '--cfg-options', *cli_options(options)])


@pytest.fixture(scope='module')
def server(demo_files):
    """``tools/web_demo.py`` in a subprocess on a free loopback port; stopped (and its log shown) at the end."""
    port = free_port()
    log_path = str(demo_files['root'] / 'server.log')
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', 'web_demo.py'), '--port', str(port),
               '--predictions-dir', osp.dirname(demo_files['browse'].predictions),
               '--data-config', demo_files['browse'].data_config, '--examples', demo_files['image'],
               *demo_files['model_args']]
    env = dict(os.environ, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', GRADIO_ANALYTICS_ENABLED='False',
               PYTHONPATH=os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get('PYTHONPATH')])))
    with open(log_path, 'w') as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    try:
        wait_for_http(url, timeout=300, alive=lambda: process.poll() is None)
        yield url
    except RuntimeError as error:
        pytest.fail(f'{error}\n{open(log_path).read()[-4000:]}')
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert 'Traceback' not in open(log_path).read(), open(log_path).read()[-4000:]


@pytest.fixture(scope='module')
def browser(server, tmp_path_factory):
    profile = str(tmp_path_factory.mktemp('chromium_profile'))
    driver = chromium_driver(profile, width=1280, height=1160)
    driver.get(server)
    yield driver
    driver.quit()
    remove_profile(profile)


def keep_screenshot(driver, name: str, tmp_path) -> str:
    path = save_screenshot(driver, str(tmp_path / name))
    folder = os.environ.get('MMREC_WEB_DEMO_SCREENSHOTS')
    if folder:
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, osp.join(folder, name))
    return path


# ------------------------------------------------------------------------------------------------ page helpers
def css(driver, selector: str):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, selector)


def elements(driver, selector: str) -> list:
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def open_tab(driver, title: str) -> None:
    wait_until(lambda: [t for t in elements(driver, 'button[role=tab]') if title in t.text],
               what=f'the {title} tab button')[0].click()


def upload(driver, component: str, path: str) -> None:
    """Replace the file of the ``gr.File`` with ``elem_id`` ``component`` by ``path``."""
    for clear in elements(driver, f'#{component} button[aria-label="Clear"]'):
        clear.click()
    field = wait_until(lambda: elements(driver, f'#{component} input[type=file]'),
                       what=f'the file input of #{component}')[0]
    field.send_keys(path)
    name = osp.basename(path)
    wait_until(lambda: elements(driver, f'#{component} td.filename[aria-label="{name}"]'),
               what=f'{name} to be uploaded')


def settled_text(driver, component: str):
    """The text of the component with ``elem_id`` ``component`` once no request is running on it, else None."""
    status = css(driver, f'#{component} [data-testid="status-tracker"]').get_attribute('class')
    return css(driver, f'#{component}').text if 'hide' in status.split() else None


def type_text(driver, selector: str, text: str) -> None:
    field = css(driver, selector)
    field.clear()
    field.send_keys(text)


def option_label(item) -> str:
    return item.text.strip().lstrip('✓').strip()


def choose(driver, component: str, option: str) -> None:
    """Pick ``option`` in the ``gr.Dropdown`` with ``elem_id`` ``component``."""
    css(driver, f'#{component} input').click()
    items = wait_until(lambda: [item for item in elements(driver, 'ul[role=listbox] li')
                                if option_label(item) == option], what=f'option {option!r} of #{component}')
    items[0].click()


def dropdown_label(driver, component: str, ending: str) -> str:
    """The label of the option of the ``gr.Dropdown`` ``component`` that ends with ``ending``."""
    css(driver, f'#{component} input').click()
    # wait for the option itself, not for any list: under load the list of the dropdown chosen before can still be
    # on the page, or this one's options still arriving (a CI run found a list without the option)
    labels = wait_until(lambda: [label for label in map(option_label, elements(driver, 'ul[role=listbox] li'))
                                 if label.endswith(ending)], what=f'the option of #{component} ending {ending!r}')
    css(driver, f'#{component} input').click()  # close the list again
    return labels[0]


def submit_try_it(driver, image: str, text: str) -> str:
    """Upload ``image``, type ``text``, press Find; the page's message once the answer (or refusal) is shown."""
    upload(driver, 'try-image', image)
    type_text(driver, '#try-expressions textarea', text)
    return press_find(driver, what='the Try it answer')


PRESS_AGAIN = object()


def press_find(driver, what: str, timeout: float = 120.0, press_again_after: float = 15.0) -> str:
    """Press Find; the page's message once the answer (or refusal) is shown, within ``timeout`` s.

    The answer is the message once a request seen running has settled, or any message other than the one before:
    the same image and number of expressions give a message that differs only in its seconds (two decimals), so
    the text alone can read the same twice (two CI runs waited 120 s for a change that had happened). A press
    that starts no request seen and changes nothing within ``press_again_after`` s (a request too quick to be seen
    that gave the same text, or a press the page dropped) is made again; one seen running is never repeated.
    """
    before = settled_text(driver, 'try-message')
    deadline = time.monotonic() + timeout
    while True:
        css(driver, '#try-submit').click()
        pressed, started = time.monotonic(), []

        def outcome():
            message = settled_text(driver, 'try-message')
            if message is None:  # a request is running
                started.append(True)
                return None
            if started or message != before:
                return message
            return PRESS_AGAIN if not started and time.monotonic() - pressed > press_again_after else None

        result = wait_until(outcome, timeout=max(1.0, deadline - time.monotonic()), what=what)
        if result is not PRESS_AGAIN:
            return result


def summary_with(driver, text: str, what: str) -> str:
    """The browse tab's summary once it is settled and contains ``text``."""
    return wait_until(lambda: text in (settled_text(driver, 'browse-summary') or '')
                      and settled_text(driver, 'browse-summary'), what=what)


def answers_json(driver) -> dict:
    return json.loads(wait_until(lambda: css(driver, '#try-json textarea').get_attribute('value'),
                                 what='the JSON answers'))


# ------------------------------------------------------------------------------------------------ tests
def test_try_it_shows_the_inferencers_boxes(browser, demo_files, tmp_path):
    from mmrec.apis import RECInferencer

    open_tab(browser, 'Try it')
    message = submit_try_it(browser, demo_files['image'], '\n'.join(EXPRESSIONS))
    assert '2 expression(s) answered' in message, message
    answers = answers_json(browser)['answers']
    expected = RECInferencer(demo_files['config'], demo_files['checkpoint'], cfg_options=demo_files['options'])(
        demo_files['image'], EXPRESSIONS)
    assert [a['text'] for a in answers] == EXPRESSIONS
    for answer, prediction in zip(answers, expected):
        assert np.allclose(answer['bbox'], prediction.bbox, atol=0.01), (answer, prediction)
        assert answer['score'] == pytest.approx(prediction.score, abs=1e-4)
    table = css(browser, '#try-table').text
    assert all(text in table for text in EXPRESSIONS) and 'red' in table and 'blue' in table
    header = css(browser, 'h2').find_element('xpath', '..').text  # the model's config and weights
    assert 'method2' in header and not any(folder in header for folder in (REPO_ROOT, str(demo_files['root'])))
    wait_until(lambda: css(browser, '#try-drawing img').get_attribute('src'), what='the drawing')
    keep_screenshot(browser, 'web_demo_try.png', tmp_path)


def test_an_example_and_the_candidate_boxes(browser, demo_files):
    open_tab(browser, 'Try it')
    for clear in elements(browser, '#try-image button[aria-label="Clear"]'):
        clear.click()
    wait_until(lambda: [cell for cell in elements(browser, 'table td') if 'val_00000' in cell.text],
               what='the example row')[0].click()
    wait_until(lambda: elements(browser, '#try-image td.filename[aria-label="val_00000.jpg"]'), what='the example')
    from mmrec.apps.webui.defaults import expressions_beside
    own = expressions_beside([demo_files['image']])[demo_files['image']].splitlines()  # the example's own
    wait_until(lambda: css(browser, '#try-expressions textarea').get_attribute('value').splitlines() == own,
               what="the example's expressions in the text box")
    css(browser, '#try-candidates input').click()
    message = press_find(browser, what='the example answer')
    assert f'{len(own)} expression(s) answered' in message and own, message
    assert answers_json(browser)['num_candidates'] > 0
    css(browser, '#try-candidates input').click()


def test_bad_inputs_are_messages_in_the_page(browser, demo_files, tmp_path):
    open_tab(browser, 'Try it')
    not_image = tmp_path / 'expressions.png'
    not_image.write_text('the man on the left')
    huge = write_black_png(tmp_path / 'huge.png', 10000, 10000)
    image = demo_files['image']
    cases = [
        (str(not_image), 'the red circle', 'not an image'),
        (huge, 'the red circle', '10000 x 10000 pixels'),
        (image, '\n'.join(f'square {i}' for i in range(50)), '50 expressions were given'),
        (image, '   \n  \n', 'at least one expression'),
    ]
    for path, text, expected in cases:
        message = submit_try_it(browser, path, text)
        assert expected in message and 'Error' in message, (expected, message)
        assert 'Traceback' not in browser.page_source
    message = submit_try_it(browser, image, 'le carré rouge à gauche\n左边的人')  # non-ASCII: answered
    assert '2 expression(s) answered' in message, message
    assert [a['text'] for a in answers_json(browser)['answers']] == ['le carré rouge à gauche', '左边的人']


def test_browse_filters_counts_and_names_a_mismatch(browser, demo_files, tmp_path):
    rows = demo_files['browse'].rows
    num_wrong = len(range(0, len(rows), WRONG_EVERY))
    open_tab(browser, 'Browse results')
    css(browser, '#browse-load').click()
    accuracy = 100 * (len(rows) - num_wrong) / len(rows)
    summary = summary_with(browser, 'accuracy', what='the loaded predictions')
    assert f'{len(rows)} expressions match; accuracy {accuracy:.1f}%' in summary, summary
    assert f'{len(rows)} of {len(rows)} data-set expressions present' in summary, summary
    choose(browser, 'browse-outcome', 'wrong')
    summary = summary_with(browser, f'{num_wrong} expressions match', what='the wrong answers')
    assert 'accuracy 0.0%' in summary
    wait_until(lambda: len(elements(browser, '#browse-gallery img')) >= num_wrong, what='the gallery of wrong answers')
    keep_screenshot(browser, 'web_demo_browse.png', tmp_path)

    choose(browser, 'browse-outcome', 'all')
    summary_with(browser, f'{len(rows)} expressions match', what='every answer again')
    css(browser, '#browse-next').click()
    summary_with(browser, f'page 2 of {-(-len(rows) // PER_PAGE)}', what='the second page')
    kind = rows[1]['kind']
    choose(browser, 'browse-kind', kind)
    summary_with(browser, f'{sum(row["kind"] == kind for row in rows)} expressions match; ', what=f'the {kind} rows')
    choose(browser, 'browse-kind', 'all')
    summary_with(browser, f'{len(rows)} expressions match', what='every answer once more')
    word = rows[1]['text'].split()[-1]
    type_text(browser, '#browse-search textarea', word.upper() + '\n')
    summary_with(browser, f'{sum(word in row["text"] for row in rows)} expressions match; ', what=f'rows with {word!r}')

    choose(browser, 'browse-file', dropdown_label(browser, 'browse-file', 'zz_other_data.jsonl'))
    css(browser, '#browse-load').click()
    summary = summary_with(browser, 'does not match', what='the mismatch message')
    assert 'does not match the data config synthetic_val_data.py' in summary and 'rows differ' in summary

    upload(browser, 'browse-upload', demo_files['browse'].predictions)  # an upload wins over the list
    css(browser, '#browse-load').click()
    summary = summary_with(browser, 'accuracy', what='the uploaded predictions')
    assert f'{len(rows)} expressions match; accuracy {accuracy:.1f}%' in summary, summary



def test_the_server_gives_out_no_other_file(server, demo_files):
    """Only the example images are served by path: not the repository, the checkpoint or the data set."""
    import urllib.error
    import urllib.request

    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(f'{server}gradio_api/file={path}', timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status(demo_files['image']) == 200
    for path in (osp.join(REPO_ROOT, 'README.md'), demo_files['checkpoint'], demo_files['browse'].predictions,
                 osp.join(demo_files['browse'].data_root, 'synthetic', 'instances.json'), '/etc/passwd'):
        assert status(path) in (403, 404), path
