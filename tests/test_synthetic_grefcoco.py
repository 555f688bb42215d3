"""The synthetic generator in gRefCOCO's layout: refs to one object, several or none, read by GRefCOCODataset, and
method 2 answering with a score threshold (the mean-colour encoder, the image's annotated boxes as candidates)."""
import filecmp
import json

import cv2
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmrec.datasets import GRefCOCODataset
from mmrec.datasets.synthetic_grefcoco import generate_synthetic_grefcoco, parse_plural, plural_referents
from mmrec.datasets.synthetic_language import Query, Scene, SceneObject
from mmrec.evaluation import GRECMetric
from mmrec.models import CropGeometry, InputNormalization
from mmrec.testing import detector_input

NUM_IMAGES = {'val': 12}


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('grefcoco'))
    return root, generate_synthetic_grefcoco(root, num_images=NUM_IMAGES, image_size=(128, 96), seed=0)


@pytest.fixture(scope='module')
def dataset(generated):
    return GRefCOCODataset(**generated[1]['dataset_kwargs'], split='val', test_mode=True)


def test_dataset_reads_one_several_and_no_targets(generated, dataset):
    root, summary = generated
    kinds = summary['kinds']['val']
    assert kinds['multi'] > 0 and kinds['none'] > 0 and kinds['attribute'] + kinds['spatial'] > 0
    expressions = [e for i in range(len(dataset)) for e in dataset.get_data_info(i)['expressions']]
    assert len(expressions) == summary['num_expressions']['val'] and dataset.skipped.total == 0
    counts = {'one': 0, 'several': 0, 'none': 0}
    for expression in expressions:
        counts['none' if expression['no_target'] else 'one' if len(expression['bboxes']) == 1 else 'several'] += 1
    with open(summary['split_file']) as f:
        sentences = [s for ref in json.load(f) for s in ref['sentences']]
    assert counts['several'] == sum(s['kind'] == 'multi' for s in sentences) == kinds['multi']
    assert counts['none'] == kinds['none']
    # the count word is the number of referents: 'both' / 'two' -> two boxes (the quickstart's two-referent case)
    count_words = {'both': 2, 'two': 2, 'three': 3}
    for expression in expressions:
        said = [count_words[w] for w in expression['text'].split() if w in count_words]
        assert said == ([] if len(expression['bboxes']) <= 1 else [len(expression['bboxes'])]), expression['text']
    assert any(len(expression['bboxes']) == 2 for expression in expressions)


