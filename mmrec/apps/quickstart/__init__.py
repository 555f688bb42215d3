"""The quickstart: the whole REC pipeline on synthetic shapes, offline, on a laptop CPU.

``tools/quickstart.py`` calls :func:`run_quickstart`, which

1. writes the data: the REC data set (train / val splits of coloured shapes, ``data/synthetic``) and a
   differently distributed *source* set for the untuned detector (another seed, half the image size,
   ``data/synthetic_source``), plus their detection files (``tools/prepare_refcoco.py``);
2. trains, each with ``tools/train.py`` and a config of ``configs/quickstart/``: the untuned detector (on the
   source set), the fine-tuned detector (from it, on the REC train split), the tiny region-text CLIP, and
   method 1's head (RPN + branch fine-tuned from the untuned detector);
3. evaluates the four rows of the report's Table 1 on the val split with ``tools/test.py``: method 1 baseline
   (zero-shot head over the untuned detector) and fine-tuned, method 2 over the untuned and over the
   fine-tuned detector, all with spatial reasoning (a crop cannot show where an object is), plus method 2
   with crop similarity alone as the report scores it; one picture per val image for each row. The untuned
   detector's rows resize the val images to the source set's size, the scale it trained at;
4. the generalised row (:mod:`.generalized`): synthetic gRefCOCO val and testA (refs to one object, several or
   none, ``data/synthetic_grefcoco``), method 2's ``generalized_score_thr`` swept on val with ``tools/sweep.py``
   and testA evaluated with ``tools/test.py`` at the threshold of the best val Pr@(F1=1, IoU>=0.5);
5. prints the tables and writes ``results.json`` (one object per row) and ``results_generalized.json``.

Stages run as subprocesses, up to ``jobs`` at once when their inputs are ready (the CLIP trains while the
detectors do), each with ``threads`` torch threads; every stage writes its output to ``logs/<stage>.log``
and its runs to its own work dir, and its progress (epoch, iteration, loss) is echoed with the elapsed time.

The package: :mod:`.settings` (what to run, the table's rows), :mod:`.runner` (stages run as subprocesses),
:mod:`.stages` (the data, training, evaluation stages and :func:`run_quickstart`), :mod:`.generalized` (the
generalised row's stages), :mod:`.report` (the tables and ``results.json``).
"""
from .report import chance_accuracy, format_table, read_test_metrics, result_row
from .runner import ProgressPrinter, Stage, StageFailed, format_duration, progress_of, run_stages
from .settings import CONFIG_DIR, CONFIGS, KINDS, ROWS, QuickstartSettings, Row
from .options import clip_dir, resize_step, scale_option
from .stages import (data_stage, evaluation_stage, last_checkpoint, quickstart_stages, run_quickstart,
                     training_stages)

__all__ = ['CONFIG_DIR', 'CONFIGS', 'KINDS', 'ROWS', 'ProgressPrinter', 'QuickstartSettings', 'Row', 'Stage',
           'StageFailed', 'chance_accuracy', 'clip_dir', 'data_stage', 'evaluation_stage', 'format_duration',
           'format_table', 'last_checkpoint', 'progress_of', 'quickstart_stages', 'read_test_metrics',
           'resize_step', 'result_row', 'run_quickstart', 'run_stages', 'scale_option', 'training_stages']
