"""Any mmdet detector whose detections are re-ranked per expression by a REC scorer (method 2)."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmdet.models.detectors import BaseDetector, GroundingDINO
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import check_candidate_source, ground_truth_candidates
from ..scoring.cached_work import CachedWorkMixin
from ..crops.crop_geometry import CropGeometry, to_input
from .candidate_sets import CandidateSets, answer_sets
from .detector_keys import adopt_detector_keys, adopted_names
from .grounding import predict_prompts
from .prompts import Prompt, check_prompt, expression_prompts, prompted_sample
from .proposal_scorer import CLIPProposalScorer


def check_detector_config(detector: object) -> dict:
    """``detector`` when it is the config of a registered mmdet detector (a ``BaseDetector``), else a
    ``ValueError`` of one line naming ``model.detector`` and the fix (before anything is built)."""
    if not isinstance(detector, dict) or 'type' not in detector:
        raise ValueError(f'model.detector must be the config dict of an mmdet detector (e.g. the `model` of '
                         f'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py), got {detector!r:.80}')
    kind = detector['type']
    cls = kind if isinstance(kind, type) else MODELS.get(kind)
    if cls is None:
        raise ValueError(f'model.detector.type={kind!r} is not registered in mmdet\'s MODELS: check the name, '
                         'or import its package (custom_imports)')
    if not (isinstance(cls, type) and issubclass(cls, BaseDetector)):
        raise ValueError(f'model.detector.type={kind!r} is a {getattr(cls, "__name__", cls)}, not an mmdet detector '
                         '(BaseDetector): model.detector takes a whole detector config, e.g. '
                         "dict(type='RetinaNet', backbone=..., neck=..., bbox_head=...)")
    return detector


@MODELS.register_module()
class RECDetector(CachedWorkMixin, BaseDetector):
    """An mmdet detector (any: two-stage, one-stage, DETR-family, grounding) + a scorer choosing, per
    expression, one of its detections.

    Composition: ``detector`` is built from its own config and run through its own ``predict``; ``scorer`` (a
    :class:`~mmrec.models.CLIPProposalScorer`) answers each expression of ``metainfo['texts']`` among the
    detections (:class:`~mmrec.models.method2.candidate_sets.CandidateSets`). The model's
    data preprocessor is the detector's.

    Checkpoints: the detector's weights are under ``detector.``; a plain detector checkpoint (mmdet's
    ``tools/train.py`` for the same detector config: keys without a prefix) loads as it is, renamed on load
    (:mod:`~mmrec.models.method2.detector_keys`); one of another detector is refused in one line. The frozen
    CLIP's weights come from the scorer's config and are never in checkpoints.

    ``predict`` returns, per sample, ``pred_instances`` (one box, score and ``reasoned`` flag per expression,
    in order) and ``candidates`` (the boxes chosen from; with per-expression candidates, every expression's,
    tagged by ``expression_index``), in original image pixels when ``rescale=True`` (``docs/design.md``).
    Only the detector can be trained, with its own config: ``loss`` refuses.

    Args:
        detector: the config of an mmdet detector (``BaseDetector``), as in its own config file.
        scorer: config of the :class:`~mmrec.models.CLIPProposalScorer`.
        candidate_source: ``'detector'`` (default): the scorer chooses among the detector's detections;
            ``'ground_truth'``: among the image's annotated objects (``gt_candidates``, from
            ``REFERDataset(with_candidates=True)``) with a uniform prior score of 1.0, the detector not run.
        prompt: what a grounding detector (one with a ``language_model``) is asked
            (:mod:`~mmrec.models.method2.prompts`): ``'subject'``, ``'expression'`` or a list of class names;
            ``None`` (default) for a closed-set detector.
        data_preprocessor: used as the detector's when its config has none.
    """

    # all of the scorer's config is scoring; the scorer declares its text-independent keys
    CACHE_SCORING_KEYS = ('scorer', )
    CACHE_SCORING_MODULES = ('scorer.', )
    SCORING_MODULE = 'scorer'
    SCORING_ENCODER = 'scorer.encoder'
    TEXT_INDEPENDENT_KEYS = CLIPProposalScorer.TEXT_INDEPENDENT_KEYS

    def __init__(self, detector: ConfigType, scorer: ConfigType, candidate_source: str = 'detector',
                 prompt: Union[None, str, Sequence[str]] = None, data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        # a copy (some detectors, e.g. DINO, edit their config while building), nested dicts as mmdet reads them
        detector = ConfigDict(copy.deepcopy(check_detector_config(detector)))
        candidate_source = check_candidate_source(candidate_source, type(self).__name__)
        # (with the annotated objects as candidates the detector never runs: a grounding one needs no prompt)
        if candidate_source == 'detector' or prompt is not None:
            prompt = check_prompt(prompt, detector)
        if data_preprocessor is not None and detector.get('data_preprocessor') is None:
            detector['data_preprocessor'] = data_preprocessor
        super().__init__(init_cfg=init_cfg)
        self.prompt: Optional[Prompt] = prompt
        self.detector: BaseDetector = MODELS.build(detector)
        self.data_preprocessor = self.detector.data_preprocessor  # the detector's input is the model's
        self.scorer = MODELS.build(scorer)
        #: where the scorer's crops come from and how its boxes (original pixels) map to them
        self.crop_geometry = CropGeometry.for_detector(self.data_preprocessor, self.scorer.encoder)
        self.candidate_source = candidate_source
        if self.candidate_source == 'ground_truth' and self.scorer.top_k is not None:
            print_log(f"{type(self).__name__}: candidate_source='ground_truth' with scorer top_k="
                      f'{self.scorer.top_k}: the annotated objects all score 1.0, so only the first top_k of each '
                      'image (in file order) are scored; top_k=None scores them all',
                      logger='current', level=logging.WARNING)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Rename a plain detector checkpoint's keys under ``detector.`` and check them, then load."""
        adopt_detector_keys(state_dict, prefix, self.detector)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def checkpoint_names(self, loaded: Dict[str, object]) -> Dict[str, object]:
        """``loaded`` (a checkpoint's key -> value) under the names :meth:`_load_from_state_dict` gives them (a
        plain detector's keys under ``detector.``), for the evaluation's uninitialised-weights check."""
        renamed = adopted_names(loaded)
        return {renamed.get(key, key): value for key, value in loaded.items()}

    def loss(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> dict:
        raise NotImplementedError(
            f'{type(self).__name__} has nothing to train: its CLIP is frozen. Train the detector with its own '
            'config (e.g. `tools/train.py configs/detector/faster-rcnn_r50_fpn_1x_refcoco-train.py`) and pass '
            'the checkpoint to `tools/test.py CONFIG CHECKPOINT`.')

    def extract_feat(self, batch_inputs: Tensor):
        """The wrapped detector's features."""
        return self.detector.extract_feat(batch_inputs)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[List[DetDataSample]] = None):
        """The wrapped detector's raw outputs (``mode='tensor'``)."""
        return self.detector._forward(batch_inputs, batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """One box per expression for every sample (see the class docstring for the output layout)."""
        candidates = self.image_work(batch_inputs, batch_data_samples)
        return self.score_samples(self.scorer, batch_inputs, batch_data_samples, candidates, rescale)

    def score_samples(self, scorer: torch.nn.Module, batch_inputs: Tensor, batch_data_samples: List[DetDataSample],
                      candidates: List[CandidateSets], rescale: bool = True) -> List[DetDataSample]:
        """Fill ``pred_instances`` and ``candidates`` of every sample with ``scorer``'s answers among the
        samples' ``candidates`` (:meth:`image_work`); returns the samples."""
        for sample in batch_data_samples:
            if 'texts' not in sample.metainfo:
                raise KeyError(f'sample {sample.metainfo.get("img_path", "?")} has no "texts" in its metainfo: '
                               'the test pipeline must end with PackRECInputs')
        geometry, image_encoder = self.geometry_for(scorer.encoder), self.crop_encoder(scorer.encoder)
        for image, sample, found in zip(batch_inputs, batch_data_samples, candidates):
            view = geometry.view_of(image, sample)
            predictions, chosen_from = answer_sets(
                lambda boxes, texts: scorer(view, boxes, texts, sample.metainfo, image_encoder=image_encoder),
                found, sample.metainfo['texts'])
            if not rescale:  # back to input pixels
                scale_factor = sample.metainfo['scale_factor']
                predictions.bboxes = to_input(predictions.bboxes, scale_factor)
                chosen_from.bboxes = to_input(chosen_from.bboxes, scale_factor)
            sample.pred_instances = predictions
            sample.candidates = chosen_from
        return batch_data_samples

    def build_scoring_module(self, model_cfg: dict, encoder: torch.nn.Module) -> torch.nn.Module:
        """A scorer built from ``model_cfg['scorer']`` around an already built ``encoder`` (a sweep point)."""
        return MODELS.build(dict(model_cfg['scorer'], encoder=encoder))

    # -- the candidates ---------------------------------------------------------------------------------------
    def image_work(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[CandidateSets]:
        """The candidates of every sample, the detector's read from the cache when the model has one (the
        annotated objects are never cached: they cost nothing)."""
        if self.candidate_source == 'ground_truth':
            return [CandidateSets.shared(ground_truth_candidates(sample)) for sample in batch_data_samples]
        if self.prompt is not None:
            return [self.prompted_candidates(image, sample) for image, sample in zip(batch_inputs, batch_data_samples)]
        entries = self.cached_detections(batch_inputs, batch_data_samples,
                                         lambda: self.detect(batch_inputs, batch_data_samples))
        return [CandidateSets.shared(InstanceData(**entry)) for entry in entries]

    def detect(self, batch_inputs: Tensor, batch_data_samples: List[DetDataSample]) -> List[Dict[str, Tensor]]:
        """The closed-set detector's detections of a batch (``bboxes`` (M, 4) original pixels, ``scores`` (M,))."""
        found = self.detector.predict(batch_inputs, batch_data_samples, rescale=True)
        return [plain_detections(sample.pred_instances) for sample in found]

    def prompted_candidates(self, image: Tensor, sample: DetDataSample) -> CandidateSets:
        """One image's candidates from a grounding detector: one set per distinct prompt of its expressions
        (:func:`~mmrec.models.method2.prompts.expression_prompts`), through the cache when there is one."""
        prompts, owner = expression_prompts(self.prompt, sample.metainfo['texts'])
        asked = [prompt for prompt in prompts if prompt != '']

        def compute() -> List[Dict[str, Tensor]]:
            return self.detect_prompts(image, sample, asked)

        if self.detection_cache is None:
            entries = compute()
        else:
            keys = self.detection_cache.prompt_keys(image, sample.metainfo, asked)
            entries = self.detection_cache.read_batch(keys, image.device)
            if entries is None:
                entries = compute()
                self.detection_cache.write_batch(keys, entries)
        found = dict(zip(asked, entries))
        nothing = dict(bboxes=image.new_zeros(0, 4), scores=image.new_zeros(0))
        sets = [InstanceData(**found.get(prompt, nothing)) for prompt in prompts]
        return CandidateSets.shared(sets[0]) if isinstance(self.prompt, tuple) else CandidateSets(sets, owner)

    def detect_prompts(self, image: Tensor, sample: DetDataSample, prompts: List[Prompt]) -> List[Dict[str, Tensor]]:
        """The grounding detector's detections of one ``(C, H, W)`` image for each prompt. mmdet's GroundingDINO
        (and its subclasses) runs its backbone and neck once and its text side per prompt
        (:func:`~mmrec.models.method2.grounding.predict_prompts`: each prompt's boxes are those of ``predict`` on
        it alone; mmdet 3.3 couples the rows of a mixed batch); another grounding detector gets one ``predict``
        with the image repeated once per prompt (the texts batched)."""
        if not prompts:
            return []
        if isinstance(self.detector, GroundingDINO):
            found = predict_prompts(self.detector, image[None], sample, prompts, rescale=True)
            return [plain_detections(pred_instances) for pred_instances in found]
        inputs = image[None].repeat(len(prompts), *([1] * image.dim()))
        found = self.detector.predict(inputs, [prompted_sample(sample, prompt) for prompt in prompts], rescale=True)
        return [plain_detections(result.pred_instances) for result in found]


def plain_detections(found: InstanceData) -> Dict[str, Tensor]:
    """A detector's ``pred_instances`` as the cached tensors: ``bboxes`` (M, 4) float, ``scores`` (M,) float."""
    return dict(bboxes=get_box_tensor(found.bboxes).float().reshape(-1, 4), scores=found.scores.float().reshape(-1))
