"""The product registers no test doubles, and pyproject.toml carries mmrec's real dependency metadata."""
import json
import os
import re
import subprocess
import sys
import tomllib
from typing import Dict, List

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
