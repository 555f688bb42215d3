"""Region-text CLIP training: :class:`~.region_text_clip.RegionTextCLIP` fine-tunes CLIP on referred regions;
:mod:`.tiny_clip` builds the tiny random CLIPs and word-level tokenizers of the synthetic data and the tests."""
from .region_text_clip import RegionTextCLIP
from .tiny_clip import build_tiny_clip, build_word_tokenizer

__all__ = ['RegionTextCLIP', 'build_tiny_clip', 'build_word_tokenizer']
