"""CLIPTextConditionedHead: the blend, the spatial prompts, the local search and the trainable branch.

The CLIP networks are replaced by test doubles (``mmrec.testing``'s ``MeanColorEncoder`` and two defined here) that
share the real crop path; the images are RGB tensors (``InputNormalization()``: mean 0, std 1, RGB) in original
pixels (scale factor 1), cropped from the input (``CropGeometry('input', RGB)``).
"""
from typing import List

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

import mmrec.models  # noqa: F401  (registers the modules)
import mmrec.testing  # noqa: F401  (registers the MeanColorEncoder test double)
from mmrec.models.crops import InputNormalization
from mmrec.models.encoders.clip_encoder import BaseCLIPEncoder
from mmrec.models.crops.crop_geometry import CropGeometry
from mmrec.models.method1.roi_text_branch import RoITextBranch
from mmrec.models.method1.spatial_prompts import SpatialPromptExpander, location_cells
from mmrec.models.method1.head_parts import blend_scores, objectness_distribution

RGB = InputNormalization()
GEOMETRY = CropGeometry('input', RGB)
GREY, RED, BLUE = (128.0, 128.0, 128.0), (255.0, 0.0, 0.0), (0.0, 0.0, 255.0)


def make_image(height: int, width: int, squares=()) -> torch.Tensor:
    """A grey ``(3, H, W)`` RGB image with coloured squares ``(colour, (x1, y1, x2, y2))``."""
    image = torch.tensor(GREY).view(3, 1, 1).expand(3, height, width).clone()
    for colour, (x1, y1, x2, y2) in squares:
        image[:, y1:y2, x1:x2] = torch.tensor(colour).view(3, 1, 1)
    return image


def box_iou(a: torch.Tensor, b: torch.Tensor) -> float:
    lt, rb = torch.maximum(a[:2], b[:2]), torch.minimum(a[2:], b[2:])
    inter = (rb - lt).clamp(min=0).prod()
    return float(inter / ((a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod() - inter))


@MODELS.register_module(force=True)
class RingContrastEncoder(BaseCLIPEncoder):
    """Test double whose score peaks when a ``'context'`` crop's box sits exactly on a red object.

    A crop with ``context_ratio`` r shows the box in its central ``1 / (1 + 2r)``; the embedding is
    ``(redness inside - redness of the margin ring, 0.25)`` and "red" embeds to ``(1, 0)``, so the cosine
    grows with red inside the box and falls with red around it.
    """

    def __init__(self, crop_size: int = 36, context_ratio: float = 0.25) -> None:
        super().__init__(crop_size=crop_size)
        self.context_ratio = context_ratio

    def _embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        rgb = pixels * self.image_std + self.image_mean
        redness = rgb[:, 0] - (rgb[:, 1] + rgb[:, 2]) / 2
        size = pixels.shape[-1]
        low = round(size * self.context_ratio / (1 + 2 * self.context_ratio))
        inner = torch.zeros(size, size, dtype=torch.bool)
        inner[low:size - low, low:size - low] = True
        contrast = redness[:, inner].mean(1) - redness[:, ~inner].mean(1)
        return torch.stack([contrast, torch.full_like(contrast, 0.25)], dim=1)

    def _embed_texts(self, texts: List[str]) -> torch.Tensor:
        return torch.tensor([[1.0, 0.0] if 'red' in text else [0.0, 1.0] for text in texts])


@MODELS.register_module(force=True)
class HashTextColorEncoder(BaseCLIPEncoder):
    """Test double: crops embed to their mean colour, each distinct string to its own pseudo-random vector
    (so every prompt, hence every location label, gives a different similarity)."""

    def __init__(self, crop_size: int = 16) -> None:
        super().__init__(crop_size=crop_size)

    def _embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        return (pixels * self.image_std + self.image_mean).mean(dim=(2, 3)) - 0.5

    def _embed_texts(self, texts: List[str]) -> torch.Tensor:
        rows = [torch.randn(3, generator=torch.Generator().manual_seed(hash(text) % (2**31))) for text in texts]
        return torch.stack(rows)


def build_head(**kwargs):
    cfg = dict(type='CLIPTextConditionedHead', encoder=dict(type='MeanColorEncoder'),
               local_search=dict(enable=False), branch=None)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def predict(head, image, boxes, objectness, texts, roi_feats=None):
    proposals = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32),
                             scores=torch.tensor(objectness, dtype=torch.float32))
    return head.predict_image(GEOMETRY.view(image, {}), proposals, roi_feats, texts)


