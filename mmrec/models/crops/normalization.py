"""How a detector's data preprocessor turned the loaded image into the network input, and its inverse (the
crops of the network input are taken in RGB pixel values)."""
from dataclasses import dataclass
from typing import Tuple

import torch
from torch import Tensor


@dataclass(frozen=True)
class InputNormalization:
    """How a detector's data preprocessor turned the loaded image into the network input.

    ``input = (loaded[, channels swapped] - mean) / std``; ``mean``/``std`` are in the input's channel order.
    ``input_is_rgb`` says whether the input's channels are RGB. Images are assumed to be loaded BGR (the
    default of mmcv's ``LoadImageFromFile``), so the input is RGB exactly when the preprocessor swaps channels.
    """

    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    input_is_rgb: bool = True

    @classmethod
    def from_preprocessor(cls, preprocessor: torch.nn.Module) -> 'InputNormalization':
        """Read mean, std and the channel swap from an mmengine ``ImgDataPreprocessor`` (e.g. mmdet's
        ``DetDataPreprocessor``)."""
        if getattr(preprocessor, '_enable_normalize', False):
            mean = tuple(float(v) for v in preprocessor.mean.flatten())
            std = tuple(float(v) for v in preprocessor.std.flatten())
        else:
            mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
        if len(mean) == 1:  # a single value applies to every channel
            mean, std = mean * 3, std * 3
        return cls(mean=mean, std=std, input_is_rgb=bool(getattr(preprocessor, '_channel_conversion', False)))

    def to_rgb(self, image: Tensor) -> Tensor:
        """Undo the preprocessing of one input image.

        Args:
            image: ``(C, H, W)`` network input; ``C`` is 3, or 1 for a grayscale input (repeated to 3).

        Returns:
            ``(3, H, W)`` float RGB in [0, 255].
        """
        if image.dim() != 3 or image.shape[0] not in (1, 3):
            raise ValueError(f'expected a (3, H, W) or (1, H, W) image tensor, got shape {tuple(image.shape)}')
        image = image.float()
        if image.shape[0] == 1:
            image = image.expand(3, -1, -1)
        mean = image.new_tensor(self.mean).view(3, 1, 1)
        std = image.new_tensor(self.std).view(3, 1, 1)
        pixels = image * std + mean
        return pixels if self.input_is_rgb else pixels.flip(0)
