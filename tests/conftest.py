"""Shared test set-up: everything offline, small thread pools (the CI machine has 2 cores)."""
import os

# Set before transformers / huggingface_hub are imported anywhere: no test may reach the network.
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'
os.environ.setdefault('OMP_NUM_THREADS', '2')
# The evaluation cache's per-user key (mmrec.cache.secret): a private folder of this session, not the home's.
if not os.environ.get('MMREC_CACHE_KEY_FILE'):
    import tempfile
    os.environ['MMREC_CACHE_KEY_FILE'] = os.path.join(tempfile.mkdtemp(prefix='mmrec-test-key-'), 'cache-key')

import pytest  # noqa: E402


@pytest.fixture(scope='session')
def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def load_tool(repo_root):
    """``load_tool('analyze_language')``: the module ``tools/analyze_language.py``, imported from its file."""
    import importlib.util

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f'mmrec_tool_{name}', os.path.join(repo_root, 'tools',
                                                                                         f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