# A 60 x 90 scene: red square top-left, blue square on the right.
SCENE = make_image(60, 90, [(RED, (10, 10, 30, 30)), (BLUE, (55, 20, 80, 45))])
PROPOSALS = [[10, 10, 30, 30], [55, 20, 80, 45], [35, 40, 50, 55]]  # red, blue, grey background


def test_blend_picks_the_proposal_that_clip_and_objectness_agree_on_best():
    head = build_head(blend=dict(clip_weight=0.5))
    predictions, candidates = predict(head, SCENE, PROPOSALS, [0.3, 0.9, 0.5], ['the red square', 'blue one'])
    torch.testing.assert_close(predictions.bboxes, torch.tensor([PROPOSALS[0], PROPOSALS[1]], dtype=torch.float))
    # red: CLIP softmax ~1 and objectness 0.3 / 1.7 of the mass
    assert predictions.scores[0].item() == pytest.approx(0.5 * 1.0 + 0.5 * 0.3 / 1.7, abs=1e-3)
    torch.testing.assert_close(candidates.bboxes, torch.tensor(PROPOSALS, dtype=torch.float))
    torch.testing.assert_close(candidates.scores, torch.tensor([0.3, 0.9, 0.5]))


def test_lambda_zero_is_objectness_alone_and_lambda_one_is_clip_alone():
    objectness = [0.3, 0.9, 0.5]
    detector_only = build_head(blend=dict(clip_weight=0.0))
    predictions, _ = predict(detector_only, SCENE, PROPOSALS, objectness, ['the red square'])
    assert predictions.bboxes[0].tolist() == PROPOSALS[1]  # highest objectness, whatever the text
    assert predictions.scores[0].item() == pytest.approx(0.9 / 1.7)
    detector_only.encoder.encode_boxes = detector_only.encoder.encode_texts = None  # CLIP must not run
    predictions, _ = predict(detector_only, SCENE, PROPOSALS, objectness, ['the blue square'])
    assert predictions.bboxes[0].tolist() == PROPOSALS[1]

    clip_only = build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05))
    predictions, _ = predict(clip_only, SCENE, PROPOSALS, [0.9, 0.05, 0.9], ['blue', 'red'])
    assert predictions.bboxes.tolist() == [PROPOSALS[1], PROPOSALS[0]]  # against the objectness
    # the score is the CLIP softmax over proposals of the mean cosine to the prompts: cos = 1, -1/3, 0
    cos_blue = torch.tensor([-1 / 3, 1.0, 0.0])
    assert predictions.scores[0].item() == pytest.approx(F.softmax(cos_blue / 0.05, 0)[1].item(), abs=1e-4)


def test_spatial_reasoning_replaces_the_clip_scores_of_location_words():
    """Two red squares look the same to CLIP; "on the right" and "left of the blue square" need geometry."""
    scene = make_image(60, 120, [(RED, (5, 20, 25, 40)), (BLUE, (50, 20, 70, 40)), (RED, (95, 20, 115, 40))])
    proposals = [[5, 20, 25, 40], [50, 20, 70, 40], [95, 20, 115, 40]]
    texts = ['the red square on the right', 'the red square left of the blue square', 'red']
    head = build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05),
                      reasoner=dict(temperature=0.05))
    predictions, _ = predict(head, scene, proposals, [0.5, 0.5, 0.5], texts)
    assert predictions.bboxes.tolist() == [proposals[2], proposals[0], proposals[0]]
    assert predictions.reasoned.tolist() == [True, True, False]  # "red": no geometry, CLIP's answer
    plain = build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05))
    predictions, _ = predict(plain, scene, proposals, [0.5, 0.5, 0.5], texts[:1])
    assert predictions.bboxes.tolist() == [proposals[0]]  # a tie between the red squares: the first wins


def test_blend_formula_and_objectness_normalisation():
    clip = torch.tensor([[0.7, 0.2, 0.1]])
    objectness = torch.tensor([0.1, 0.6, 0.3])
    branch = torch.tensor([[0.2, 0.2, 0.6]])
    expected = 0.4 * clip + 0.6 * (0.75 * objectness + 0.25 * branch)
    torch.testing.assert_close(blend_scores(clip, objectness, 0.4, branch, 0.25), expected)
    torch.testing.assert_close(blend_scores(clip, objectness, 0.4), 0.4 * clip + 0.6 * objectness)
    torch.testing.assert_close(objectness_distribution(torch.tensor([1.0, 3.0])), torch.tensor([0.25, 0.75]))
    torch.testing.assert_close(objectness_distribution(torch.tensor([1.0, 3.0]), normalize=False),
                               torch.tensor([1.0, 3.0]))


