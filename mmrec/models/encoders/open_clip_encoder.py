"""A frozen OpenCLIP model (``open_clip_torch``) behind the :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder`
interface: the backbones HuggingFace ``transformers`` has no class for (OpenAI's ResNet CLIPs such as RN50x16,
ViT-L/14@336 as ReCLIP and RedCircle use it, the LAION / DataComp models).

``OpenCLIPEncoder(model_name='RN50x16', pretrained='/path/to/RN50x16-openai.pt')`` builds OpenCLIP's
architecture ``model_name`` (``open_clip.list_models()``; a config added with ``open_clip.add_model_config``
works too) and loads ``pretrained``:

- a **local weight file** (a state dict as ``.pt`` / ``.pth`` / ``.bin``, read with
  ``torch.load(weights_only=True)``, which refuses anything but tensors and plain containers; or
  ``.safetensors``): the way to run offline;
- a **tag** of OpenCLIP's table (``'openai'``, ``'laion2b_s34b_b79k'``, ...): OpenCLIP downloads the weights
  when the model is built (or finds them in its cache), so a tag works only on a machine with network.

The crops are the model's image size (384 for RN50x16, 336 for ViT-L/14@336) and normalised with its mean / std.
Weights loaded from a file carry no settings, so those that OpenCLIP's table records for the model's
published weights are applied when all of them agree (RN50x16's only weights, OpenAI's, were trained with
QuickGELU; so were ViT-L-14-336's): ``quick_gelu``, ``image_mean`` and ``image_std`` override that.
"""
import difflib
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet.registry import MODELS
from mmengine.logging import print_log
from torch import Tensor

from .clip_encoder import PretrainedEncoder

DEFAULT_OPEN_CLIP_MODEL = 'RN50x16'
#: Settings of OpenCLIP's pretrained table that a weight file does not carry, and the encoder's names for them.
PUBLISHED_SETTINGS = {'quick_gelu': 'quick_gelu', 'mean': 'image_mean', 'std': 'image_std'}


def open_clip_how_to_get(model_name: str) -> str:
    """How to get weights of ``model_name`` onto a machine without network (for error messages)."""
    import open_clip

    tags = open_clip.list_pretrained_tags_by_model(model_name)
    tag = 'openai' if 'openai' in tags else (tags[0] if tags else 'TAG')
    file_name = f'{model_name}-{tag}.pt'
    snippet = (f"import open_clip, torch; m = open_clip.create_model('{model_name}', pretrained='{tag}'); "
               f"torch.save(m.state_dict(), '{file_name}')")
    known = (f"OpenCLIP's tags for {model_name!r}: {tags}" if tags
             else f'OpenCLIP publishes no weights for {model_name!r}: save your own model\'s state_dict')
    return (f'To get OpenCLIP weights, on a machine with network (pip install open_clip_torch) run\n'
            f'  python -c "{snippet}"\n'
            f'copy the file here and point the config at it, e.g. `--cfg-options '
            f'model.scorer.encoder.pretrained=/path/to/{file_name}`. A tag as `pretrained` downloads the weights '
            f'when the model is built, so it works only on a machine with network. {known}.')


def published_settings(model_name: str, pretrained: str) -> Dict[str, object]:
    """The settings (:data:`PUBLISHED_SETTINGS`) OpenCLIP's table records for ``pretrained`` when it is a tag of
    ``model_name``, else those all of the model's tags agree on (a weight file carries none)."""
    import open_clip

    tags = open_clip.list_pretrained_tags_by_model(model_name)
    tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained) if tags else {}
    configs = [tag_cfg] if tag_cfg else [open_clip.get_pretrained_cfg(model_name, tag) for tag in tags]
    settings = {}
    for key in PUBLISHED_SETTINGS:
        values = [cfg.get(key, False if key == 'quick_gelu' else None) for cfg in configs]
        if values and values[0] is not None and all(value == values[0] for value in values):
            settings[key] = values[0]
    return settings


def _check_model_name(model_name: str) -> None:
    import open_clip

    if open_clip.get_model_config(model_name) is None:
        close = difflib.get_close_matches(model_name, open_clip.list_models(), n=5, cutoff=0.5)
        raise ValueError(f'OpenCLIP has no model named {model_name!r} (closest: {close}; '
                         '`python -c "import open_clip; print(open_clip.list_models())"` lists them all). '
                         + open_clip_how_to_get(DEFAULT_OPEN_CLIP_MODEL))


def _check_pretrained(model_name: str, pretrained: Optional[str]) -> str:
    """``pretrained`` as a tag of ``model_name`` or the path of an existing file, else an error naming it."""
    import open_clip

    if pretrained is None or not str(pretrained).strip():
        raise ValueError(f'OpenCLIPEncoder({model_name!r}) needs `pretrained`: a local weight file, or a tag '
                         '(network only). ' + open_clip_how_to_get(model_name))
    pretrained = str(pretrained)
    if open_clip.get_pretrained_cfg(model_name, pretrained):
        return pretrained
    path = osp.expanduser(pretrained)
    if osp.isfile(path):
        return path
    if osp.isdir(path):
        raise IsADirectoryError(f'OpenCLIP weights {pretrained!r} is a directory: point `pretrained` at the weight '
                                'file in it (e.g. open_clip_pytorch_model.bin). ' + open_clip_how_to_get(model_name))
    raise FileNotFoundError(f'OpenCLIP weights {pretrained!r} for {model_name!r}: no such file, nor a tag of this '
                            'model. ' + open_clip_how_to_get(model_name))


