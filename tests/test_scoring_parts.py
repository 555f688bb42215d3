"""The scoring pieces both methods share (``mmrec.models.scoring``): the reasoner and score subtraction as
registered parts set the same way in both methods, and the scoring policy's fallbacks, size prior and counters."""
import pytest
import torch
from mmdet.registry import MODELS

import mmrec.models  # noqa: F401  (registers the modules)
import mmrec.testing  # noqa: F401  (registers MeanColorEncoder)
from mmrec.models.scoring import ScoreSubtraction, SpatialReasoningRescorer
from mmrec.models.scoring.policy import ScoringPolicy, has_words, top_prior
from mmrec.models.spatial_reasoning import reason_rows

ENCODER = dict(type='MeanColorEncoder')


def scorer(**options):
    return MODELS.build(dict(type='CLIPProposalScorer', encoder=ENCODER, **options))


def head(**options):
    return MODELS.build(dict(type='CLIPTextConditionedHead', encoder=ENCODER, branch=None,
                             local_search=None, **options))


# -- the parts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('reasoner', [dict(type='SpatialReasoningRescorer', size_spread=3.0), dict(size_spread=3.0)])
def test_both_methods_build_the_same_reasoner_part_from_the_same_key(reasoner):
    """Typed or not, ``reasoner=`` is the one registered part in both; its temperature defaults to the CLIP's."""
    parts = [scorer(reasoner=dict(reasoner)).reasoner, head(reasoner=dict(reasoner)).reasoner]
    for part in parts:
        assert type(part) is SpatialReasoningRescorer
        assert part.reasoner.size_spread == 3.0
        assert part.reasoner.temperature == pytest.approx(float(part.encoder.temperature))
    assert scorer().reasoner is None and head().reasoner is None


def test_the_plain_keyword_of_before_is_gone_from_method_2():
    with pytest.raises(TypeError, match='spatial_reasoning'):
        scorer(spatial_reasoning=dict())
    with pytest.raises(TypeError, match=r'model.roi_head.bbox_head.reasoner=dict'):
        head(spatial_reasoning=dict())


def test_score_subtraction_is_a_registered_part_typed_or_not():
    typed = scorer(score_subtraction=dict(type='ScoreSubtraction', num_texts=2, source=['a', 'b', 'c'], seed=1))
    untyped = scorer(score_subtraction=dict(num_texts=2, source=['a', 'b', 'c'], seed=1))
    assert isinstance(typed.score_subtraction, ScoreSubtraction)
    assert typed.score_subtraction.texts == untyped.score_subtraction.texts and len(typed.score_subtraction.texts) == 2
    assert scorer().score_subtraction is None
    with pytest.raises(KeyError, match='NoSuchSubtraction'):
        scorer(score_subtraction=dict(type='NoSuchSubtraction'))


def test_the_reasoner_part_scores_phrases_with_the_similarity_its_method_hands_it():
    """Method 1's crop similarity is the cosine of the crops to the encoder's phrase embeddings; whatever
    similarity is given, the part answers as :func:`reason_rows` does with it."""
    part = head(reasoner=dict(temperature=0.05)).reasoner
    crops = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), dim=-1)
    similarity = part.crop_similarity(crops)
    assert torch.allclose(similarity(['red', 'blue']), part.encoder.encode_texts(['red', 'blue']) @ crops.T)
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [80.0, 0.0, 90.0, 10.0]])
    scores = torch.tensor([[0.5, 0.5], [0.9, 0.1]])
    texts = ['the square on the right', 'red']
    prior = torch.tensor([0.5, 0.5])
    got, reasoned = part(scores, texts, boxes, similarity, (60, 90), prior=prior)
    want, want_reasoned = reason_rows(part.reasoner, scores, texts, boxes, similarity, (60, 90), prior=prior)
    assert torch.allclose(got, want) and reasoned.tolist() == want_reasoned.tolist() == [True, False]
    assert got[0].argmax() == 1 and torch.equal(got[1], scores[1])  # "red" has no geometry: kept


# -- the policy ------------------------------------------------------------------------------------------------
def test_the_whole_image_fallback_is_counted_each_time():
    policy = ScoringPolicy('Owner', candidates='proposals')
    like = torch.zeros(0, 4)
    assert policy.whole_image((60, 90), like, img_id=3).tolist() == [[0.0, 0.0, 90.0, 60.0]]
    assert policy.whole_image((60.5, 90), like).tolist() == [[0.0, 0.0, 90.0, 60.5]]
    assert policy.num_images_without_candidates == 2


def test_expressions_without_words_are_found_and_counted_unless_asked_not_to():
    policy = ScoringPolicy('Owner')
    assert policy.answerable(['red', '', ' ?! '], fallback='x') == [True, False, False]
    assert policy.answerable(['2', '...'], fallback='x') == [True, False]  # the second call adds its one
    assert policy.num_empty_expressions == 3
    assert policy.answerable(['', 'a'], count=False) == [False, True]
    assert policy.num_empty_expressions == 3
    assert has_words('2') and not has_words('  ')


def test_the_fallback_answer_is_the_first_highest_prior():
    index, score = top_prior(torch.tensor([0.2, 0.7, 0.7, 0.1]))
    assert int(index) == 1 and float(score) == pytest.approx(0.7)


def test_the_size_prior_is_off_at_zero_and_keeps_a_box_of_exactly_the_threshold():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 5.0], [0.0, 0.0, 10.0, 4.9]])
    assert ScoringPolicy('Owner').size_prior(boxes, (10, 10)) is None
    assert ScoringPolicy('Owner', 0.5).size_prior(boxes, (10, 10, 3)).tolist() == [True, False]
    assert ScoringPolicy('Owner', 0.9).size_prior(boxes, (10, 10)).tolist() == [True, True]  # none large: all
    with pytest.raises(ValueError, match='Owner: min_box_fraction must be in'):
        ScoringPolicy('Owner', 1.0)


def test_both_methods_keep_their_counters_in_the_shared_policy():
    assert isinstance(scorer(min_box_fraction=0.05).policy, ScoringPolicy)
    assert head(min_box_fraction=0.05).policy.min_box_fraction == 0.05


# -- the cache contract, declared next to the scoring modules ----------------------------------------------------
def test_every_head_argument_is_declared_scoring_or_work_exactly_once():
    """A new head argument must be classified where the constructor is: a scoring one that is not declared
    would needlessly miss the cache; one deciding the image work declared scoring would reuse stale work."""
    import inspect

    from mmrec.models import CLIPTextConditionedHead, TextConditionedRCNN
    arguments = {name for name, parameter in inspect.signature(CLIPTextConditionedHead.__init__).parameters.items()
                 if name != 'self' and parameter.kind is not parameter.VAR_KEYWORD}
    scoring, work = set(CLIPTextConditionedHead.SCORING_ARGS), set(CLIPTextConditionedHead.WORK_ARGS)
    assert not scoring & work and scoring | work == arguments
    assert set(TextConditionedRCNN.CACHE_SCORING_KEYS) == {f'roi_head.bbox_head.{name}' for name in scoring}
    heads_settings = {key.split('.')[0] for key in CLIPTextConditionedHead.TEXT_INDEPENDENT_KEYS}
    assert heads_settings <= scoring and 'reasoner' not in heads_settings and 'blend' not in heads_settings