def test_each_crop_is_scored_against_the_prompts_of_its_own_location():
    templates = ('{query}', '{query}, {loc}', '{query} in the {loc} of the image')
    head = build_head(encoder=dict(type='HashTextColorEncoder'), blend=dict(clip_weight=1.0),
                      prompt_scorer=dict(prompt_templates=templates, temperature=1.0))
    image = make_image(60, 90, [(RED, (5, 5, 25, 25)), (BLUE, (60, 35, 85, 55)), (RED, (35, 22, 55, 38))])
    boxes = torch.tensor([[5, 5, 25, 25], [60, 35, 85, 55], [35, 22, 55, 38]], dtype=torch.float)
    predictions, _ = predict(head, image, boxes.tolist(), [1.0, 1.0, 1.0], ['red thing'])
    cells = location_cells(boxes, (60, 90))
    assert cells.tolist() == [0, 8, 4]
    crops = head.encoder.encode_boxes(GEOMETRY.view(image, dict(img_shape=(60, 90))), boxes)
    prompts = SpatialPromptExpander(templates).prompts('red thing')
    expected = torch.stack([
        F.cosine_similarity(crops[k:k + 1], head.encoder.encode_texts(prompts[cell]), dim=-1).mean()
        for k, cell in enumerate(cells.tolist())])
    best = int(expected.argmax())
    assert predictions.bboxes[0].tolist() == boxes[best].tolist()
    assert predictions.scores[0].item() == pytest.approx(F.softmax(expected, 0)[best].item(), abs=1e-5)


def test_prompt_embeddings_are_cached_across_images():
    head = build_head(blend=dict(clip_weight=0.5))
    predict(head, SCENE, PROPOSALS, [0.3, 0.9, 0.5], ['the red square'])
    calls = head.encoder.num_text_calls
    predict(head, SCENE, PROPOSALS, [0.3, 0.9, 0.5], ['the red square'])
    assert head.encoder.num_text_calls == calls


def test_the_head_is_composed_of_parts_built_from_config_dicts():
    """Part configs with or without their ``type`` build the same head."""
    from mmrec.models.method1.head_parts import ObjectnessBlend, PromptLocalSearch, SpatialPromptScorer
    from mmrec.models.scoring import SpatialReasoningRescorer
    templates = ('{query}', '{query}, {loc}')
    untyped = build_head(prompt_scorer=dict(prompt_templates=templates, temperature=0.05),
                         blend=dict(clip_weight=0.7), reasoner=dict(temperature=0.05))
    parts = MODELS.build(dict(
        type='CLIPTextConditionedHead', encoder=dict(type='MeanColorEncoder'),
        prompt_scorer=dict(type='SpatialPromptScorer', prompt_templates=templates, temperature=0.05),
        blend=dict(type='ObjectnessBlend', clip_weight=0.7),
        local_search=dict(type='PromptLocalSearch', enable=False),
        reasoner=dict(type='SpatialReasoningRescorer', temperature=0.05), branch=None))
    assert isinstance(parts.prompt_scorer, SpatialPromptScorer) and isinstance(parts.blend, ObjectnessBlend)
    assert isinstance(parts.local_search, PromptLocalSearch) and isinstance(parts.reasoner, SpatialReasoningRescorer)
    assert parts.branch is None and untyped.branch is None
    assert untyped.blend.clip_weight == 0.7 and untyped.prompt_scorer.temperature == 0.05
    texts = ['the red square', 'the square on the right']
    expected, _ = predict(untyped, SCENE, PROPOSALS, [0.3, 0.9, 0.5], texts)
    answers, _ = predict(parts, SCENE, PROPOSALS, [0.3, 0.9, 0.5], texts)
    torch.testing.assert_close(answers.bboxes, expected.bboxes)
    torch.testing.assert_close(answers.scores, expected.scores)


