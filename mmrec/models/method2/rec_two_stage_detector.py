"""``RECTwoStageDetector``: the former method 2 model, now :class:`RECDetector` around a Faster R-CNN."""
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from .rec_detector import RECDetector


@MODELS.register_module()
class RECTwoStageDetector(RECDetector):
    """:class:`RECDetector` whose detector is mmdet's ``FasterRCNN`` built from the two-stage arguments
    (``backbone``, ``neck``, ``rpn_head``, ``roi_head``, ``train_cfg``, ``test_cfg``, ``data_preprocessor``),
    so the configs written for it keep working. Its checkpoints (keys ``backbone.``, ``roi_head.``, ...) and
    plain Faster R-CNN ones load as they are (renamed under ``detector.``). New configs write
    ``dict(type='RECDetector', detector=dict(type='FasterRCNN', ...), scorer=...)``."""

    def __init__(self, backbone: ConfigType, rpn_head: ConfigType, roi_head: ConfigType, train_cfg: ConfigType,
                 test_cfg: ConfigType, scorer: ConfigType, neck: OptConfigType = None,
                 data_preprocessor: OptConfigType = None, candidate_source: str = 'detector',
                 init_cfg: OptMultiConfig = None) -> None:
        detector = dict(type='FasterRCNN', backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head,
                        train_cfg=train_cfg, test_cfg=test_cfg, data_preprocessor=data_preprocessor)
        super().__init__(detector=detector, scorer=scorer, candidate_source=candidate_source, init_cfg=init_cfg)
