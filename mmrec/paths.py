"""Paths of the mmrec checkout (configs, tools) for code that runs the repository's own files.

mmrec is installed editable (``pip install -e .``): the package stays in the checkout, so the repository root is
the directory above the package. The configs and tools are not part of a wheel; code that needs them
(the benchmark's configs, the test fixtures) only works from a checkout.
"""
import os.path as osp

#: The repository root: the directory holding ``mmrec/``, ``configs/`` and ``tools/``.
REPO_ROOT: str = osp.dirname(osp.dirname(osp.abspath(__file__)))


def repo_path(*parts: str) -> str:
    """The absolute path of ``parts`` (e.g. ``'configs', 'method2.py'``) inside the repository root; an
    absolute first part is returned as it is (``os.path.join``)."""
    return osp.join(REPO_ROOT, *parts)
