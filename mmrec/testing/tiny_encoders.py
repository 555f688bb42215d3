"""Tiny OpenCLIP and SigLIP models saved where the real encoders load them from, for offline tests.

- :func:`save_tiny_open_clip`: an OpenCLIP architecture from a small model config (a ResNet tower shaped like
  RN50x16's, or a ViT), registered with ``open_clip.add_model_config`` and saved as a weight file, with
  OpenCLIP's bundled BPE tokenizer; ``OpenCLIPEncoder(model_name=name, pretrained=file)`` loads it.
- :func:`save_tiny_siglip`: a ``transformers`` SigLIP (or SigLIP 2 NaFlex) from a small config and a genuine
  ``SiglipTokenizer`` whose SentencePiece model is trained here on a few words, saved with
  ``save_pretrained``; ``SigLIPEncoder(name_or_path=dir)`` loads it.

Weights are random (seeded): the tests check the loading, crop and scoring paths, not what the models know.
"""
import io
import json
import os
import os.path as osp
from typing import Iterable, Tuple

import torch

#: Text tower of the tiny OpenCLIP models: OpenCLIP's BPE vocabulary and context, one narrow layer.
TINY_OPEN_CLIP_TEXT = dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1)
#: Vision towers: a ModifiedResNet (RN50x16's kind; its attention pool needs a multiple of 32) or a ViT.
TINY_OPEN_CLIP_VISION = {
    'resnet': dict(image_size=64, layers=[1, 1, 1, 1], width=8, patch_size=None),
    'vit': dict(image_size=32, patch_size=8, width=32, layers=1, head_width=16, mlp_ratio=2.0),
}


def save_tiny_open_clip(save_dir: str, tower: str = 'resnet', embed_dim: int = 24, seed: int = 0,
                        safetensors: bool = False) -> Tuple[str, str]:
    """Register a tiny OpenCLIP architecture ``mmrec-tiny-<tower>`` and save random weights of it.

    Args:
        tower: ``'resnet'`` or ``'vit'`` (:data:`TINY_OPEN_CLIP_VISION`).
        embed_dim: width of the joint embedding.
        safetensors: save ``.safetensors`` instead of a ``torch.save`` state dict (``.pt``).

    Returns:
        ``(model_name, weight file)``.
    """
    import open_clip

    name = f'mmrec-tiny-{tower}'
    os.makedirs(save_dir, exist_ok=True)
    config_file = osp.join(save_dir, f'{name}.json')
    with open(config_file, 'w') as f:
        json.dump(dict(embed_dim=embed_dim, vision_cfg=TINY_OPEN_CLIP_VISION[tower], text_cfg=TINY_OPEN_CLIP_TEXT), f)
    open_clip.add_model_config(config_file)
    torch.manual_seed(seed)
    state = open_clip.create_model(name).state_dict()
    if safetensors:
        from safetensors.torch import save_file

        weights = osp.join(save_dir, f'{name}.safetensors')
        save_file({key: tensor.contiguous() for key, tensor in state.items()}, weights)
    else:
        weights = osp.join(save_dir, f'{name}.pt')
        torch.save(state, weights)
    return name, weights


def train_sentencepiece(texts: Iterable[str], vocab_size: int = 64) -> bytes:
    """A tiny SentencePiece unigram model of ``texts`` with SigLIP's special pieces (``<pad>`` 0, ``</s>`` 1,
    ``<unk>`` 2, no ``<s>``), as bytes."""
    import sentencepiece as spm

    texts = [text.lower() for text in texts if text.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts * 4), model_writer=model, vocab_size=vocab_size, hard_vocab_limit=False,
        model_type='unigram', character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        pad_piece='<pad>', eos_piece='</s>', unk_piece='<unk>', minloglevel=2)
    return model.getvalue()


def save_tiny_siglip(save_dir: str, texts: Iterable[str] = ('the red square', 'a blue circle', 'green', 'left'),
                     naflex: bool = False, image_size: int = 32, max_text_length: int = 16, seed: int = 0) -> str:
    """Save a random tiny SigLIP (``naflex=True``: SigLIP 2 NaFlex) and a ``SiglipTokenizer`` trained on the
    words of ``texts`` to ``save_dir`` with ``save_pretrained``; returns ``save_dir``.

    The vision tower takes ``image_size`` squares (NaFlex: ``(image_size / 8) ** 2`` patches of 8 pixels).
    """
    from transformers import Siglip2Config, Siglip2Model, SiglipConfig, SiglipModel, SiglipTokenizer

    os.makedirs(save_dir, exist_ok=True)
    spm_file = osp.join(save_dir, 'spiece.model')
    with open(spm_file, 'wb') as f:
        f.write(train_sentencepiece(list(texts)))
    tokenizer = SiglipTokenizer(vocab_file=spm_file, model_max_length=max_text_length)
    layers = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    text = dict(layers, vocab_size=len(tokenizer), max_position_embeddings=max_text_length,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None)
    patch = 8
    torch.manual_seed(seed)
    if naflex:
        vision = dict(layers, patch_size=patch, num_patches=(image_size // patch) ** 2)
        model = Siglip2Model(Siglip2Config(text_config=text, vision_config=vision))
    else:
        vision = dict(layers, image_size=image_size, patch_size=patch)
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
    with torch.no_grad():  # a learnt-looking scale and bias instead of the random init's
        model.logit_scale.fill_(float(torch.log(torch.tensor(10.0))))
        model.logit_bias.fill_(-5.0)
    model.save_pretrained(save_dir)
    tokenizer.save_pretrained(save_dir)
    return save_dir
