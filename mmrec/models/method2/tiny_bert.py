"""A random BERT (config, weights, WordPiece tokenizer for a given vocabulary) saved with ``save_pretrained``: the
offline stand-in for ``bert-base-uncased`` in grounding detector tests (tiny) and speed measurements (with
:data:`BERT_BASE_GEOMETRY`)."""
import os
from typing import Iterable

import torch

#: BERT's special tokens (ids 0-4, as in bert-base-uncased's order of [PAD] first) and GroundingDINO's phrase
#: separators.
SPECIAL_TOKENS = ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', '?', ',')

#: bert-base-uncased's geometry (12 layers, 768 wide), for speed measurements.
BERT_BASE_GEOMETRY = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                          max_position_embeddings=512, type_vocab_size=2)
#: Sizes of the tiny BERT.
TINY_BERT_CONFIG = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64, type_vocab_size=2)


def save_tiny_bert(directory: str, words: Iterable[str], seed: int = 0, **config) -> str:
    """Write a tiny random BERT whose vocabulary is the special tokens plus ``words`` (lower-cased, one
    WordPiece token each) into ``directory``: ``vocab.txt``, the tokenizer files and the model.

    Args:
        directory: where to write (created).
        words: the words the tokenizer knows; others become ``[UNK]``.
        seed: the weights' random seed.
        config: ``BertConfig`` fields overriding :data:`TINY_BERT_CONFIG`.

    Returns:
        ``directory``, for ``language_model=dict(name=...)``.
    """
    from transformers import BertConfig, BertModel, BertTokenizer
    os.makedirs(directory, exist_ok=True)
    vocab = list(SPECIAL_TOKENS)
    for word in words:
        word = word.lower()
        if word not in vocab:
            vocab.append(word)
    vocab_file = os.path.join(directory, 'vocab.txt')
    with open(vocab_file, 'w', encoding='utf-8') as f:
        f.write('\n'.join(vocab) + '\n')
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(directory)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = BertModel(BertConfig(vocab_size=len(vocab), pad_token_id=0, **{**TINY_BERT_CONFIG, **config}))
    model.save_pretrained(directory)
    return directory