def load_open_clip(model_name: str, pretrained: Optional[str], quick_gelu: Optional[bool] = None,
                   image_mean: Optional[Sequence[float]] = None, image_std: Optional[Sequence[float]] = None,
                   cache_dir: Optional[str] = None) -> Tuple:
    """``(model, tokenizer)`` of OpenCLIP's ``model_name`` with ``pretrained`` weights (file or tag; see the
    module docstring), in eval mode on the CPU; errors name the model / file and say how to get weights.

    ``quick_gelu``, ``image_mean``, ``image_std``: ``None`` takes :func:`published_settings`, then the model
    config's.
    """
    import open_clip

    _check_model_name(model_name)
    pretrained = _check_pretrained(model_name, pretrained)
    chosen = dict(quick_gelu=quick_gelu, mean=image_mean, std=image_std)
    inferred = {key: value for key, value in published_settings(model_name, pretrained).items()
                if chosen[key] is None}
    if inferred and osp.isfile(pretrained):
        print_log(f'OpenCLIPEncoder: {model_name!r} from a weight file, with the settings of its published '
                  f'weights {inferred} ({", ".join(PUBLISHED_SETTINGS[key] for key in inferred)} override them)',
                  logger='current', level=logging.INFO)
    chosen.update(inferred)
    model_kwargs = {} if chosen['quick_gelu'] is None else dict(quick_gelu=bool(chosen['quick_gelu']))
    preprocess = {key: tuple(chosen[key]) for key in ('mean', 'std') if chosen[key] is not None}
    try:
        model = open_clip.create_model(model_name, pretrained=pretrained, weights_only=True, cache_dir=cache_dir,
                                       force_preprocess_cfg=preprocess, **model_kwargs)
    except Exception as error:  # download (tag offline), unpickling refused, architecture mismatch, ...
        what = 'download' if not osp.isfile(pretrained) else 'load'
        raise OSError(f'could not {what} OpenCLIP weights {pretrained!r} for {model_name!r} '
                      f'({type(error).__name__}: {error}). ' + open_clip_how_to_get(model_name)) from error
    try:
        tokenizer = open_clip.get_tokenizer(model_name, cache_dir=cache_dir)
    except Exception as error:  # a HuggingFace tokenizer that is not cached, offline
        raise OSError(f'could not load the tokenizer of OpenCLIP {model_name!r} ({error}); run the model once on '
                      'a machine with network and copy its HuggingFace cache here') from error
    return model.eval(), tokenizer


def _square_side(size, model_name: str) -> int:
    sizes = {int(size)} if isinstance(size, int) else {int(side) for side in size}
    if len(sizes) != 1:
        raise ValueError(f'OpenCLIP {model_name!r} takes {tuple(size)} images; mmrec crops boxes to squares')
    return sizes.pop()


@MODELS.register_module()
class OpenCLIPEncoder(PretrainedEncoder):
    """A frozen OpenCLIP model (see the module docstring).

    The weights are loaded every time the model is built and stay out of checkpoints
    (:class:`~mmrec.models.encoders.clip_encoder.PretrainedEncoder`).

    Args:
        model_name: OpenCLIP architecture (``'RN50x16'``, ``'ViT-L-14-336'``, ``'ViT-B-32'``, ...).
        pretrained: local weight file, or a tag of OpenCLIP's table (downloads: network only).
        quick_gelu: the text and image towers' activation; ``None``: that of the model's published weights
            when they agree (OpenAI's: QuickGELU), else the model config's.
        image_mean, image_std: pixel normalisation (RGB, [0, 1] scale); ``None``: the model's own.
        cache_dir: where OpenCLIP keeps downloaded weights (tags only).
        autocast, text_cache_size, crop_source: see :class:`~mmrec.models.encoders.clip_encoder.PretrainedEncoder`.
    """

    def __init__(self, model_name: str = DEFAULT_OPEN_CLIP_MODEL, pretrained: Optional[str] = None,
                 quick_gelu: Optional[bool] = None, image_mean: Optional[Sequence[float]] = None,
                 image_std: Optional[Sequence[float]] = None, cache_dir: Optional[str] = None,
                 autocast: bool = True, text_cache_size: int = 4096, crop_source: str = 'input',
                 init_cfg: Optional[dict] = None) -> None:
        import open_clip

        model, tokenizer = load_open_clip(model_name, pretrained, quick_gelu, image_mean, image_std, cache_dir)
        preprocess = open_clip.get_model_preprocess_cfg(model)
        super().__init__(model, crop_size=_square_side(preprocess['size'], model_name),
                         image_mean=preprocess['mean'], image_std=preprocess['std'], autocast=autocast,
                         text_cache_size=text_cache_size, crop_source=crop_source, init_cfg=init_cfg)
        self.model_name = model_name
        self.pretrained = pretrained
        self.tokenizer = tokenizer

    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        with self._autocast():
            return self.clip.encode_image(pixels.to(self.device))

    def _embed_texts(self, texts: List[str]) -> Tensor:
        tokens = self.tokenizer(texts).to(self.device)  # (N, context_length), truncated with the end token kept
        with self._autocast():
            return self.clip.encode_text(tokens)
