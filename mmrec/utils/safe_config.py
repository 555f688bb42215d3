"""YAML configs are read as data: mmengine's YAML loader is replaced by a safe one.

A ``.py`` config is a program: ``Config.fromfile`` executes it, so run only ``.py`` configs you trust
(docs/security.md). YAML and JSON configs look like data, but mmengine 0.10.7 reads YAML with
``yaml.load(Loader=CLoader)``, PyYAML's full-power loader, so a ``!!python/object/apply:os.system`` tag in a
``.yaml`` config (or a YAML ``_base_`` file, or any YAML that ``mmengine.load`` reads) runs a command.
``import mmrec`` registers :class:`SafeYamlHandler` for the ``yaml`` / ``yml`` formats in mmengine's file
handler table (:func:`register_safe_config_loading`): it reads with PyYAML's safe loader plus
``!!python/tuple`` (which mmengine writes when it dumps a config holding tuples), and refuses every other
Python tag with :class:`UnsafeConfigError`. JSON is parsed by ``json.load``, which builds only data.
:func:`load_config` is ``Config.fromfile`` with the refusal naming the config file.
"""
from typing import Any

import yaml
from mmengine.config import Config
from mmengine.fileio import register_handler
from mmengine.fileio.handlers import YamlHandler

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader

TUPLE_TAG = 'tag:yaml.org,2002:python/tuple'


class UnsafeConfigError(ValueError):
    """A YAML file carries a tag that would build Python objects (run code) when loaded."""

    def __init__(self, reason: str, source: str = '') -> None:
        self.reason = reason
        super().__init__(f'{source}: {reason}' if source else reason)


class ConfigYamlLoader(_SafeLoader):
    """PyYAML's safe loader plus ``!!python/tuple`` (a plain tuple of plain values)."""


ConfigYamlLoader.add_constructor(
    TUPLE_TAG, lambda loader, node: tuple(loader.construct_sequence(node, deep=True)))


class SafeYamlHandler(YamlHandler):
    """mmengine's YAML handler, loading with :class:`ConfigYamlLoader` whatever ``Loader`` a caller asks for."""

    def load_from_fileobj(self, file, **kwargs) -> Any:
        kwargs.pop('Loader', None)
        try:
            return yaml.load(file, Loader=ConfigYamlLoader, **kwargs)
        except yaml.constructor.ConstructorError as error:
            where = f' (line {error.problem_mark.line + 1})' if error.problem_mark is not None else ''
            raise UnsafeConfigError(
                f'refused: YAML is read as plain data, and {error.problem}{where}. Tags that build Python objects '
                'can run code; write configs that need code as .py files, and run only configs you trust '
                '(mmrec.utils.safe_config)', getattr(file, 'name', '')) from None


def register_safe_config_loading() -> None:
    """Make :class:`SafeYamlHandler` mmengine's handler for ``.yaml`` / ``.yml``; run by ``import mmrec``."""
    register_handler(['yaml', 'yml'])(SafeYamlHandler)


def load_config(filename: str, **kwargs) -> Config:
    """``Config.fromfile(filename, **kwargs)``; a refused YAML tag names ``filename`` (mmengine reads a copy).

    Raises:
        UnsafeConfigError: ``filename`` or one of its ``_base_`` files is YAML with a Python tag.
    """
    try:
        return Config.fromfile(filename, **kwargs)
    except UnsafeConfigError as error:
        raise UnsafeConfigError(error.reason, f'config {filename} (or one of its _base_ files)') from None
