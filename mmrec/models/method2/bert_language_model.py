"""A drop-in for mmdet's ``BertModel`` (GroundingDINO's and GLIP's ``language_model``) that runs on transformers 5.

mmdet 3.3's wrapper cannot run there: it tokenizes with ``tokenizer.batch_encode_plus`` (removed in transformers
5), and it hands BERT GroundingDINO's 3-D sub-sentence mask (each phrase of ``"cat . dog ."`` attends only to
itself), which transformers 5's mask code no longer reads. :class:`RECBertModel` tokenizes with the tokenizer's
``__call__`` and gives BERT the 4-D additive mask that transformers 4 built from the 3-D one (0 where a token may
attend, the dtype's minimum where it may not); every transformers attention backend that takes a float mask
(``eager``, ``sdpa``) reads it the same way. Everything else is mmdet's: the mask and position ids come from
mmdet's own ``generate_masks_with_special_tokens_and_transfer_map``, the returned dict has the same keys and
meaning, and the parameters sit under the same names (``language_backbone.body.model.*``), so MM-GDINO / GDINO
checkpoints load unchanged.
"""
import os
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
from mmdet.models.language_models.bert import generate_masks_with_special_tokens_and_transfer_map
from mmdet.registry import MODELS
from mmengine.model import BaseModel
from torch import Tensor, nn

#: The attention backends that add a float mask to the attention logits (flash attention takes none).
FLOAT_MASK_BACKENDS = ('eager', 'sdpa')


def additive_attention_mask(allowed: Tensor, dtype: torch.dtype) -> Tensor:
    """The mask BERT adds to its attention logits, from a boolean one.

    Args:
        allowed: (B, T) or (B, T, T) bool or 0/1; ``allowed[b, i, j]`` says query ``i`` may attend to key ``j``
            (a 2-D mask says it for every query).

    Returns:
        (B, 1, T, T) ``dtype``: 0 where allowed, ``torch.finfo(dtype).min`` elsewhere (transformers 4's
        ``get_extended_attention_mask``, broadcast over the heads).
    """
    allowed = allowed.bool()
    if allowed.dim() == 2:
        allowed = allowed[:, None, :].expand(-1, allowed.shape[1], -1)
    if allowed.dim() != 3:
        raise ValueError(f'attention mask must be (B, T) or (B, T, T), got shape {tuple(allowed.shape)}')
    blocked = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    blocked.masked_fill_(~allowed, torch.finfo(dtype).min)
    return blocked[:, None]


def _check_source(name: str) -> None:
    """A local ``name`` must be a ``save_pretrained`` directory (a hub name is left to transformers)."""
    looks_local = os.path.isabs(name) or name.startswith('.') or os.path.exists(name)
    if looks_local and not os.path.isfile(os.path.join(name, 'config.json')):
        raise FileNotFoundError(
            f"language_model.name='{name}' is not a saved BERT: it needs config.json, the weights and the "
            f"tokenizer files (write them with save_pretrained), or give a hub name such as 'bert-base-uncased'")


class TF5BertEncoder(nn.Module):
    """Hugging Face's ``BertModel`` returning mmdet's ``BertEncoder`` features (``language_backbone.body``).

    Args:
        name: a ``save_pretrained`` directory or a hub name.
        add_pooling_layer: build BERT's pooler (GroundingDINO: no).
        num_layers_of_embedded: how many last layers are averaged into ``embedded``.
        use_checkpoint: gradient checkpointing of BERT's layers while training.
        local_files_only: never reach the hub (a hub name then needs the local cache).
        attn_implementation: ``'sdpa'`` or ``'eager'`` (both read the 4-D float mask).
    """

    def __init__(self, name: str, add_pooling_layer: bool = False, num_layers_of_embedded: int = 1,
                 use_checkpoint: bool = False, local_files_only: bool = False,
                 attn_implementation: str = 'sdpa') -> None:
        super().__init__()
        from transformers import BertModel as HFBertModel
        if attn_implementation not in FLOAT_MASK_BACKENDS:
            raise ValueError(f"language_model.attn_implementation='{attn_implementation}' cannot take "
                             f"GroundingDINO's sub-sentence mask; use one of {FLOAT_MASK_BACKENDS}")
        self.model = HFBertModel.from_pretrained(name, add_pooling_layer=add_pooling_layer,
                                                 local_files_only=local_files_only,
                                                 attn_implementation=attn_implementation)
        if use_checkpoint:
            self.model.gradient_checkpointing_enable()
        self.language_dim = self.model.config.hidden_size
        self.num_layers_of_embedded = num_layers_of_embedded

    def forward(self, x: Dict[str, Optional[Tensor]]) -> Dict[str, Tensor]:
        """BERT features of tokenized text.

        Args:
            x: ``input_ids`` (B, T); ``attention_mask`` (B, T) padding mask or (B, T, T) bool sub-sentence mask;
                ``position_ids`` and ``token_type_ids`` (B, T) or None.

        Returns:
            ``embedded`` (B, T, C): the mean of the last ``num_layers_of_embedded`` layers divided once more by
            that number (as mmdet does; the same for the usual 1), zeroed at padding for a 2-D mask;
            ``masks``: ``attention_mask`` as given; ``hidden`` (B, T, C): the last layer.
        """
        mask = x['attention_mask']
        embeddings_dtype = self.model.embeddings.word_embeddings.weight.dtype
        outputs = self.model(input_ids=x['input_ids'], attention_mask=additive_attention_mask(mask, embeddings_dtype),
                             position_ids=x['position_ids'], token_type_ids=x['token_type_ids'],
                             output_hidden_states=True)
        layers = outputs.hidden_states[1:]
        features = torch.stack(layers[-self.num_layers_of_embedded:], 1).mean(1) / self.num_layers_of_embedded
        embedded = features * mask.unsqueeze(-1).to(features.dtype) if mask.dim() == 2 else features
        return {'embedded': embedded, 'masks': mask, 'hidden': layers[-1]}