@pytest.mark.parametrize('kwargs, message', [
    (dict(clip_weight=0.3),
     r'clip_weight is a setting of blend=dict\(...\): model.roi_head.bbox_head.blend.clip_weight$'),
    # temperature is a setting of the prompt scorer and of the reasoner: the first part that has it is named
    (dict(temperature=0.05), r'prompt_scorer=dict\(...\): model.roi_head.bbox_head.prompt_scorer.temperature$'),
    (dict(fc_out_channels=16), r'model.roi_head.bbox_head.branch.fc_out_channels$'),
    (dict(shrink=0.5), r'model.roi_head.bbox_head.local_search.shrink$'),
    # the part's default type is read when its config is None (no branch here)
    (dict(in_channels=4), r'model.roi_head.bbox_head.branch.in_channels$'),
    (dict(with_branch=False), r'model.roi_head.bbox_head.branch=None$'),
    (dict(spatial_reasoning=dict()), r'model.roi_head.bbox_head.reasoner=dict'),
    (dict(neg_iou_thr=0.5, pos_iou_thr=0.5), r'neg_iou_thr .*model.train_cfg.rcnn.assigner.neg_iou_thr$'),
    (dict(clip_wieght=0.5), r"unexpected argument 'clip_wieght'$"),
])
def test_a_setting_outside_its_part_is_refused_naming_the_part_key(kwargs, message):
    """One config form: a part's setting given to the head itself (a --cfg-options flat key) is a TypeError
    whose one line names the key to set instead."""
    with pytest.raises(TypeError, match=message):
        build_head(**kwargs)


# -- local search -------------------------------------------------------------------------------------------
TARGET = torch.tensor([40.0, 30.0, 60.0, 50.0])


def search_head(enable: bool):
    return build_head(encoder=dict(type='RingContrastEncoder', context_ratio=0.25), crop_mode='context',
                      context_ratio=0.25, blend=dict(clip_weight=1.0),
                      local_search=dict(enable=enable, rounds=2, translations=(-0.1, 0.0, 0.1),
                                        scales=(0.9, 1.0, 1.1), shrink=0.5))


def test_local_search_moves_the_best_box_onto_the_score_peak():
    image = make_image(80, 100, [(RED, (40, 30, 60, 50))])
    off = [43.0, 27.0, 63.0, 49.0]  # the target, a little shifted and squashed
    boxes, objectness = [off, [5.0, 5.0, 25.0, 25.0]], [0.5, 0.5]
    predictions, _ = predict(search_head(True), image, boxes, objectness, ['red square'])
    refined = predictions.bboxes[0]
    assert box_iou(refined, TARGET) > box_iou(torch.tensor(off), TARGET) + 0.1
    unchanged, _ = predict(search_head(False), image, boxes, objectness, ['red square'])
    assert unchanged.bboxes[0].tolist() == off


def test_local_search_keeps_boxes_inside_the_image():
    # the red object lies on the image's corner: the search pushes the box out, the variants are clipped
    image = make_image(40, 50, [(RED, (0, 0, 12, 12))])
    predictions, _ = predict(search_head(True), image, [[0.0, 0.0, 10.0, 10.0]], [1.0], ['red'])
    x1, y1, x2, y2 = predictions.bboxes[0].tolist()
    assert 0 <= x1 < x2 <= 50 and 0 <= y1 < y2 <= 40


def test_local_search_encodes_each_distinct_variant_once():
    """Expressions starting from the same box share its variants, and the current box (variant 0, and the
    zero-shift variant) is not encoded again: same answers as one expression at a time, far fewer crops."""
    image = make_image(80, 100, [(RED, (40, 30, 60, 50))])
    boxes, objectness = [[43.0, 27.0, 63.0, 49.0], [5.0, 5.0, 25.0, 25.0]], [0.5, 0.5]
    head = search_head(True)
    encoded = []
    encode_pixels = head.encoder.encode_pixels
    head.encoder.encode_pixels = lambda pixels: encoded.append(len(pixels)) or encode_pixels(pixels)
    together, _ = predict(head, image, boxes, objectness, ['red square', 'the red one'])
    alone = [predict(head, image, boxes, objectness, [text])[0].bboxes[0] for text in ('red square', 'the red one')]
    # a batch of two expressions against one at a time: other shapes, so equal up to rounding (a wrong variant
    # chosen moves a box by a shift step, whole pixels)
    torch.testing.assert_close(together.bboxes, torch.stack(alone), rtol=0, atol=1e-3)
    # proposals (2), then round 1: 28 variants, the zero-shift one is the start box (27 crops); round 2: the
    # current box is known and reappears as the zero-shift variant (26 crops); shared by both expressions
    assert encoded[:3] == [2, 27, 26]


