"""The quickstart's generalised row (mmrec/apps/quickstart/generalized.py): the synthetic gRefCOCO data, the
threshold swept on val with tools/sweep.py, testA evaluated with tools/test.py at the chosen one, the table."""
import io
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmrec.apps.quickstart import ProgressPrinter, QuickstartSettings, Stage, run_stages
from mmrec.apps.quickstart.generalized import (GREC_KEY, GREC_THRESHOLDS, chosen_threshold, generate_grefcoco,
                                              grec_report, grec_stages, newest_run_file)
from mmrec.apps.quickstart.settings import CONFIG_DIR, CONFIGS
from mmrec.datasets.synthetic_language import vocabulary
from mmrec.paths import REPO_ROOT
from mmrec.testing.rec_fixtures import save_tiny_clip
from mmrec.testing.tiny_detectors import save_detector_checkpoint


def test_the_chosen_threshold_is_the_best_val_point_and_the_first_of_equal_ones():
    points = [dict(point={GREC_KEY: 0.1}, metrics={'grec/pr_f1': 0.2}),
              dict(point={GREC_KEY: 0.3}, metrics={'grec/pr_f1': 0.5, 'grec/n_acc': 0.4}),
              dict(point={GREC_KEY: 0.5}, metrics={'grec/pr_f1': 0.5, 'grec/n_acc': 0.9})]
    assert chosen_threshold(points) == (0.3, {'grec/pr_f1': 0.5, 'grec/n_acc': 0.4})
    with pytest.raises(ValueError, match='no point'):
        chosen_threshold([dict(point={'model.scorer.top_k': 5}, metrics={'grec/pr_f1': 1.0})])


def test_the_generalised_stages_choose_on_val_and_report_test_a(tmp_path):
    """Random tiny weights stand in for the trained detector and CLIP: the figures mean nothing, the plumbing
    does (the threshold tested is the sweep's best on val, testA's counts are the data's)."""
    settings = QuickstartSettings(work_dir=str(tmp_path / 'work'), grefcoco_root=str(tmp_path / 'grefcoco'),
                                  num_grec=2, image_size=(128, 96))

    def random_detector() -> str:
        cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG_DIR, CONFIGS['finetune']))
        os.makedirs(settings.path('detector_finetuned'))
        path = save_detector_checkpoint(cfg.model, settings.path('detector_finetuned', 'epoch_1.pth'))
        with open(settings.path('detector_finetuned', 'last_checkpoint'), 'w') as f:
            f.write(path)
        return 'random detector'

    stages = [Stage('data', 'data', function=lambda: generate_grefcoco(settings)),
              Stage('detector_finetuned', 'detector', function=random_detector),
              Stage('clip', 'CLIP', function=lambda: save_tiny_clip(settings.path('clip', 'clip'), vocabulary())),
              *grec_stages(settings)]
    out = io.StringIO()
    run_stages(stages, settings, ProgressPrinter(out))
    assert 'sweep_grec' in out.getvalue() and 'eval_grec' in out.getvalue()

    with open(newest_run_file(settings.path('eval', 'grec_sweep'), 'sweep.json')) as f:
        swept = json.load(f)
    assert [entry['point'][GREC_KEY] for entry in swept] == list(GREC_THRESHOLDS)
    best = max(entry['metrics']['grec/pr_f1'] for entry in swept)
    table = grec_report(settings)
    with open(settings.path('results_generalized.json')) as f:
        row = json.load(f)
    first_best = next(entry for entry in swept if entry['metrics']['grec/pr_f1'] == best)
    assert row['threshold'] == first_best['point'][GREC_KEY] and row['val_pr_f1'] == best
    with open(osp.join(settings.grefcoco_root, 'grefcoco', 'grefs(unc).json')) as f:
        test_a = [sentence for ref in json.load(f) if ref['split'] == 'testA' for sentence in ref['sentences']]
    no_target = sum(sentence['kind'] == 'none' for sentence in test_a)
    assert (row['num_target'], row['num_no_target']) == (len(test_a) - no_target, no_target)
    assert sum(row['count_per_kind'].values()) == len(test_a) and row['count_per_kind'].get('none', 0) == no_target
    assert all(0.0 <= share <= 1.0 for share in row['pr_f1_per_kind'].values())
    for key in ('pr_f1', 'n_acc', 't_acc'):
        assert row[key] is None or 0.0 <= row[key] <= 1.0
    # testA was answered at the chosen threshold: every kept box scores at least that
    with open(settings.path('eval', 'grec', 'predictions.jsonl')) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    assert len(lines) == len(test_a)
    assert all(score >= row['threshold'] - 1e-6 for line in lines for score in line['scores'])
    assert 'Pr@(F1=1, IoU>=0.5)' in table and 'N-acc' in table and f'{row["threshold"]:g}' in table
