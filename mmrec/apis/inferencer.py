"""Inference for users: an image and one or more expressions -> one box (and score) per expression."""
import logging
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.structures import InstanceData

from mmrec.engine.expression_bank_hook import expression_bank_takers
from mmrec.visualization import to_bgr_uint8

ImageInput = Union[str, np.ndarray]


@dataclass
class RECPrediction:
    """The answer to one expression: ``bbox`` ``[x1, y1, x2, y2]`` in the image's pixels, its score, and whether
    the model's spatial reasoner chose it (``False``: CLIP did, the reasoner leaving the expression to it or
    the model having none)."""

    text: str
    bbox: List[float]
    score: float
    reasoned: bool = False


@dataclass
class RECImageResult:
    """All of one image's answers and the boxes the model chose them from.

    ``candidate_bboxes`` ``(K, 4)`` ``[x1, y1, x2, y2]`` in the image's pixels and ``candidate_scores`` ``(K,)``
    (the detector's scores or method 1's objectness): the model's ``candidates``. They are the same for every
    expression (``candidate_expressions`` is ``None``) unless a grounding detector was prompted per expression:
    then ``candidate_expressions`` ``(K,)`` names the expression of each row (:meth:`candidates_of`).
    """

    predictions: List[RECPrediction]
    candidate_bboxes: np.ndarray
    candidate_scores: np.ndarray
    candidate_expressions: Optional[np.ndarray] = None

    def candidates_of(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        """``(bboxes (K_i, 4), scores (K_i,))``: the candidates expression ``index`` was answered among."""
        if self.candidate_expressions is None:
            return self.candidate_bboxes, self.candidate_scores
        mine = self.candidate_expressions == index
        return self.candidate_bboxes[mine], self.candidate_scores[mine]


def check_expression_bank(model: torch.nn.Module) -> None:
    """:class:`ValueError` when a part of ``model`` waits for the data set's expressions (``score_subtraction``
    with ``source='dataset'``): only a runner's test loop hands them over, so every request would fail."""
    for name, _ in expression_bank_takers([model]):
        raise ValueError(
            f"RECInferencer: {name or 'the model'}.score_subtraction takes its expression bank from the data "
            "set (source='dataset'), which only tools/test.py's loop hands over, so every request would fail; "
            "give the bank itself, a list of expressions, in the config: score_subtraction=dict(source=["
            "'the man on the left', 'a red car', ...]) (or RECInferencer's cfg_options "
            "{'model.scorer.score_subtraction.source': [...]}; --cfg-options drops the spaces of its words)")


def _crops_from_original(model: torch.nn.Module) -> bool:
    """Whether ``model``'s CLIP crops come from the original image (its ``crop_geometry`` says so)."""
    geometry = getattr(model, 'crop_geometry', None)
    return geometry is not None and geometry.needs_original


class RECInferencer:
    """Run a REC model config (e.g. ``configs/method2.py``) on images and free-form expressions.

    Example::

        inferencer = RECInferencer('configs/method2.py', 'detector.pth', device='cuda:0',
                                   cfg_options={'model.scorer.encoder.name_or_path': '/models/clip'})
        for pred in inferencer('photo.jpg', ['the dog on the left', 'red car']):
            print(pred.text, pred.bbox, pred.score)

    The pipeline is the config's test pipeline with the loading steps replaced by an in-memory image; when the
    model's CLIP crops from the original image and that pipeline lacks ``KeepOriginalImage``, it is added.

    Args:
        config: config file path or ``Config``.
        checkpoint: weights for the model (for method 2: the detector's); ``None`` keeps the config's.
        device: torch device string.
        cfg_options: overrides merged into the config, as ``--cfg-options`` does.
        allow_missing_keys: use a checkpoint that leaves weights of the model uninitialised (random); by default
            it is refused (:class:`~mmrec.utils.UninitialisedWeightsError` names the keys).
        allow_random_weights: answer without any checkpoint (neither ``checkpoint`` nor the config's
            ``load_from``), with the weights the model's construction gives it (random where nothing loads
            pretrained ones): for tests and smoke runs of the tiny models only. By default a model that has weights
            to load and no checkpoint is refused (:class:`~mmrec.utils.UserError`): its answers would be wrong.

    Raises:
        UserError: no checkpoint for a model that needs one, without ``allow_random_weights``.
    """

    def __init__(self, config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None, allow_missing_keys: bool = False,
                 allow_random_weights: bool = False) -> None:
        from mmdet.registry import MODELS
        from mmdet.utils import get_test_pipeline_cfg
        from mmengine.registry import init_default_scope

        import mmrec  # noqa: F401  (registers the models and transforms)
        from mmrec.utils.safe_config import load_config
        from mmrec.utils import UserError, load_checked_checkpoint

        cfg = load_config(config) if isinstance(config, str) else config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        checkpoint = checkpoint or cfg.get('load_from')
        for holder in (cfg.model, cfg.model.get('detector') or {}):  # method 2's RECDetector wraps a detector
            if checkpoint and (holder.get('backbone') or {}).get('init_cfg') is not None:
                holder['backbone']['init_cfg'] = None  # the checkpoint has the weights: no pretrained backbone
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        self.cfg = cfg
        self.model = MODELS.build(cfg.model)
        check_expression_bank(self.model)
        if checkpoint:
            load_checked_checkpoint(self.model, checkpoint, allow_missing_keys)
        elif any(True for _ in self.model.state_dict()):  # frozen pretrained encoders keep theirs out of it
            if not allow_random_weights:
                raise UserError('RECInferencer: no checkpoint (neither the checkpoint argument nor the config\'s '
                                'load_from), so the model would answer with random weights; pass the trained '
                                "weights (RECInferencer(config, 'model.pth'), tools/demo.py --checkpoint) or, for "
                                'a smoke run of a tiny model, allow_random_weights=True (--allow-random-weights)')
            print_log('RECInferencer: no checkpoint and allow_random_weights=True: the model answers with the '
                      'weights its construction gives it, random where nothing loads pretrained ones',
                      logger='current', level=logging.WARNING)
        self.model.to(device).eval()
        # the dataset's loading steps are replaced: an image in memory, expressions without annotations
        steps = [step for step in get_test_pipeline_cfg(cfg)
                 if step['type'] not in ('LoadImageFromFile', 'LoadReferExpressions')]
        if _crops_from_original(self.model) and not any(step['type'] == 'KeepOriginalImage' for step in steps):
            steps.insert(0, dict(type='KeepOriginalImage'))  # the image is in memory: keeping it is free
        self.pipeline = Compose([dict(type='mmdet.LoadImageFromNDArray')] + steps)

    @staticmethod
    def load_image(image: ImageInput) -> np.ndarray:
        """A BGR uint8 ``(H, W, 3)`` image from a path or an array (BGR, grayscale or BGRA, as mmcv reads).

        Raises:
            FileNotFoundError: no such file. UserError: the file is not an image OpenCV decodes (named).
        """
        if isinstance(image, (str, bytes)) or hasattr(image, '__fspath__'):
            import mmcv

            from mmrec.utils import UserError
            path = str(image)
            if not osp.isfile(path):
                raise FileNotFoundError(f'image {path!r} does not exist')
            try:
                decoded = mmcv.imread(path, flag='color', channel_order='bgr')
            except (TypeError, ValueError, OSError) as error:  # mmcv's EXIF step on an undecodable file
                raise UserError(f'{path!r} is not an image OpenCV can read ({type(error).__name__}); give a '
                                'PNG, JPEG, BMP, TIFF or WebP file') from None
            if decoded is None:
                raise UserError(f'{path!r} is not an image OpenCV can read; give a PNG, JPEG, BMP, TIFF or WebP '
                                'file')
            return decoded
        return to_bgr_uint8(np.asarray(image))

    @torch.no_grad()
    def predict_sample(self, image: ImageInput, expressions: Union[str, Sequence[str]]):
        """The model's ``DetDataSample`` for one image: ``pred_instances`` (one row per expression) and,
        for method 2, ``candidates``; boxes in the image's pixels."""
        texts = [expressions] if isinstance(expressions, str) else [str(text) for text in expressions]
        img = self.load_image(image)
        data = dict(img=img, img_id=0, img_path=image if isinstance(image, str) else None, texts=texts,
                    expressions=[dict(text=text) for text in texts])
        batch = pseudo_collate([self.pipeline(data)])
        return self.model.test_step(batch)[0]

    def predict(self, image: ImageInput, expressions: Union[str, Sequence[str]]) -> RECImageResult:
        """One :class:`RECPrediction` per expression, in order, with the candidate boxes they were chosen from."""
        sample = self.predict_sample(image, expressions)
        pred: InstanceData = sample.pred_instances
        boxes = pred.bboxes.detach().cpu().numpy().tolist()
        scores = pred.scores.detach().cpu().numpy().tolist()
        reasoned = pred.reasoned.tolist() if 'reasoned' in pred else [False] * len(boxes)
        predictions = [RECPrediction(text=text, bbox=[float(v) for v in box], score=float(score), reasoned=bool(r))
                       for text, box, score, r in zip(sample.metainfo['texts'], boxes, scores, reasoned)]
        candidates: InstanceData = sample.candidates
        owners = candidates.get('expression_index', None)
        return RECImageResult(predictions=predictions,
                              candidate_bboxes=candidates.bboxes.detach().cpu().numpy().reshape(-1, 4),
                              candidate_scores=candidates.scores.detach().cpu().numpy().reshape(-1),
                              candidate_expressions=None if owners is None else owners.detach().cpu().numpy())

    def __call__(self, image: ImageInput, expressions: Union[str, Sequence[str]]) -> List[RECPrediction]:
        """One :class:`RECPrediction` per expression, in order."""
        return self.predict(image, expressions).predictions

    @property
    def uses_spatial_reasoning(self) -> bool:
        """Whether the model reads location, size and relation words (a scorer or head with a ``reasoner``)."""
        return any(getattr(module, 'reasoner', None) is not None for module in self.model.modules())
