"""``RECBaseDataset``: what every REC loader shares: the image-file policy, the skipped-records report, and the
pipeline built in mmdet's scope outside a runner.

The image-file policy, one for all loaders (docs/datasets.md, "Bad records and missing images"): by default
(``check_images=True``, ``skip_missing_images=False``) every image file a sample needs is checked before the
evaluation starts (:func:`~mmrec.datasets.image_files.image_file_problem`: present, a non-empty regular file, a
JPEG / PNG not cut short) and one missing or unreadable file refuses the data set in one line that names the
first few, says how many and gives the fix: a wrong number is worse than a crash, so nothing is dropped
silently. ``skip_missing_images=True`` (the opt-in) skips those images' expressions instead, counted in the
dataset's :class:`~mmrec.datasets.skipped_records.SkippedRecords` under
:data:`~mmrec.datasets.skipped_records.MISSING_IMAGE`, which the metrics report beside their figures.
``check_images=False`` is for annotation-only use (``tools/analyze_language.py`` without images). An image that
passes the check and still fails to decode ends the run with one line naming it (:meth:`prepare_data`).
"""
import os.path as osp
from typing import Any, Dict, List, Set

from mmengine.dataset import BaseDataset
from mmengine.registry import DefaultScope

from .image_files import decode_problem, image_file_problem
from .skipped_records import MISSING_IMAGE, NUM_EXAMPLES, SkippedRecords


class RECBaseDataset(BaseDataset):
    """Base of mmrec's REC datasets (see the module docstring).

    Args:
        data_root: Root that relative paths are joined to (must exist when given).
        check_images: Check every needed image file before the evaluation (``False``: annotation-only use).
        skip_missing_images: Skip and count the expressions of images that fail the check instead of refusing
            the data set.
        **kwargs: The rest of :class:`mmengine.dataset.BaseDataset` (``ann_file``, ``pipeline``, ...).
    """

    # Ground truth labels are all 0: the one class is "the object the expression refers to".
    METAINFO = dict(classes=('referred object', ), palette=[(220, 20, 60)])

    def __init__(self, data_root: str = '', check_images: bool = True, skip_missing_images: bool = False,
                 **kwargs) -> None:
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(f'{type(self).__name__} data_root not found: {data_root}')
        self.check_images = check_images
        self.skip_missing_images = skip_missing_images
        self.num_expressions = 0
        self.skipped = SkippedRecords(type(self).__name__)
        # Outside a runner (scripts, tests) no default scope is set, and the pipeline's transform names
        # would be looked up in MMEngine's root registry, which lacks mmdet's and ours.
        scope = 'mmdet' if DefaultScope.get_current_instance() is None else None
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(data_root=data_root, **kwargs)

    def unreadable_images(self, paths: Dict[Any, str], expressions: Dict[Any, List[dict]]) -> Set[Any]:
        """The keys of ``paths`` (``{image key: file path}``) whose file fails the check, after counting their
        ``expressions`` (``{image key: [expression dict, ...]}``) in ``self.skipped``; none without
        ``check_images``.

        Raises:
            FileNotFoundError: some file fails and ``skip_missing_images`` is off (the count, the first few files
                and why, and the fix).
        """
        if not self.check_images:
            return set()
        bad = {key: problem for key, path in paths.items() for problem in [image_file_problem(path)] if problem}
        if bad and not self.skip_missing_images:
            named = [f'{paths[key]} ({problem})' for key, problem in list(bad.items())[:NUM_EXAMPLES]]
            raise FileNotFoundError(
                f'{type(self).__name__}: {len(bad)} of {len(paths)} images are missing or unreadable, e.g. {named}; '
                'restore them, or set skip_missing_images=True in the dataset config to skip their expressions '
                '(counted, and reported beside the metrics)')
        for key, problem in bad.items():
            for expression in expressions[key]:
                self.skipped.add(MISSING_IMAGE, f'{paths[key]} ({problem}) sent_id={expression.get("sent_id")!r}')
        return set(bad)

    def report_skipped(self, source: str) -> None:
        """Warn once with every skipped record of ``source`` and put the counts in the metainfo."""
        self.skipped.warn(source)
        self._metainfo.update(self.skipped.metainfo())

    def prepare_data(self, idx: int) -> Any:
        """The sample's pipeline output; an image that cannot be read or decoded ends in one error naming it
        (a :class:`FileNotFoundError`), not in the loader's bare assertion."""
        try:
            return super().prepare_data(idx)
        except Exception as error:
            path = self.get_data_info(idx).get('img_path')
            problem = decode_problem(path) if isinstance(path, str) else None
            if problem is None:
                raise
            raise FileNotFoundError(f'{type(self).__name__}: the image {path} is {problem}; restore it (or set '
                                    'skip_missing_images=True and rerun: the up-front check skips files '
                                    'that are missing or cut short)') from error