@MODELS.register_module()
class RECBertModel(BaseModel):
    """mmdet's ``BertModel`` (same arguments, attributes, outputs and parameter names) on transformers 5.

    Use it as GroundingDINO's or GLIP's ``language_model=dict(type='RECBertModel', name=..., ...)``.

    Args:
        name: a ``save_pretrained`` directory (config, weights and tokenizer) or a hub name.
        max_tokens: tokens kept per caption (longer captions are truncated).
        pad_to_max: pad to ``max_tokens`` (GLIP) rather than to the batch's longest caption (GroundingDINO).
        use_sub_sentence_represent: GroundingDINO's sub-sentence mask and position ids (each phrase between
            special tokens attends only to itself, positions restart per phrase).
        special_tokens_list: the tokens that end a phrase (GroundingDINO: ``['[CLS]', '[SEP]', '.', '?']``);
            each must be in the vocabulary.
        add_pooling_layer, num_layers_of_embedded, use_checkpoint, local_files_only, attn_implementation:
            see :class:`TF5BertEncoder`.
    """

    def __init__(self, name: str = 'bert-base-uncased', max_tokens: int = 256, pad_to_max: bool = True,
                 use_sub_sentence_represent: bool = False, special_tokens_list: Optional[Sequence[str]] = None,
                 add_pooling_layer: bool = False, num_layers_of_embedded: int = 1, use_checkpoint: bool = False,
                 local_files_only: bool = False, attn_implementation: str = 'sdpa', **kwargs) -> None:
        super().__init__(**kwargs)
        from transformers import AutoTokenizer
        _check_source(name)
        self.max_tokens = max_tokens
        self.pad_to_max = pad_to_max
        self.tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=local_files_only)
        self.language_backbone = nn.Sequential(OrderedDict([('body', TF5BertEncoder(
            name, add_pooling_layer=add_pooling_layer, num_layers_of_embedded=num_layers_of_embedded,
            use_checkpoint=use_checkpoint, local_files_only=local_files_only,
            attn_implementation=attn_implementation))]))
        self.use_sub_sentence_represent = use_sub_sentence_represent
        if use_sub_sentence_represent:
            self.special_tokens = self._special_token_ids(special_tokens_list)

    def _special_token_ids(self, tokens: Optional[Sequence[str]]) -> list:
        if not tokens:
            raise ValueError('language_model.special_tokens_list is needed with use_sub_sentence_represent=True '
                             "(GroundingDINO: ['[CLS]', '[SEP]', '.', '?'])")
        ids = self.tokenizer.convert_tokens_to_ids(list(tokens))
        unknown = [token for token, id_ in zip(tokens, ids)
                   if id_ is None or (id_ == self.tokenizer.unk_token_id and token != self.tokenizer.unk_token)]
        if unknown:
            raise ValueError(f'language_model.special_tokens_list: {unknown} not in the tokenizer vocabulary; '
                             f'list tokens of that vocabulary')
        return ids

    def forward(self, captions: Sequence[str], **kwargs) -> Dict[str, Tensor]:
        """Encode a batch of captions.

        Returns:
            ``embedded`` (B, T, C), ``masks`` ((B, T, T) bool sub-sentence mask, or the (B, T) padding mask)
            and ``hidden`` (B, T, C); with ``use_sub_sentence_represent`` also ``position_ids`` (B, T) and
            ``text_token_mask`` (B, T) bool, True at real (non-padding) tokens.
        """
        device = next(self.language_backbone.parameters()).device
        tokenized = self.tokenizer(list(captions), max_length=self.max_tokens,
                                   padding='max_length' if self.pad_to_max else 'longest',
                                   return_special_tokens_mask=True, return_tensors='pt',
                                   truncation=True).to(device)
        if self.use_sub_sentence_represent:
            attention_mask, position_ids = generate_masks_with_special_tokens_and_transfer_map(
                tokenized, self.special_tokens)
            token_type_ids = tokenized['token_type_ids']
        else:
            attention_mask, position_ids, token_type_ids = tokenized['attention_mask'], None, None
        features = self.language_backbone({'input_ids': tokenized['input_ids'], 'attention_mask': attention_mask,
                                           'position_ids': position_ids, 'token_type_ids': token_type_ids})
        if self.use_sub_sentence_represent:
            features['position_ids'] = position_ids
            features['text_token_mask'] = tokenized['attention_mask'].bool()
        return features
