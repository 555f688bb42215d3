"""The browser demo of ``tools/web_demo.py``: a Gradio app over :class:`~mmrec.apis.RECInferencer`.

- :mod:`.inputs`: checks of what a user uploads and types (size limits, image header, expression list);
- :mod:`.cues`: the spatial-reasoning cues the parser reads in an expression, as short phrases;
- :mod:`.try_it`: one image and its expressions -> a drawing, a table and the boxes as JSON;
- :mod:`.browse`: a ``tools/test.py --out`` predictions file checked against its data config, filtered and paged;
- :mod:`.defaults`: the quickstart's models, images and predictions, the offline default;
- :mod:`.app`: the page layout (``gradio`` is imported only there).
"""
from .inputs import InputError, Limits, load_upload_image, parse_expressions

__all__ = ['InputError', 'Limits', 'load_upload_image', 'parse_expressions']
