"""mmrec: CLIP-augmented Referring Expression Comprehension as an MMDetection plugin."""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmrec', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmrec',
    version=read_version(),
    description='CLIP-augmented Referring Expression Comprehension for MMDetection',
    packages=find_packages(include=['mmrec', 'mmrec.*']),
    python_requires='>=3.10',
    install_requires=[],  # tools/setup_env.sh installs the pinned stack (see requirements.txt)
    license='Apache-2.0',
)
