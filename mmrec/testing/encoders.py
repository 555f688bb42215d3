"""Test doubles for :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder` with embeddings known in closed form.

They replace only the two networks ("crops -> embeddings", "texts -> embeddings"); cropping, the undoing of
the detector's normalisation and channel order, box mapping and CLIP's normalisation are the real code, so a
known-answer test through them catches bugs there (a swapped channel order turns "red" into blue).

Importing :mod:`mmrec.testing` registers :class:`MeanColorEncoder` in mmdet's ``MODELS`` registry, so a test
config can name it (``encoder=dict(type='MeanColorEncoder')``); ``import mmrec`` alone does not (the product
registers no test doubles).
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from torch import Tensor

from mmrec.models.encoders.clip_encoder import BaseCLIPEncoder

#: RGB in [0, 1] of the colour words the double understands.
COLOR_WORDS: Dict[str, Tuple[float, float, float]] = {
    'red': (1.0, 0.0, 0.0),
    'green': (0.0, 1.0, 0.0),
    'blue': (0.0, 0.0, 1.0),
    'yellow': (1.0, 1.0, 0.0),
    'cyan': (0.0, 1.0, 1.0),
    'magenta': (1.0, 0.0, 1.0),
    'white': (1.0, 1.0, 1.0),
    'black': (0.0, 0.0, 0.0),
}


@MODELS.register_module()
class MeanColorEncoder(BaseCLIPEncoder):
    """Embeds a crop as its mean RGB colour and an expression as the colour word it names (test double).

    Both live in the same 3-d space, centred on mid-grey: ``embedding = rgb - 0.5`` (RGB in [0, 1]). So a mid-grey
    background contributes nothing, a crop holding a red square and some grey points exactly at "red", and the
    cosine similarity ranks crops by how much their colour agrees with the word. An expression naming no
    colour word embeds to zeros (similarity 0 to everything). Crops are small (``crop_size=32``) because
    a mean needs no resolution. ``color_words`` redefines words (``{'red': (0, 0, 1)}``: an encoder that reads
    "red" as blue, to make two encoders disagree).
    """

    def __init__(self, crop_size: int = 32, text_cache_size: int = 4096, crop_source: str = 'input',
                 color_words: Optional[Dict[str, Tuple[float, float, float]]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(crop_size=crop_size, text_cache_size=text_cache_size, crop_source=crop_source,
                         init_cfg=init_cfg)
        self.color_words = dict(COLOR_WORDS, **(color_words or {}))
        self.num_text_calls = 0  # how many times texts were really embedded (the cache is tested with it)

    def _embed_pixels(self, pixels: Tensor) -> Tensor:
        rgb = pixels * self.image_std.to(pixels.device) + self.image_mean.to(pixels.device)  # undo CLIP's normalisation
        return rgb.mean(dim=(2, 3)) - 0.5

    def _embed_texts(self, texts: List[str]) -> Tensor:
        self.num_text_calls += 1
        rows = []
        for text in texts:
            words = [word.strip('.,;:!?"\'()').lower() for word in text.split()]
            colour = next((self.color_words[word] for word in words if word in self.color_words), (0.5, 0.5, 0.5))
            rows.append(torch.tensor(colour) - 0.5)
        return torch.stack(rows).to(self.device) if rows else torch.zeros(0, 3, device=self.device)
