"""The quickstart: its stage runner on tiny commands, and a reduced end-to-end run (few images, one epoch).

The reduced run goes through tools/quickstart.py exactly as a user does (same configs, tools/train.py and
tools/test.py as subprocesses), with 6 train / 3 val images of 128x96 pixels and one epoch per training.
"""
import io
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmrec.datasets.refer_io import load_instances, load_refs
from mmrec.apps.quickstart import (ROWS, ProgressPrinter, QuickstartSettings, Stage, StageFailed, chance_accuracy,
                              evaluation_stage, format_duration, progress_of, resize_step, run_stages,
                              training_stages)
from mmrec.apps.quickstart.generalized import sweep_stage

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROW_KEYS = ['method1_baseline', 'method1_finetuned', 'method2_untuned', 'method2_finetuned',
            'method2_untuned_crop_only', 'method2_finetuned_crop_only']


# ---------------------------------------------------------------------------------------------- pieces
def test_progress_of_reads_mmengine_log_lines():
    train = ('11/24 21:48:35 - mmengine - INFO - Epoch(train)  [8][10/50]  lr: 2.0000e-02  eta: 0:00:55  '
             'time: 0.2398  data_time: 0.0063  loss: 0.5249  loss_rpn_cls: 0.0729')
    assert progress_of(train, max_epochs=12) == 'epoch 8/12, iteration 10/50, loss 0.525'
    assert progress_of(train) == 'epoch 8, iteration 10/50, loss 0.525'
    test = '11/24 21:50:34 - mmengine - INFO - Epoch(test) [20/50]    eta: 0:00:03  time: 0.1445'
    assert progress_of(test) == 'evaluated 20/50 images'
    assert progress_of('11/24 21:36:48 - mmengine - INFO - Checkpoints will be saved to /tmp.') is None


def test_format_duration():
    assert format_duration(0) == '0:00'
    assert format_duration(75.4) == '1:15'
    assert format_duration(3725) == '1:02:05'


def python_stage(name: str, code: str, needs=()) -> Stage:
    return Stage(name, f'run {name}', needs=needs, make_argv=lambda: ['-c', code])


def test_run_stages_orders_by_needs_and_reuses_finished_commands(tmp_path):
    trace = tmp_path / 'trace.txt'
    append = f"open({str(trace)!r}, 'a').write('{{}}\\n')"
    settings = QuickstartSettings(work_dir=str(tmp_path / 'work'), jobs=2)
    # 'late' is listed first but needs 'early', which sleeps: it must still run after it
    stages = [python_stage('late', append.format('late'), needs=('early', )),
              python_stage('early', 'import time; time.sleep(0.5); ' + append.format('early')),
              Stage('summary', 'summarise', needs=('late', ), function=lambda: 'summarised')]
    out = io.StringIO()
    durations = run_stages(stages, settings, ProgressPrinter(out), poll_seconds=0.05)
    assert trace.read_text().split() == ['early', 'late']
    assert set(durations) == {'early', 'late', 'summary'}
    assert 'summarised' in out.getvalue() and 'early' in out.getvalue()

    settings.reuse = True
    run_stages(stages, settings, ProgressPrinter(io.StringIO()), poll_seconds=0.05)
    assert trace.read_text().split() == ['early', 'late']  # same commands: nothing ran again


def test_run_stages_stops_at_a_failing_tool_and_names_its_log(tmp_path):
    settings = QuickstartSettings(work_dir=str(tmp_path / 'work'), jobs=1)
    stages = [python_stage('broken', "import sys; print('the culprit'); sys.exit(3)"),
              python_stage('after', 'pass', needs=('broken', ))]
    with pytest.raises(StageFailed, match=r'stage broken failed \(exit code 3\)') as error:
        run_stages(stages, settings, ProgressPrinter(io.StringIO()), poll_seconds=0.05)
    assert 'the culprit' in str(error.value)
    assert osp.join('logs', 'broken.log') in str(error.value)
    assert not osp.exists(osp.join(settings.work_dir, 'logs', 'after.log'))


def test_untuned_detector_rows_are_evaluated_at_its_training_scale(tmp_path, monkeypatch):
    settings = QuickstartSettings(work_dir=str(tmp_path), image_size=(320, 240), source_image_size=(160, 120))
    monkeypatch.setattr('mmrec.apps.quickstart.stages.last_checkpoint', lambda work_dir: osp.join(work_dir, 'epoch_1.pth'))
    scales = {}
    for row in ROWS:
        argv = evaluation_stage(row, settings).make_argv()
        scales[row.key] = [option for option in argv if '.scale=' in option][0].split('=')[1]
        assert argv[2].startswith(settings.path(row.detector))
    assert {key for key, scale in scales.items() if scale == '(160,120)'} == {
        row.key for row in ROWS if row.detector == 'detector_untuned'}
    assert scales['method2_finetuned'] == scales['method1_finetuned'] == '(320,240)'


