"""Referring expressions in the browser: a Gradio app over RECInferencer (mmrec.apps.webui).

Without arguments it serves the quickstart's trained tiny models and synthetic images (make them offline with
``python tools/quickstart.py``) on http://127.0.0.1:7860; with ``--config`` / ``--checkpoint`` any REC config:

    python tools/web_demo.py
    python tools/web_demo.py --config configs/method2.py --checkpoint detector.pth \
        --cfg-options model.scorer.encoder.name_or_path=/models/clip --predictions-dir work_dirs/method2

Tabs: *Try it* (upload an image, type expressions, see each chosen box) and *Browse results* (a ``tools/test.py
--out`` predictions file checked against its data config, filtered and paged). It binds to 127.0.0.1 unless
``--host`` says otherwise: the page runs a model on anything uploaded, so expose it only on purpose.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmrec.utils import ALLOW_MISSING_FLAG, UserError, add_debug_argument, run_tool

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Referring expression comprehension in the browser (Gradio)')
    parser.add_argument('--config', help='model config (default: the quickstart\'s method 2)')
    parser.add_argument('--checkpoint', help='model (detector) checkpoint (default: the quickstart\'s fine-tuned one)')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default: loopback only)')
    parser.add_argument('--port', type=int, default=7860, help='port to serve on')
    parser.add_argument('--device', default='cpu', help='torch device, e.g. cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.scorer.encoder.name_or_path=/models/clip')
    parser.add_argument('--predictions-dir', action='append', default=[],
                        help='folder searched (recursively, at start-up) for *.jsonl predictions files that the '
                        'browse tab offers; repeatable (default with --config: work_dirs)')
    parser.add_argument('--data-config', action='append', default=[],
                        help='data config(s) the browse tab offers (default: --config)')
    parser.add_argument('--examples', nargs='+', default=[], help='example images for the Try it tab')
    parser.add_argument('--quickstart-dir', default=None,
                        help='where the quickstart wrote its models (default: work_dirs/quickstart)')
    parser.add_argument(ALLOW_MISSING_FLAG, action='store_true',
                        help='serve a checkpoint that leaves weights of the model uninitialised (refused otherwise)')
    parser.add_argument('--allow-random-weights', action='store_true',
                        help='serve a model without any checkpoint, with random weights (smoke runs of tiny models '
                             'only; refused otherwise)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def demo_sources(args: argparse.Namespace):
    """The models and files to serve: the quickstart's by default, else those of the arguments."""
    from mmrec.paths import REPO_ROOT
    from mmrec.apps.webui.defaults import (DemoSources, expressions_beside, find_predictions, quickstart_settings,
                                           quickstart_sources)

    if args.config is None:
        settings = quickstart_settings() if args.quickstart_dir is None else quickstart_settings(args.quickstart_dir)
        sources = quickstart_sources(settings)
        if args.checkpoint:
            sources.checkpoint = args.checkpoint
    else:
        sources = DemoSources(config=osp.abspath(args.config), checkpoint=args.checkpoint,
                              predictions=find_predictions(args.predictions_dir or [osp.join(REPO_ROOT, 'work_dirs')]))
        sources.data_configs = [sources.config]
    sources.cfg_options.update(args.cfg_options or {})
    if args.data_config:
        sources.data_configs = [osp.abspath(path) for path in args.data_config]
    if args.examples:
        sources.examples = [osp.abspath(path) for path in args.examples]
        sources.example_expressions = expressions_beside(sources.examples)  # each example's own, when known
    if args.predictions_dir and args.config is None:
        sources.predictions = find_predictions(args.predictions_dir)
    return sources


def require_gradio() -> None:
    """:class:`UserError` (exit status 2) with the install command when Gradio (the ``demo`` extra) is missing."""
    try:
        import gradio  # noqa: F401
    except ModuleNotFoundError as error:
        raise UserError(f'the web demo needs Gradio, which is not installed ({error}); install the demo extra: '
                        'pip install -e ".[demo]"') from None


def check_sources(sources) -> None:
    """Every file the app serves exists (the data configs, example images), before the model is built."""
    from mmrec.utils.tool_checks import check_file

    for path in sources.data_configs:
        check_file(path, 'data config')
    for path in sources.examples:
        check_file(path, 'example image')


def main(argv=None) -> None:
    args = parse_args(argv)
    require_gradio()
    from mmrec.apps.webui.defaults import QuickstartMissing
    try:
        sources = demo_sources(args)
    except QuickstartMissing as missing:
        raise UserError(' '.join(str(missing).split())) from None
    from mmrec.apis import RECInferencer
    from mmrec.utils.config_keys import keyword_errors_named
    from mmrec.utils.tool_checks import load_model_config
    from mmrec.apps.webui.app import build_app, launch

    cfg = load_model_config(sources.config, sources.checkpoint, sources.cfg_options)
    check_sources(sources)
    weights = sources.checkpoint or "the config's weights"
    print(f'loading {sources.config} ({weights})', flush=True)
    with keyword_errors_named(sources.cfg_options):
        inferencer = RECInferencer(cfg, sources.checkpoint, device=args.device,
                                   allow_missing_keys=args.allow_missing_keys,
                                   allow_random_weights=args.allow_random_weights)
    print(f'serving on http://{args.host}:{args.port} ({len(sources.examples)} example images, '
          f'{len(sources.predictions)} predictions files); Ctrl+C stops', flush=True)
    launch(build_app(inferencer, sources), host=args.host, port=args.port, sources=sources)


if __name__ == '__main__':
    run_tool(main)
