"""The page: a *Try it* tab over :func:`.try_it.run_try_it` and a *Browse results* tab over :mod:`.browse`.

Offline by design: analytics off, no share link, system fonts only (no font download), and the server binds to
the loopback address unless told otherwise. A bad input is a message in the page (``#try-message``,
``#browse-summary``); an unexpected error is logged on the server and named in the page, never a traceback.
Predictions files are chosen from a list fixed at start-up or uploaded: no typed text becomes a path.
"""
import html
import logging
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')  # before gradio is imported

from mmrec.apis import RECInferencer  # noqa: E402
from .browse import (ALL, OUTCOMES, BrowseFilter, BrowseSet, browse_page, display_path, draw_row,  # noqa: E402
                     load_browse_set)
from .defaults import DemoSources  # noqa: E402
from .inputs import DEFAULT_LIMITS, InputError, Limits  # noqa: E402
from .try_it import TABLE_HEADERS, run_try_it  # noqa: E402

logger = logging.getLogger(__name__)
PER_PAGE = 8


def page_text(text: str) -> str:
    """``text`` shown literally in a Markdown component: HTML and Markdown characters escaped."""
    escaped = html.escape(str(text), quote=False)
    return ''.join('\\' + char if char in '\\`*_{}[]()#+-.!|~>' else char for char in escaped)


def error_text(error: Exception) -> str:
    """The page's message for a failed request: the input error's own words, else its type only."""
    if isinstance(error, InputError):
        return f'**Error:** {page_text(error)}'
    logger.exception('web demo: request failed')
    return f'**Error:** the request failed ({page_text(type(error).__name__)}); the server log has the details.'


def _choices(paths: Sequence[str]) -> List[Tuple[str, str]]:
    """Dropdown choices whose values are the labels too: the page (and Gradio's ``/config``) never holds a path;
    :func:`_checked_choice` maps a label back to its file."""
    return [(label, label) for label in _labels(paths)]


def _labels(paths: Sequence[str]) -> Dict[str, str]:
    """label -> path for ``paths`` (:func:`.browse.display_path`; a repeated label gets ``#2``, ``#3``, ...)."""
    labels: Dict[str, str] = {}
    seen: Dict[str, int] = {}
    for path in paths:
        label = display_path(path)
        seen[label] = seen.get(label, 0) + 1
        labels[label if seen[label] == 1 else f'{label} #{seen[label]}'] = path
    return labels


def _checked_choice(value: Optional[str], allowed: Sequence[str], what: str) -> str:
    """The file of ``value``, a label of one of the start-up choices ``allowed`` (the page cannot name any
    other file)."""
    labels = _labels(allowed)
    if value not in labels:
        raise InputError(f'choose a {what} from the list')
    return labels[value]


def system_font_theme():
    """Gradio's base theme with system fonts only: the page fetches no font."""
    import gradio as gr
    return gr.themes.Base(font=['ui-sans-serif', 'system-ui', 'sans-serif'],
                          font_mono=['ui-monospace', 'Consolas', 'monospace'])


def build_app(inferencer: RECInferencer, sources: DemoSources, limits: Limits = DEFAULT_LIMITS):
    """The Gradio ``Blocks`` of the demo (not launched)."""
    import gradio as gr

    with gr.Blocks(title='mmrec: referring expressions', analytics_enabled=False) as demo:
        gr.Markdown(f'## mmrec: find the box an expression refers to\nModel: {page_text(display_path(sources.config))}'
                    + (f', weights {page_text(display_path(sources.checkpoint))}' if sources.checkpoint else ''))
        with gr.Tabs():
            with gr.Tab('Try it', id='try'):
                _try_it_tab(inferencer, sources, limits)
            with gr.Tab('Browse results', id='browse'):
                _browse_tab(sources, limits)
    return demo


def _try_it_tab(inferencer: RECInferencer, sources: DemoSources, limits: Limits) -> None:
    """Upload (or example), expressions, candidates switch -> message, drawing, table, JSON answers."""
    import gradio as gr

    def answer(image_path, text, show_candidates):
        try:
            out = run_try_it(inferencer, image_path, text, bool(show_candidates), limits)
        except Exception as error:  # noqa: BLE001  (the page shows a message, the log the traceback)
            return error_text(error), None, [], ''
        return page_text(out.summary), out.drawing, out.table, out.answers_json

    with gr.Row():
        with gr.Column(scale=2):
            image_in = gr.File(label=f'Image (at most {limits.max_file_bytes // 2 ** 20} MB, '
                               f'{limits.max_pixels / 1e6:.1f} megapixels)', type='filepath', elem_id='try-image')
            text_in = gr.Textbox(label=f'Expressions, one per line (at most {limits.max_expressions})', lines=4,
                                 elem_id='try-expressions')
            candidates_in = gr.Checkbox(label='Show the candidate boxes (grey)', value=False, elem_id='try-candidates')
            submit = gr.Button('Find', variant='primary', elem_id='try-submit')
            if sources.examples:
                gr.Examples([[path, sources.example_expressions.get(path, '')] for path in sources.examples],
                            inputs=[image_in, text_in],
                            label='Examples')
        with gr.Column(scale=3):
            message = gr.Markdown('Upload an image, type expressions, press *Find*.', elem_id='try-message')
            drawing = gr.Image(label='Answers: each expression in its own colour, with its score', type='numpy',
                               interactive=False, elem_id='try-drawing')
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, elem_id='try-table')
            answers = gr.Textbox(label='Answers (JSON)', interactive=False, lines=2, elem_id='try-json')
    submit.click(answer, [image_in, text_in, candidates_in], [message, drawing, table, answers])