# -- bad input ----------------------------------------------------------------------------------------------
def test_no_proposals_answers_the_whole_image():
    head = build_head()
    predictions, candidates = predict(head, SCENE, torch.zeros(0, 4).tolist(), [], ['red', 'blue'])
    assert predictions.bboxes.tolist() == [[0, 0, 90, 60]] * 2
    assert predictions.scores.tolist() == [0, 0]
    assert candidates.bboxes.tolist() == [[0, 0, 90, 60]]
    assert head.policy.num_images_without_candidates == 1


def test_expression_without_words_falls_back_to_objectness():
    head = build_head(blend=dict(clip_weight=1.0), local_search=dict(enable=True))
    predictions, _ = predict(head, SCENE, PROPOSALS, [0.3, 0.9, 0.5], ['', 'red', '  ?! '])
    assert predictions.bboxes[0].tolist() == PROPOSALS[1]
    assert predictions.bboxes[2].tolist() == PROPOSALS[1]
    assert predictions.scores[0].item() == pytest.approx(0.9 / 1.7)
    assert box_iou(predictions.bboxes[1], torch.tensor(PROPOSALS[0], dtype=torch.float)) > 0.7
    assert head.policy.num_empty_expressions == 2


def test_image_smaller_than_the_crop_size():
    image = make_image(12, 20, [(RED, (1, 1, 6, 6)), (BLUE, (12, 4, 19, 11))])
    head = build_head(encoder=dict(type='MeanColorEncoder', crop_size=64), local_search=dict(enable=True))
    predictions, _ = predict(head, image, [[1, 1, 6, 6], [12, 4, 19, 11], [7, 0, 11, 12]], [0.4, 0.4, 0.4],
                             ['red', 'blue'])
    assert box_iou(predictions.bboxes[0], torch.tensor([1.0, 1.0, 6.0, 6.0])) > 0.5
    assert box_iou(predictions.bboxes[1], torch.tensor([12.0, 4.0, 19.0, 11.0])) > 0.5
    assert (predictions.bboxes[:, 2] <= 20).all() and (predictions.bboxes[:, 3] <= 12).all()


@pytest.mark.parametrize('kwargs, message', [
    (dict(blend=dict(clip_weight=1.5)), 'clip_weight'),
    (dict(blend=dict(branch_weight=-0.1)), 'branch_weight'),
    (dict(prompt_scorer=dict(temperature=0.0)), 'temperature'),
    (dict(prompt_scorer=dict(prompt_templates=['{loc}'])), 'no {query}'),
    (dict(local_search=dict(shrink=2.0)), 'shrink'),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_head(**kwargs)


# -- the trainable branch -----------------------------------------------------------------------------------
def test_branch_logits_follow_the_text_embedding():
    torch.manual_seed(0)  # the branch's initial weights and the features: unseeded, some draws give ties
    branch = RoITextBranch(embed_dim=3, in_channels=4, roi_feat_size=2, fc_out_channels=8, init_prior=0.2)
    branch.init_weights()
    embeddings, deltas = branch(torch.randn(5, 4, 2, 2))
    assert embeddings.shape == (5, 3) and deltas.shape == (5, 4)
    torch.testing.assert_close(embeddings.norm(dim=-1), torch.ones(5))
    texts = torch.stack([embeddings[2] * 4, -embeddings[2]])
    logits = branch.text_logits(embeddings, texts)
    assert logits.shape == (2, 5)
    assert int(logits[0].argmax()) == 2 and int(logits[1].argmin()) == 2
    # before training every pair starts at the prior
    assert torch.sigmoid(branch.text_logits(embeddings, torch.zeros(1, 3))).flatten()[0].item() == \
        pytest.approx(0.2)


def test_branch_score_joins_the_blend_and_refines_boxes():
    head = build_head(blend=dict(clip_weight=0.0, branch_weight=1.0), refine_boxes=False,
                      branch=dict(in_channels=4, roi_feat_size=2, num_shared_fcs=1, fc_out_channels=16))
    # a transparent branch: the fc passes the flat features on, the projection keeps the first three
    with torch.no_grad():
        head.branch.shared_fcs[0].weight.copy_(torch.eye(16))
        head.branch.shared_fcs[0].bias.zero_()
        head.branch.embed_proj.weight.zero_()
        head.branch.embed_proj.weight[:, :3] = torch.eye(3)
        head.branch.embed_proj.bias.zero_()
        head.branch.logit_scale.fill_(3.0)
    roi_feats = torch.zeros(3, 16)
    roi_feats[0, :3] = torch.tensor([1.0, 1.0, 1.0])  # along "white" = (0.5, 0.5, 0.5) for the double
    roi_feats[1, :3] = torch.tensor([1.0, 0.0, 0.0])
    roi_feats[2, :3] = torch.tensor([0.0, 0.0, 1.0])
    roi_feats = roi_feats.view(3, 4, 2, 2)
    objectness = [0.3, 0.9, 0.5]
    predictions, _ = predict(head, SCENE, PROPOSALS, objectness, ['the white one'], roi_feats)
    assert predictions.bboxes[0].tolist() == PROPOSALS[0]  # the branch wins against the objectness
    head.blend.branch_weight = 0.0
    predictions, _ = predict(head, SCENE, PROPOSALS, objectness, ['the white one'], roi_feats)
    assert predictions.bboxes[0].tolist() == PROPOSALS[1]
    # box refinement: dx = 1 (times the coder's 0.1 std) moves every proposal right by 10% of its width
    head.refine_boxes = True
    with torch.no_grad():
        head.branch.fc_reg.weight.zero_()
        head.branch.fc_reg.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    _, candidates = predict(head, SCENE, PROPOSALS, objectness, ['the white one'], roi_feats)
    expected = torch.tensor(PROPOSALS, dtype=torch.float)
    expected[:, 0::2] += 0.1 * (expected[:, 2:3] - expected[:, 0:1])
    torch.testing.assert_close(candidates.bboxes, expected)


def build_roi_head():
    return MODELS.build(dict(
        type='TextConditionedRoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=2,
                                                                            sampling_ratio=0),
                                out_channels=4, featmap_strides=[4]),
        bbox_head=dict(type='CLIPTextConditionedHead', encoder=dict(type='MeanColorEncoder'),
                       branch=dict(in_channels=4, roi_feat_size=2, fc_out_channels=16)),
        train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                                     match_low_quality=False, ignore_iof_thr=-1),
                       sampler=dict(type='RandomSampler', num=64, pos_fraction=0.25, neg_pos_ub=-1,
                                    add_gt_as_proposals=True))))


