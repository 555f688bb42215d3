"""The frozen image-text encoders behind one interface (:class:`~.clip_encoder.BaseCLIPEncoder`): transformers'
CLIP, OpenCLIP, SigLIP and an ensemble of them; :mod:`.init_arguments` records their constructor arguments for
the evaluation cache's identity; :mod:`.text_cache` is an encoder's in-memory text embeddings (a sweep sets its
own)."""
from .clip_encoder import BaseCLIPEncoder, CLIPEncoder, PretrainedEncoder, load_clip
from .encoder_ensemble import EncoderEnsemble
from .open_clip_encoder import OpenCLIPEncoder
from .siglip_encoder import SigLIPEncoder

__all__ = ['BaseCLIPEncoder', 'CLIPEncoder', 'PretrainedEncoder', 'load_clip', 'EncoderEnsemble', 'OpenCLIPEncoder',
           'SigLIPEncoder']
