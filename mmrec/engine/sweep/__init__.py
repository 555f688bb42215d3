"""One-pass ablation sweeps (``tools/sweep.py``): grid parsing and checks (:mod:`.grid`), the pass over the
data that scores every point from one detector and crop pass (:mod:`.loop`), and the results table and files
(:mod:`.report`)."""
from .grid import (check_grid, config_value, describe, grid_points, load_points, parse_grid, parse_value,
                   point_config, split_top_level)
from .loop import SweepEvaluation, SweepGroup, SweepPoint, run_sweep
from .report import format_table, write_results

__all__ = ['SweepEvaluation', 'run_sweep', 'SweepGroup', 'SweepPoint', 'check_grid', 'config_value', 'describe', 'format_table',
           'grid_points', 'load_points', 'parse_grid', 'parse_value', 'point_config', 'split_top_level',
           'write_results']
