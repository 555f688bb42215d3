"""The head's former flat constructor arguments, mapped onto its part configs.

Configs written before the head was split into parts set, e.g., ``clip_weight`` or ``prompt_templates``
directly on ``CLIPTextConditionedHead``; :func:`merge_flat_args` moves each into the config of the part
that owns it, so such configs build the same head. A key set both ways with different values is refused (a
silent winner would make an ablation that sets the other one do nothing).
"""
from typing import Dict, Optional

#: flat argument -> the head's part config that takes it (with the same name).
FLAT_ARG_PARTS: Dict[str, str] = {
    'prompt_templates': 'prompt_scorer', 'location_labels': 'prompt_scorer', 'temperature': 'prompt_scorer',
    'max_cached_queries': 'prompt_scorer',
    'clip_weight': 'blend', 'branch_weight': 'blend', 'normalize_objectness': 'blend',
    'in_channels': 'branch', 'roi_feat_size': 'branch', 'num_shared_fcs': 'branch', 'fc_out_channels': 'branch',
    'init_temperature': 'branch', 'init_prior': 'branch',
}
#: flat arguments now decided elsewhere.
MOVED_ARGS: Dict[str, str] = {
    'pos_iou_thr': "the RoI head's train_cfg.rcnn.assigner (MaxIoUAssigner pos_iou_thr / neg_iou_thr)",
    'neg_iou_thr': "the RoI head's train_cfg.rcnn.assigner (MaxIoUAssigner pos_iou_thr / neg_iou_thr)",
}


def merge_flat_args(parts: Dict[str, Optional[dict]], flat: dict, owner: str) -> Dict[str, Optional[dict]]:
    """The part configs ``parts`` (name -> config dict or ``None``) with the flat arguments ``flat`` merged in.

    ``with_branch=False`` sets ``parts['branch']`` to ``None``; ``spatial_reasoning`` is the ``reasoner``
    part's config. Flat arguments of a part that is ``None`` (e.g. branch sizes without a branch) are
    dropped. Unknown arguments raise ``TypeError``; ``pos_iou_thr``/``neg_iou_thr`` raise ``ValueError``
    saying where the thresholds are set now, and so does a key given both flat and in its part's config with
    another value.
    """
    parts = {name: None if cfg is None else dict(cfg) for name, cfg in parts.items()}
    flat = dict(flat)
    moved = sorted(key for key in flat if key in MOVED_ARGS)
    if moved:
        raise ValueError(f'{owner}: {", ".join(moved)} are no longer head settings; the branch is trained on the '
                         f'targets of {MOVED_ARGS[moved[0]]}')
    if 'spatial_reasoning' in flat:
        parts['reasoner'] = flat.pop('spatial_reasoning')
    if not flat.pop('with_branch', True):
        parts['branch'] = None
    unknown = sorted(key for key in flat if key not in FLAT_ARG_PARTS)
    if unknown:
        raise TypeError(f'{owner}: unexpected arguments {unknown}')
    for key, value in flat.items():
        part = parts.get(FLAT_ARG_PARTS[key])
        if part is None:
            continue
        if key in part and part[key] != value:
            raise ValueError(f'{owner}: {key} is set twice, {value!r} as a head argument and {part[key]!r} in '
                             f'{FLAT_ARG_PARTS[key]}=dict(...); set it in one place (e.g. --cfg-options '
                             f'model.roi_head.bbox_head.{key}=...)')
        part[key] = value
    return parts
