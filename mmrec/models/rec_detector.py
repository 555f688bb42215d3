"""A two-stage mmdet detector whose detections are re-ranked per expression by a REC scorer (method 2)."""
from typing import List, Optional

from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from .box_crops import InputNormalization, scale_boxes
from .clip_encoder import original_image_for


@MODELS.register_module()
class RECTwoStageDetector(TwoStageDetector):
    """Faster R-CNN (or any two-stage detector config) + a scorer choosing one detection per expression.

    It *is* the detector (same ``backbone``/``neck``/``rpn_head``/``roi_head`` keys), so a checkpoint of the
    plain detector -- e.g. from ``configs/detector/`` -- loads into it unchanged; ``scorer`` adds a
    :class:`~mmrec.models.CLIPProposalScorer` whose frozen CLIP weights come from its own config.

    Per image, the detector runs once, the scorer crops and embeds its top-K detections once, and all the
    image's expressions (``metainfo['texts']``) are scored in one matrix product. ``predict`` returns, per
    sample, ``pred_instances`` (one box and score per expression, in order) and ``candidates`` (the boxes
    chosen from), both in original image pixels when ``rescale=True`` (the layout in ``docs/design.md``).

    Only the detector can be trained, and with its own config (``configs/detector/``): ``loss`` refuses.
    """

    def __init__(self, backbone: ConfigType, rpn_head: ConfigType, roi_head: ConfigType, train_cfg: ConfigType,
                 test_cfg: ConfigType, scorer: ConfigType, neck: OptConfigType = None,
                 data_preprocessor: OptConfigType = None, init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.scorer = MODELS.build(scorer)

    def loss(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> dict:
        raise NotImplementedError(
            'RECTwoStageDetector has nothing to train: its CLIP is frozen. Fine-tune the detector with '
            '`tools/train.py configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py` and pass the checkpoint '
            'to `tools/test.py configs/method2.py CHECKPOINT`.')

    def predict(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """One box per expression for every sample (see the class docstring for the output layout)."""
        for sample in batch_data_samples:
            if 'texts' not in sample.metainfo:
                raise KeyError(f'sample {sample.metainfo.get("img_path", "?")} has no "texts" in its metainfo: '
                               'the test pipeline must end with PackRECInputs')
        # detections in original image pixels; the scorer maps them to the input itself
        batch_data_samples = super().predict(batch_inputs, batch_data_samples, rescale=True)
        input_norm = InputNormalization.from_preprocessor(self.data_preprocessor)
        for image, sample in zip(batch_inputs, batch_data_samples):
            original = original_image_for(self.scorer.encoder, sample)
            predictions, candidates = self.scorer(image, sample.pred_instances, sample.metainfo['texts'],
                                                  sample.metainfo, input_norm, original)
            if not rescale:  # back to input pixels
                scale_factor = sample.metainfo['scale_factor']
                predictions.bboxes = scale_boxes(predictions.bboxes, scale_factor)
                candidates.bboxes = scale_boxes(candidates.bboxes, scale_factor)
            sample.pred_instances = predictions
            sample.candidates = candidates
        return batch_data_samples
