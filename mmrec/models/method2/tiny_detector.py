"""The tiny detector of tests and smoke runs: ``--cfg-options`` that shrink the configs' Faster R-CNN R50-FPN (no
download). Used by the tests (re-exported by ``mmrec.testing``) and by ``tools/benchmark.py --tiny``; method 1's
zero-shot head takes the backbone, neck and RPN entries only."""
from typing import Dict

#: ``--cfg-options`` that shrink the R50-FPN Faster R-CNN of the method-2 configs to a ResNet-18 with
#: 8 base channels (random weights, no pretrained backbone download).
TINY_DETECTOR_OPTIONS: Dict[str, object] = {
    'model.backbone.depth': 18,
    'model.backbone.base_channels': 8,
    'model.backbone.init_cfg': None,
    'model.neck.in_channels': [8, 16, 32, 64],
    'model.neck.out_channels': 16,
    'model.rpn_head.in_channels': 16,
    'model.rpn_head.feat_channels': 16,
    'model.roi_head.bbox_roi_extractor.out_channels': 16,
    'model.roi_head.bbox_head.in_channels': 16,
    'model.roi_head.bbox_head.fc_out_channels': 32,
}