def _scene_of(dataset, index):
    """The Scene of image ``index`` rebuilt from its instances.json annotations (with their attributes)."""
    with open(dataset.ann_file) as f:
        coco = json.load(f)
    info = dataset.get_data_info(index)
    anns = [a for a in coco['annotations'] if a['image_id'] == info['img_id']]
    names = {c['id']: c['name'] for c in coco['categories']}
    objects = tuple(SceneObject(names[a['category_id']], a['attributes']['colour'], a['attributes']['size'],
                                cx=int(a['bbox'][0] + a['bbox'][2] // 2), cy=int(a['bbox'][1] + a['bbox'][3] // 2),
                                half=int(a['bbox'][2] // 2)) for a in anns)
    return Scene(info['width'], info['height'], objects), anns, info


def test_every_plural_sentence_denotes_exactly_its_targets(dataset):
    checked = 0
    for index in range(len(dataset)):
        scene, anns, info = _scene_of(dataset, index)
        for expression in info['expressions']:
            if len(expression['bboxes']) > 1:
                targets = [anns.index(next(a for a in anns if a['id'] == ann_id)) for ann_id in expression['ann_id']]
                assert plural_referents(expression['text'], scene) == targets
                checked += 1
    assert checked > 0


def test_plural_words_and_the_count_they_say():
    red = [SceneObject('circle', 'red', 'small', 10 + 30 * i, 20, 5) for i in range(3)]
    assert parse_plural('both red circles') == (Query('circle', 'red'), 2)
    assert parse_plural('the three big shapes') == (Query(None, None, 'large'), 3)
    assert plural_referents('the two red circles', Scene(100, 50, tuple(red[:2]))) == [0, 1]
    assert plural_referents('the two red circles', Scene(100, 50, tuple(red))) == []  # three of them
    assert plural_referents('the three red circles', Scene(100, 50, tuple(red))) == [0, 1, 2]
    for text in ('the red circles', 'both red circle', 'both red stars', 'two red red circles'):
        with pytest.raises(ValueError, match='not a synthetic'):
            parse_plural(text)


def test_same_seed_same_files(generated, tmp_path):
    root, summary = generated
    again = generate_synthetic_grefcoco(str(tmp_path), num_images=NUM_IMAGES, image_size=(128, 96), seed=0)
    assert filecmp.cmp(summary['split_file'], again['split_file'], shallow=False)
    assert filecmp.cmp(summary['ann_file'], again['ann_file'], shallow=False)
    with pytest.raises(ValueError, match='no_target_rate'):
        generate_synthetic_grefcoco(str(tmp_path), num_images={'val': 1}, no_target_rate=1.5)


def _grec_metrics(dataset, threshold, dump_file=None):
    """Method 2's scorer (mean-colour encoder, generalised answers at ``threshold``) over every image, the image's
    annotated boxes as candidates (the ground-truth boxes setting), scored by GRECMetric."""
    scorer = MODELS.build(dict(type='CLIPProposalScorer', encoder=dict(type='MeanColorEncoder'),
                               generalized_score_thr=threshold))
    metric = GRECMetric(score_thr=threshold, dump_file=dump_file)
    with open(dataset.ann_file) as f:
        annotations = json.load(f)['annotations']
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        boxes = [[x, y, x + w, y + h] for a in annotations if a['image_id'] == info['img_id'] for x, y, w, h in
                 [a['bbox']]]
        inputs, meta, preprocessor = detector_input(cv2.imread(info['img_path']))
        view = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor)).view(inputs, meta)
        candidates = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32), scores=torch.ones(len(boxes)))
        answers, _ = scorer(view, candidates, [e['text'] for e in info['expressions']], meta)
        sample = DetDataSample(metainfo=dict(img_id=info['img_id'], expressions=info['expressions']))
        sample.pred_instances = answers
        metric.process({}, [sample.to_dict()])
    return metric.compute_metrics(metric.results)


def test_method2_with_a_threshold_answers_some_targets_and_some_none(dataset, tmp_path):
    """The encoder reads only the colour words red / green / blue / yellow: at a cosine threshold of 0.9 the
    objects of the named colour answer ('both green shapes'), an expression without such a word gets none (right
    when it refers to nothing); -1 answers with everything, 2 with nothing."""
    middle = _grec_metrics(dataset, 0.9, dump_file=str(tmp_path / 'rows.jsonl'))
    everything, nothing = _grec_metrics(dataset, -1.0), _grec_metrics(dataset, 2.0)
    assert everything['n_acc'] == 0.0 and everything['t_acc'] == 1.0
    assert nothing['n_acc'] == 1.0 and nothing['t_acc'] == 0.0
    # some expressions with targets are answered exactly right, which neither extreme can do
    target_right = middle['pr_f1'] * (middle['target_count'] + middle['no_target_count']) - \
        middle['n_acc'] * middle['no_target_count']
    assert target_right >= 1
    assert middle['pr_f1'] > max(everything['pr_f1'], nothing['pr_f1'])
    rows = [json.loads(line) for line in (tmp_path / 'rows.jsonl').read_text().splitlines()]
    several_right = [row for row in rows if len(row['gt_bboxes']) > 1 and row['correct']]
    assert several_right and all(len(row['pred_bboxes']) == len(row['gt_bboxes']) for row in several_right)


def test_command_line_tool_writes_the_grefcoco_layout(tmp_path, load_tool, capsys):
    summary = load_tool('make_synthetic_refer').main([
        str(tmp_path), '--layout', 'grefcoco', '--num-train', '0', '--num-val', '3', '--num-testA', '0',
        '--num-testB', '0', '--width', '96', '--height', '80', '--no-target-rate', '1'])
    out = capsys.readouterr().out
    assert 'grefs(unc).json' in out and 'val: 3 images' in out and 'none ' in out
    assert summary['kinds']['val']['none'] >= 3  # every image gets a ref to nothing (each has 1-2 sentences)
    dataset = GRefCOCODataset(**summary['dataset_kwargs'], split='val', test_mode=True)
    assert len(dataset) == 3 and cv2.imread(dataset.get_data_info(0)['img_path']).shape[:2] == (80, 96)
