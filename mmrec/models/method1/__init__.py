"""Method 1: a two-stage detector whose RoI head is conditioned on the expression.

- :mod:`.text_conditioned_rcnn`: ``TextConditionedRCNN``, the detector (candidates, cached image work);
- :mod:`.text_conditioned_roi_head`: ``TextConditionedRoIHead``, training targets and per-image scoring;
- :mod:`.text_conditioned_bbox_head`: the bbox head, registered as ``CLIPTextConditionedHead``, composed of the
  registered parts of :mod:`.head_parts` and the trained :mod:`.roi_text_branch`;
- :mod:`.spatial_prompts` and :mod:`.local_search`: the spatial prompts and the box refinement the parts use.
"""
from .text_conditioned_bbox_head import CLIPTextConditionedHead
from .text_conditioned_rcnn import TextConditionedRCNN
from .text_conditioned_roi_head import TextConditionedRoIHead

__all__ = ['CLIPTextConditionedHead', 'TextConditionedRCNN', 'TextConditionedRoIHead']
