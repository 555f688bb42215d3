"""The product registers no test doubles, its layout has no import cycle, no upward import from models to datasets
and keeps the apps apart (``import mmrec`` loads none of them, nor Gradio), and pyproject.toml / setup.py carry
mmrec's real package metadata."""
import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from typing import Dict, List, Set, Tuple

from mmrec.paths import REPO_ROOT

#: Runs in a fresh interpreter: imports mmrec and then every product module (all of mmrec but mmrec.testing),
#: and prints what they left in mmdet's MODELS registry and in sys.modules; then imports mmrec.testing.
_PROBE = r'''
import importlib, json, pkgutil, sys
import mmrec
from mmdet.registry import MODELS

def state():
    return dict(registered='MeanColorEncoder' in MODELS.module_dict, testing_imported='mmrec.testing' in sys.modules)

def import_product(package, product):
    """Import every module under ``package`` but mmrec.testing (pkgutil.walk_packages would import it)."""
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):
        if info.name != 'mmrec.testing':
            module = importlib.import_module(info.name)
            product.append(info.name)
            if info.ispkg:
                import_product(module, product)

after_import = state()
product = []
import_product(mmrec, product)
after_product = state()
import mmrec.testing  # noqa: E402,F401
print(json.dumps(dict(after_import=after_import, after_product=after_product, after_testing=state(),
                      product=product)))
'''


def _probe() -> Dict[str, object]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO_ROOT, os.environ.get('PYTHONPATH')) if p))
    result = subprocess.run([sys.executable, '-c', _PROBE], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_product_registers_no_test_doubles() -> None:
    """``import mmrec`` (and importing any product module) neither imports ``mmrec.testing`` nor registers
    ``MeanColorEncoder``; importing ``mmrec.testing`` registers it (so the first checks can fail)."""
    state = _probe()
    assert 'mmrec.apps.benchmark.models' in state['product'] and 'mmrec.apis' in state['product']
    assert state['after_import'] == dict(registered=False, testing_imported=False)
    assert state['after_product'] == dict(registered=False, testing_imported=False)
    assert state['after_testing'] == dict(registered=True, testing_imported=True)


def _pyproject() -> dict:
    with open(os.path.join(REPO_ROOT, 'pyproject.toml'), 'rb') as f:
        return tomllib.load(f)


def _names(requirements: List[str]) -> List[str]:
    """The distribution names of PEP 508 requirement strings (``'mmdet==3.3.0'`` -> ``'mmdet'``), lower-case."""
    return [re.match(r'[A-Za-z0-9._-]+', text.strip()).group(0).lower() for text in requirements]


def test_pyproject_dependencies() -> None:
    """The OpenMMLab / transformers stack is declared; torch and mmcv are not (tools/setup_env.sh installs
    them: mmcv must be built for this torch), so ``pip install -e .`` neither builds mmcv nor fetches a torch."""
    project = _pyproject()['project']
    names = _names(project['dependencies'])
    for name in ('mmdet', 'mmengine', 'transformers', 'pycocotools', 'numpy', 'pillow', 'opencv-python'):
        assert name in names
    extras = project['optional-dependencies']
    for name in ('torch', 'torchvision', 'mmcv', 'mmcv-full'):
        assert name not in names
        assert all(name not in _names(requirements) for requirements in extras.values())
    assert 'pytest' in _names(extras['tests'])
    # the web demo: Gradio for users (``.[demo]``) and the tests, Selenium for the browser test; pinned
    assert 'gradio' in _names(extras['demo']) and {'gradio', 'selenium'} <= set(_names(extras['tests']))
    assert all('==' in text for text in extras['demo'] + [t for t in extras['tests'] if not t.startswith('pytest')])
    assert 'mmdet==3.3.0' in project['dependencies']


def test_version_comes_from_version_py() -> None:
    """pyproject.toml takes the version from mmrec/version.py; the installed metadata (if any) agrees."""
    import importlib.metadata

    import mmrec

    config = _pyproject()
    assert 'version' in config['project']['dynamic']
    assert config['tool']['setuptools']['dynamic']['version'] == {'attr': 'mmrec.version.__version__'}
    try:
        installed = importlib.metadata.version('mmrec')
    except importlib.metadata.PackageNotFoundError:
        return
    assert installed == mmrec.__version__


def _module_imports(root: str, package: str = 'mmrec') -> Dict[str, Set[str]]:
    """``module -> the package's modules it imports`` for every module under ``root/package``, read with ``ast``
    (imports inside functions too; relative ones resolved; ``from pkg import sub`` counts ``pkg`` and, when it is
    a module, ``pkg.sub``). A module's own parent packages are left out: Python imports them first anyway."""
    modules: Dict[str, Tuple[str, bool]] = {}
    for folder, _, names in os.walk(os.path.join(root, package)):
        for name in names:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, root)[:-3].replace(os.sep, '.')
                is_package = dotted.endswith('.__init__')
                modules[dotted[:-len('.__init__')] if is_package else dotted] = (path, is_package)
    graph: Dict[str, Set[str]] = {}
    for module, (path, is_package) in modules.items():
        parent = module if is_package else module.rsplit('.', 1)[0]
        targets = set()
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parent.split('.')[:len(parent.split('.')) - node.level + 1]
                    target = '.'.join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ''
                targets.add(target)
                targets.update(f'{target}.{alias.name}' for alias in node.names)
        graph[module] = {t for t in targets if t in modules and not module.startswith(t + '.') and t != module}
    return graph


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (each an import cycle), sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycle_and_no_upward_import() -> None:
    """No import cycle among mmrec's modules (function-level imports included); no module under
    ``mmrec.models`` imports ``mmrec.datasets`` (shared structures live in ``mmrec.structures``), none under
    ``mmrec.models.method1`` imports ``mmrec.models.method2``; the library
    and its test helpers (all of mmrec but ``mmrec.apps``, ``mmrec.testing`` included: the tiny models the tests
    and the benchmark share live in the library) never import an app."""
    graph = _module_imports(REPO_ROOT)
    assert 'mmrec.models.method1.text_conditioned_bbox_head' in graph and 'mmrec.apps.benchmark.runner' in graph
    assert _cycles(graph) == []
    upward = sorted((m, t) for m, targets in graph.items() if m.startswith('mmrec.models')
                    for t in targets if t.startswith('mmrec.datasets'))
    assert upward == []
    # method 1 owns nothing of method 2's: what both use (the ground-truth candidates) lives below both
    method1_to_method2 = sorted((m, t) for m, targets in graph.items() if m.startswith('mmrec.models.method1')
                                for t in targets if t.startswith('mmrec.models.method2'))
    assert method1_to_method2 == []
    library_to_apps = sorted((m, t) for m, targets in graph.items()
                             if not m.startswith('mmrec.apps') for t in targets if t.startswith('mmrec.apps'))
    assert library_to_apps == []


