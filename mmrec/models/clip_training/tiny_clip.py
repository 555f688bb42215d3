"""A tiny CLIP built from a config, with a CLIP tokenizer trained on a small vocabulary.

The synthetic quickstart cannot download ``openai/clip-vit-base-patch32``, and does not need it: its
expressions use a few dozen words ("the large red circle", "the square on the left"). This module
builds a small :class:`~transformers.CLIPModel` from a :class:`~transformers.CLIPConfig` and a genuine
:class:`~transformers.CLIPTokenizer` (byte-level BPE, CLIP's pre-tokenizer, ``</w>`` word ends) whose
merges are learnt from that vocabulary, so that every vocabulary word is one token and any other text
still tokenizes (byte fallback, no unknown token). Saved with ``save_pretrained``, the pair loads back
with ``CLIPModel`` / ``CLIPTokenizer`` / ``AutoTokenizer`` / ``CLIPProcessor`` like any released CLIP.
"""
import json
from typing import Iterable, List, Optional

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

BOS_TOKEN = '<|startoftext|>'
EOS_TOKEN = '<|endoftext|>'
WORD_END = '</w>'

# CLIP's text pre-tokenizer: words, single digits, runs of punctuation (whitespace dropped).
_CLIP_SPLIT_PATTERN = (r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|"""
                       r"""[^\s\p{L}\p{N}]+""")

# A few-layer CLIP that learns colour / shape / size words from 64x64 crops in minutes on a CPU.
TINY_TEXT_CONFIG = dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4)
TINY_VISION_CONFIG = dict(image_size=64, patch_size=8, hidden_size=64, intermediate_size=256,
                          num_hidden_layers=2, num_attention_heads=4)


def _clip_pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    """The pre-tokenizer of transformers' ``CLIPTokenizer`` (split, then map bytes to printable chars)."""
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_CLIP_SPLIT_PATTERN), behavior='removed', invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])


def _learn_word_merges(texts: List[str]) -> List[tuple]:
    """BPE merges learnt from ``texts`` until each of their (lower-cased) words is a single symbol."""
    learner = Tokenizer(models.BPE(end_of_word_suffix=WORD_END))
    learner.normalizer = None
    learner.pre_tokenizer = _clip_pre_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=1_000_000,  # never the limit: merging stops when no pair is left inside a word
        min_frequency=0, show_progress=False, end_of_word_suffix=WORD_END,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    learner.train_from_iterator([text.lower() for text in texts], trainer=trainer)
    merges = json.loads(learner.to_str())['model']['merges']
    return [tuple(m.split(' ')) if isinstance(m, str) else tuple(m) for m in merges]


def build_word_tokenizer(texts: Iterable[str], model_max_length: int = 16) -> CLIPTokenizer:
    """A ``CLIPTokenizer`` whose BPE merges make every word of ``texts`` a single token.

    The vocabulary is laid out like OpenAI's: the 256 byte symbols, the same with the ``</w>`` word
    end, one token per learnt merge, then ``<|startoftext|>`` and ``<|endoftext|>`` (the end token
    also pads, as in CLIP). Words outside ``texts`` fall back to byte symbols instead of an unknown
    token, so CLIP's text pooling (at the first end token) is never fooled by an unknown word.

    Args:
        texts: Words or whole expressions; they are lower-cased and split like CLIP splits text.
        model_max_length: Token budget including the start and end tokens (text is truncated to it).

    Raises:
        ValueError: ``texts`` holds no word, or ``model_max_length`` < 3.
    """
    texts = [text for text in texts if text and text.strip()]
    if not texts:
        raise ValueError('build_word_tokenizer needs at least one non-empty word')
    if model_max_length < 3:
        raise ValueError(f'model_max_length must leave room for a word and the start/end tokens, '
                         f'got {model_max_length}')
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    symbols = alphabet + [char + WORD_END for char in alphabet]
    merges = _learn_word_merges(texts)
    symbols += [left + right for left, right in merges]
    vocab = {}
    for symbol in symbols + [BOS_TOKEN, EOS_TOKEN]:
        vocab.setdefault(symbol, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)


def tiny_clip_config(tokenizer: CLIPTokenizer,
                     text_config: Optional[dict] = None,
                     vision_config: Optional[dict] = None,
                     projection_dim: int = 64) -> CLIPConfig:
    """A ``CLIPConfig`` sized by ``TINY_*_CONFIG`` (overridden by the given dicts) for ``tokenizer``.

    The text side takes the tokenizer's vocabulary size, special token ids and maximum length, so that
    CLIP pools the text at the first ``<|endoftext|>`` token. Both towers also record
    ``projection_dim``, so that ``CLIPVisionModelWithProjection`` / ``CLIPTextModelWithProjection`` load
    from the saved directory with the right projection size.
    """
    text = dict(TINY_TEXT_CONFIG, **(text_config or {}))
    text.update(vocab_size=len(tokenizer), max_position_embeddings=tokenizer.model_max_length,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id, projection_dim=projection_dim)
    vision = dict(TINY_VISION_CONFIG, **(vision_config or {}), projection_dim=projection_dim)
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim)


def build_tiny_clip(texts: Iterable[str],
                    max_text_length: int = 16,
                    text_config: Optional[dict] = None,
                    vision_config: Optional[dict] = None,
                    projection_dim: int = 64) -> tuple:
    """A randomly initialised tiny ``CLIPModel`` and its word tokenizer for the words of ``texts``.

    Returns:
        ``(model, tokenizer)``.
    """
    tokenizer = build_word_tokenizer(texts, model_max_length=max_text_length)
    config = tiny_clip_config(tokenizer, text_config, vision_config, projection_dim)
    return CLIPModel(config), tokenizer