def test_scale_options_set_the_resize_step_found_by_type(tmp_path, monkeypatch):
    """Every --cfg-options scale of the quickstart lands on a Resize step of the config it is given to."""
    from mmengine.config import Config, DictAction
    settings = QuickstartSettings(work_dir=str(tmp_path), image_size=(128, 96), source_image_size=(96, 72))
    for module in ('stages', 'generalized'):
        monkeypatch.setattr(f'mmrec.apps.quickstart.{module}.last_checkpoint',
                            lambda work_dir: osp.join(work_dir, 'epoch_1.pth'))
    stages = training_stages(settings) + [evaluation_stage(row, settings) for row in ROWS] + [
        sweep_stage(settings)]  # the generalised row's threshold sweep (its test stage reads the sweep's choice)
    source_scale_rows = {f'eval_{row.key}': row.at_source_scale for row in ROWS}
    checked = 0
    for stage in stages:
        argv = stage.make_argv()
        options = argv[argv.index('--cfg-options') + 1:]
        scales = [option for option in options if '.scale=' in option]
        if not scales:
            continue
        cfg = Config.fromfile(osp.join(REPO, argv[1]), import_custom_modules=False)
        cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in (o.split('=', 1) for o in scales)})
        loader = scales[0].split('.')[0]
        resize = [step for step in cfg[loader].dataset.pipeline if step.type == 'Resize']
        at_source_scale = stage.name == 'detector_untuned' or source_scale_rows.get(stage.name, False)
        expected = settings.source_image_size if at_source_scale else settings.image_size
        assert len(resize) == 1 and tuple(resize[0].scale) == expected, stage.name
        checked += 1
    assert checked == len(stages) - 1  # all but the CLIP's training (crops: no Resize)


def test_resize_step_refuses_a_pipeline_without_one():
    with pytest.raises(ValueError, match='0 Resize steps'):
        resize_step('configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py', 'train_dataloader.dataset')


def test_run_stages_refuses_unknown_needs(tmp_path):
    settings = QuickstartSettings(work_dir=str(tmp_path / 'work'))
    with pytest.raises(ValueError, match='needs unknown stage'):
        run_stages([python_stage('a', 'pass', needs=('missing', ))], settings, ProgressPrinter(io.StringIO()))


# ---------------------------------------------------------------------------------------------- reduced run
@pytest.fixture(scope='module')
def reduced_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('quickstart')
    work_dir, data_root = str(root / 'work'), str(root / 'data')
    args = ['tools/quickstart.py', '--work-dir', work_dir, '--data-root', data_root,
            '--source-root', str(root / 'source'), '--grefcoco-root', str(root / 'grefcoco'), '--num-grec', '2',
            '--num-train', '6', '--num-val', '3', '--num-source', '6',
            '--image-size', '128', '96', '--source-image-size', '96', '72', '--seed', '1',
            '--detector-epochs', '1', '--finetune-epochs', '1', '--clip-epochs', '1', '--method1-epochs', '1']
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return dict(work_dir=work_dir, data_root=data_root, stdout=proc.stdout)


def test_reduced_quickstart_writes_every_row_in_range(reduced_run):
    with open(osp.join(reduced_run['work_dir'], 'results.json')) as f:
        results = json.load(f)
    assert [r['key'] for r in results] == ROW_KEYS
    val_expressions = sum(len(ref['sentences']) for ref in load_refs(
        osp.join(reduced_run['data_root'], 'synthetic', 'refs(unc).p')) if ref['split'] == 'val')
    for row in results:
        assert row['method'] and row['split'] == 'val'
        for key in ('accuracy', 'mean_iou', 'upper_bound', 'chance'):
            assert 0.0 <= row[key] <= 1.0, (row['key'], key)
        assert set(row['per_kind']) <= {'attribute', 'spatial', 'relational'} and row['per_kind']
        assert all(0.0 <= v <= 1.0 for v in row['per_kind'].values())
        assert row['num_expressions'] == val_expressions
        # the reported accuracy is the share of the dumped predictions with IoU >= 0.5
        with open(osp.join(reduced_run['work_dir'], 'eval', row['key'], 'predictions.jsonl')) as f:
            ious = [json.loads(line)['iou'] for line in f if line.strip()]
        assert row['accuracy'] == pytest.approx(sum(iou >= 0.5 for iou in ious) / len(ious))
        if row['key'].startswith('method2'):  # method 2 answers with one of its candidates
            assert row['accuracy'] <= row['upper_bound']


def test_reduced_quickstart_chance_is_one_over_the_objects(reduced_run):
    data_root = reduced_run['data_root']
    objects = {}
    for ann in load_instances(osp.join(data_root, 'synthetic', 'instances.json'))['annotations']:
        objects[ann['image_id']] = objects.get(ann['image_id'], 0) + 1
    guesses = [1 / objects[ref['image_id']] for ref in load_refs(osp.join(data_root, 'synthetic', 'refs(unc).p'))
               if ref['split'] == 'val' for _ in ref['sentences']]
    assert chance_accuracy(data_root) == pytest.approx(sum(guesses) / len(guesses))
    assert 1 / 6 <= chance_accuracy(data_root) <= 1 / 3  # 3-6 objects per scene


def test_reduced_quickstart_draws_pictures_and_reports_progress(reduced_run):
    work_dir = reduced_run['work_dir']
    for key in ROW_KEYS:  # one picture per val image (--max-per-image 1)
        pictures = [p for p in os.listdir(osp.join(work_dir, 'pictures', key)) if p.endswith('.jpg')]
        assert len(pictures) == 3, key
    stdout = reduced_run['stdout']
    for stage in ('data', 'detector_untuned', 'clip', 'detector_finetuned', 'method1_train',
                  'eval_method1_baseline', 'eval_method2_finetuned', 'report'):
        assert stage in stdout, stage
    assert 'Table 1' in stdout and 'upper bound' in stdout
    assert 'sweep_grec' in stdout and 'Generalised REC' in stdout and 'N-acc' in stdout  # the generalised row
    with open(osp.join(work_dir, 'results_generalized.json')) as f:
        assert 0.0 <= json.load(f)['pr_f1'] <= 1.0
    with open(osp.join(work_dir, 'timings.json')) as f:
        timings = json.load(f)
    assert timings['total_seconds'] > 0 and 'eval_method1_finetuned' in timings['stages_seconds']