def test_import_checker_finds_cycles_hidden_in_functions(tmp_path) -> None:
    """The checker above sees a cycle closed by a function-level relative import, and the parent-package rule
    does not hide a cycle between siblings."""
    package = tmp_path / 'mmrec'
    (package / 'apps').mkdir(parents=True)
    (package / '__init__.py').write_text('from . import apps\n')
    (package / 'apps' / '__init__.py').write_text('')
    (package / 'apps' / 'runner.py').write_text('def run():\n    from .sweep import go\n')
    (package / 'apps' / 'sweep.py').write_text('from mmrec.apps.runner import run\n')
    graph = _module_imports(str(tmp_path))
    assert graph['mmrec.apps.runner'] == {'mmrec.apps.sweep'}
    assert 'mmrec' not in graph['mmrec.apps.sweep'] and 'mmrec.apps' not in graph['mmrec.apps.sweep']
    assert _cycles(graph) == [['mmrec.apps.runner', 'mmrec.apps.sweep']]


def test_import_mmrec_loads_no_app_and_no_gradio() -> None:
    """``import mmrec`` in a fresh interpreter registers everything but imports no ``mmrec.apps`` module and no
    Gradio; importing them afterwards shows up (so the check can fail)."""
    probe = ('import json, sys\nimport mmrec\n'
             'before = [m for m in sys.modules if m.startswith("mmrec.apps") or m.split(".")[0] == "gradio"]\n'
             'import gradio, mmrec.apps.webui.app  # noqa: E401,F401\n'
             'after = [m for m in sys.modules if m.startswith("mmrec.apps") or m.split(".")[0] == "gradio"]\n'
             'print(json.dumps(dict(before=before, after=after)))\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO_ROOT, os.environ.get('PYTHONPATH')) if p))
    result = subprocess.run([sys.executable, '-c', probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state['before'] == []
    assert 'mmrec.apps.webui.app' in state['after'] and 'gradio' in state['after']


def test_setup_py_is_a_shim_over_pyproject() -> None:
    """``setup.py`` exists (``python setup.py develop`` works, as mmdet's docs install) and reads its metadata
    from pyproject.toml: ``python setup.py --name --version`` gives pyproject's name and mmrec's version."""
    import mmrec

    result = subprocess.run([sys.executable, 'setup.py', '--name', '--version'], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == [_pyproject()['project']['name'], mmrec.__version__]


def _unresolved_relative_imports(root: str, package: str = 'mmrec') -> List[Tuple[str, str]]:
    """``(file, target)`` for every relative import (at any depth, in functions too) whose target module or
    package does not exist under ``root/package``: such an import fails only when its line runs."""
    unresolved = []
    for folder, _, names in os.walk(os.path.join(root, package)):
        for name in (n for n in names if n.endswith('.py')):
            path = os.path.join(folder, name)
            parent = os.path.relpath(folder, root).split(os.sep)
            with open(path) as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level:
                    parts = parent[:len(parent) - node.level + 1] + (node.module.split('.') if node.module else [])
                    target = os.path.join(root, *parts)
                    if not (os.path.isfile(target + '.py') or os.path.isfile(os.path.join(target, '__init__.py'))):
                        unresolved.append((os.path.relpath(path, root), '.'.join(parts)))
    return sorted(unresolved)


def test_every_relative_import_names_an_existing_module(tmp_path) -> None:
    """A module moved into a sub-package keeps no relative import that now points elsewhere (the quickstart's
    ``from ..datasets`` pointed into ``mmrec.apps`` once it became a package); the checker sees one planted."""
    assert _unresolved_relative_imports(REPO_ROOT) == []
    (tmp_path / 'pkg' / 'apps').mkdir(parents=True)
    (tmp_path / 'pkg' / '__init__.py').write_text('')
    (tmp_path / 'pkg' / 'datasets.py').write_text('')
    (tmp_path / 'pkg' / 'apps' / '__init__.py').write_text('')
    (tmp_path / 'pkg' / 'apps' / 'run.py').write_text('def go():\n    from ..datasets import x\n    from .datasets import y\n')
    assert _unresolved_relative_imports(str(tmp_path), 'pkg') == [(os.path.join('pkg', 'apps', 'run.py'),
                                                                    'pkg.apps.datasets')]
