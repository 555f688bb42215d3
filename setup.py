"""A shim so that ``python setup.py develop`` (the install step mmdet's own docs use) works: every piece of
metadata lives in pyproject.toml, which setuptools reads; ``pip install -e .`` is the usual way."""
from setuptools import setup

setup()