def _browse_tab(sources: DemoSources, limits: Limits) -> None:
    """Predictions file (fixed list or upload) and data config -> filters, pages, accuracy, drawings."""
    import gradio as gr

    def load(choice, upload, data_config):
        try:
            config = _checked_choice(data_config, sources.data_configs, 'data config')
            path = upload if upload else _checked_choice(choice, sources.predictions, 'predictions file')
            browse_set = load_browse_set(path, config, limits)
        except Exception as error:  # noqa: BLE001
            return (None, error_text(error), [], gr.update(choices=[ALL], value=ALL),
                    gr.update(choices=[ALL], value=ALL), 1)
        message, gallery, page = show(browse_set, ALL, ALL, ALL, '', 1)
        return (browse_set, f'{page_text(browse_set.description)}\n\n{message}', gallery,
                gr.update(choices=[ALL] + browse_set.splits, value=ALL),
                gr.update(choices=[ALL] + browse_set.kinds, value=ALL), page)

    def show(browse_set: Optional[BrowseSet], split, outcome, kind, search, page):
        if browse_set is None:
            return 'Load a predictions file first.', [], 1
        try:
            result = browse_page(browse_set, BrowseFilter(split or ALL, outcome or ALL, kind or ALL, search or ''),
                                 int(page or 1), PER_PAGE)
            gallery = [(draw_row(row), f'{"correct" if row["correct"] else "wrong"}, IoU {row["iou"]:.2f}')
                       for row in result.rows]
        except Exception as error:  # noqa: BLE001
            return error_text(error), [], 1
        return page_text(result.summary), gallery, result.page

    def turn(step: int) -> Callable:
        def go(browse_set, split, outcome, kind, search, page):
            return show(browse_set, split, outcome, kind, search, int(page or 1) + step)
        return go

    browse_set = gr.State(None)
    with gr.Row():
        choice = gr.Dropdown(_choices(sources.predictions), label='Predictions file (tools/test.py --out)',
                             value=next(iter(_labels(sources.predictions)), None), elem_id='browse-file', scale=3)
        upload = gr.File(label='or upload one', type='filepath', file_types=['.jsonl', '.json'],
                         elem_id='browse-upload', scale=2)
        data_config = gr.Dropdown(_choices(sources.data_configs), label='Data config',
                                  value=next(iter(_labels(sources.data_configs)), None), elem_id='browse-config',
                                  scale=3)
        load_button = gr.Button('Load', variant='primary', elem_id='browse-load', scale=1)
    with gr.Row():
        split = gr.Dropdown([ALL], value=ALL, label='Split', elem_id='browse-split')
        outcome = gr.Dropdown(list(OUTCOMES), value=ALL, label='Outcome', elem_id='browse-outcome')
        kind = gr.Dropdown([ALL], value=ALL, label='Expression kind', elem_id='browse-kind')
        search = gr.Textbox(label='Text search (Enter)', elem_id='browse-search')
    with gr.Row():
        previous = gr.Button('Previous page', elem_id='browse-previous')
        page = gr.Number(value=1, precision=0, minimum=1, label='Page', elem_id='browse-page')
        following = gr.Button('Next page', elem_id='browse-next')
    summary = gr.Markdown('Choose a predictions file and its data config, then *Load*.', elem_id='browse-summary')
    gallery = gr.Gallery(label='Green: ground truth, red: prediction', columns=4, height='auto', object_fit='contain',
                         elem_id='browse-gallery')
    filters = [browse_set, split, outcome, kind, search]
    outputs = [summary, gallery, page]
    # one queue for the tab's events, so that their answers arrive in the order they were asked
    queue = dict(concurrency_id='browse', concurrency_limit=1)
    load_button.click(load, [choice, upload, data_config], [browse_set, summary, gallery, split, kind, page], **queue)
    for control in (split, outcome, kind):
        control.input(turn(0), filters + [gr.State(1)], outputs, **queue)
    search.submit(turn(0), filters + [gr.State(1)], outputs, **queue)
    page.submit(turn(0), filters + [page], outputs, **queue)
    previous.click(turn(-1), filters + [page], outputs, **queue)
    following.click(turn(1), filters + [page], outputs, **queue)


def upload_cap(limits: Limits) -> int:
    """Gradio's size cap of any upload, in bytes: the largest of the per-field limits."""
    return max(limits.max_file_bytes, limits.max_predictions_bytes)


def launch(demo, host: str = '127.0.0.1', port: int = 7860, limits: Limits = DEFAULT_LIMITS,
           sources: Optional[DemoSources] = None, block: bool = True):
    """Serve ``demo`` on ``host:port`` offline (no share link, system fonts, uploads up to the larger limit:
    Gradio's cap is one for every upload, each field checks its own, :func:`.inputs.load_upload_image`'s and
    :func:`.browse.read_predictions`')."""
    allowed = list(sources.examples) if sources else []  # the example images only: served by name
    demo.queue(default_concurrency_limit=1)
    return demo.launch(server_name=host, server_port=port, share=False, max_file_size=upload_cap(limits),
                       theme=system_font_theme(), allowed_paths=allowed, ssr_mode=False, show_error=False,
                       prevent_thread_lock=not block, quiet=not block)
