"""Checks of what a page user sends: an uploaded image and a list of expressions.

Every refusal is an :class:`InputError` whose message is shown in the page as it is, so it says what was wrong
and what is accepted. An image is checked from its file size and header before any pixel is decoded, so a
10,000 x 10,000 upload is refused without allocating it.
"""
import os
import warnings
from dataclasses import dataclass
from typing import List, Optional

import numpy as np


class InputError(ValueError):
    """Bad user input; the message is written for the page's reader."""


@dataclass(frozen=True)
class Limits:
    """What one request may hold."""
    max_file_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 4096 * 4096
    max_side: int = 8192
    #: the detector resizes the short side up to its scale: a 8192 x 1 strip would shrink to 0 pixels
    min_side: int = 16
    max_aspect_ratio: float = 32.0
    max_expressions: int = 10
    max_expression_chars: int = 200
    max_predictions_bytes: int = 50 * 1024 * 1024


DEFAULT_LIMITS = Limits()


def _megabytes(size: int) -> str:
    return f'{size / (1024 * 1024):.1f} MB'


def check_file_size(path: str, max_bytes: int, what: str) -> int:
    """The size of ``path`` in bytes; :class:`InputError` when it is missing, empty or over ``max_bytes``."""
    if not path or not os.path.isfile(path):
        raise InputError(f'no {what} was received: upload one first')
    size = os.path.getsize(path)
    if size == 0:
        raise InputError(f'the {what} is empty (0 bytes)')
    if size > max_bytes:
        raise InputError(f'the {what} is {_megabytes(size)}; at most {_megabytes(max_bytes)} is accepted')
    return size


_BOMB_MESSAGE = ('the image carries a compressed PNG chunk (zTXt / iTXt text or an iCCP colour profile) that '
                 'inflates past the safety limit, as a decompression bomb does; save the image again without '
                 'its metadata (e.g. export as a plain PNG or JPEG) and upload that')


def _is_metadata_bomb(error: Exception) -> bool:
    """Pillow's refusal of a text or colour-profile chunk that decompresses past its limit."""
    return isinstance(error, ValueError) and 'decompressed data too large' in str(error).lower()


def check_image_shape(width: int, height: int, limits: 'Limits') -> None:
    """:class:`InputError` saying what is accepted when ``width`` x ``height`` is too large, empty, too thin or
    too elongated for the model."""
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise InputError(
            f'the image is {width} x {height} pixels; the demo takes at most {limits.max_pixels:,} pixels '
            f'and {limits.max_side} on a side: downscale it first')
    if width == 0 or height == 0:
        raise InputError(f'the image is {width} x {height} pixels: nothing to look at')
    if min(width, height) < limits.min_side or max(width, height) > limits.max_aspect_ratio * min(width, height):
        raise InputError(
            f'the image is {width} x {height} pixels; the demo takes images at least {limits.min_side} pixels '
            f'on a side and at most {limits.max_aspect_ratio:g} times as long as wide (the detector resizes '
            'the short side): crop or pad it first')


def load_upload_image(path: Optional[str], limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """A BGR uint8 ``(H, W, 3)`` image from an uploaded file, after checking its size and header; turned upright
    by its EXIF orientation as :func:`mmcv.imread` turns it (``tools/demo.py``, ``RECInferencer(path)``), so
    that the same photo gets the same boxes everywhere.

    Raises:
        InputError: nothing uploaded, the file is too large, not an image Pillow reads, larger than
            ``limits.max_pixels`` / ``limits.max_side`` or thinner than ``limits.min_side`` /
            ``limits.max_aspect_ratio`` (said with its size, read from the header, before decoding), a PNG
            whose compressed metadata is a decompression bomb (said so), or truncated / corrupt.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    check_file_size(path, limits.max_file_bytes, 'image')
    try:
        with warnings.catch_warnings():  # Pillow warns of large images; the limits below decide
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
    except Image.DecompressionBombError as error:
        raise InputError(f'the image has too many pixels for the demo ({error})') from None
    except UnidentifiedImageError:
        raise InputError('the uploaded file is not an image (accepted: PNG, JPEG, BMP, GIF, WebP, TIFF)') from None
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(_BOMB_MESSAGE if _is_metadata_bomb(error) else f'the image could not be read ({error})') \
            from None
    with image:
        width, height = image.size  # before the EXIF rotation, which swaps the sides: the limits are symmetric
        check_image_shape(width, height, limits)
        try:
            rgb = np.asarray(ImageOps.exif_transpose(image).convert('RGB'))  # the first frame of an animation
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            if _is_metadata_bomb(error):
                raise InputError(_BOMB_MESSAGE) from None
            raise InputError(f'the image could not be decoded ({type(error).__name__}: {error})') from None
    return np.ascontiguousarray(rgb[:, :, ::-1])


def parse_expressions(text: Optional[str], limits: Limits = DEFAULT_LIMITS) -> List[str]:
    """The expressions of a text box, one per line, without surrounding white space; blank lines are skipped.

    Any language or script is accepted (the model's tokenizer decides what it understands).

    Raises:
        InputError: no expression, more than ``limits.max_expressions``, or one longer than
            ``limits.max_expression_chars`` (named by its line number).
    """
    lines = [line.strip() for line in (text or '').splitlines()]
    expressions = [line for line in lines if line]
    if not expressions:
        raise InputError('type at least one expression (one per line), e.g. "the red circle on the left"')
    if len(expressions) > limits.max_expressions:
        raise InputError(f'{len(expressions)} expressions were given; the demo takes at most '
                         f'{limits.max_expressions} at a time')
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.max_expression_chars:
            raise InputError(f'the expression on line {number} has {len(line)} characters; at most '
                             f'{limits.max_expression_chars} are accepted')
    return expressions