def roi_loss(roi_head, texts, referred):
    from mmdet.structures import DetDataSample
    sample = DetDataSample(metainfo=dict(texts=texts, img_shape=(64, 64)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor(referred, dtype=torch.float),
                                       labels=torch.zeros(len(referred), dtype=torch.long))
    proposals = InstanceData(bboxes=torch.tensor([[0.0, 0.0, 20.0, 20.0], [30.0, 30.0, 60.0, 60.0],
                                                  [2.0, 2.0, 22.0, 20.0]]), scores=torch.ones(3))
    features = (torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(0)), )
    return roi_head.loss(features, [proposals], [sample])


def test_branch_loss_skips_expressions_without_words():
    torch.manual_seed(0)
    roi_head = build_roi_head()
    losses = roi_loss(roi_head, ['red', ''], [[0, 0, 20, 20], [30, 30, 60, 60]])
    assert set(losses) == {'loss_text', 'loss_bbox'}
    assert torch.isfinite(losses['loss_text']) and losses['loss_text'] > 0
    assert losses['loss_bbox'] > 0  # the proposal [2, 2, 22, 20] is a positive with an offset
    empty = roi_loss(roi_head, ['', ' ?'], [[0, 0, 20, 20], [30, 30, 60, 60]])
    assert empty['loss_text'].item() == 0.0
    empty['loss_text'].backward()  # still connected to the branch (distributed training needs it)
    assert roi_head.bbox_head.branch.logit_scale.grad is not None
    with pytest.raises(ValueError, match='2 texts but 1 referred boxes'):
        roi_loss(roi_head, ['red', 'blue'], [[0, 0, 20, 20]])


def test_a_faster_rcnn_box_head_checkpoint_initialises_the_branch_fcs():
    head = build_head(branch=dict(in_channels=4, roi_feat_size=2, fc_out_channels=16))
    coco_like = {'shared_fcs.0.weight': torch.full((16, 16), 0.5), 'shared_fcs.0.bias': torch.ones(16),
                 'shared_fcs.1.weight': torch.eye(16), 'shared_fcs.1.bias': torch.zeros(16),
                 'fc_cls.weight': torch.zeros(81, 16)}
    result = head.load_state_dict(coco_like, strict=False)
    assert torch.equal(head.branch.shared_fcs[0].weight, torch.full((16, 16), 0.5))
    assert torch.equal(head.branch.shared_fcs[1].weight, torch.eye(16))
    assert result.unexpected_keys == ['fc_cls.weight']
