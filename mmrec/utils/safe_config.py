"""YAML configs are read as data: mmengine's YAML loader is replaced by a safe one.

A ``.py`` config is a program: ``Config.fromfile`` executes it, so run only ``.py`` configs you trust
(docs/security.md). YAML and JSON configs look like data, but mmengine 0.10.7 reads YAML with
``yaml.load(Loader=CLoader)``, PyYAML's full-power loader, so a ``!!python/object/apply:os.system`` tag in a
``.yaml`` config (or a YAML ``_base_`` file, or any YAML that ``mmengine.load`` reads) runs a command.
``import mmrec`` registers :class:`SafeYamlHandler` for the ``yaml`` / ``yml`` formats in mmengine's file
handler table (:func:`register_safe_config_loading`): it reads with PyYAML's safe loader plus
``!!python/tuple`` (which mmengine writes when it dumps a config holding tuples), and refuses every other
Python tag with :class:`UnsafeConfigError`, and so a YAML file whose aliases expand past a bound
("billion laughs"), that contains itself or nests too deeply. JSON is parsed by ``json.load``, which builds
only data.
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


MAX_YAML_NODES = 100_000  # values after aliases are expanded; mmrec's largest config has a few thousand
MAX_YAML_DEPTH = 64


class ConfigYamlLoader(_SafeLoader):
    """PyYAML's safe loader plus ``!!python/tuple`` (a plain tuple of plain values), refusing documents whose
    aliases expand past :data:`MAX_YAML_NODES` values ("billion laughs": a few hundred bytes that mmengine's
    config conversion would copy into billions), that nest deeper than :data:`MAX_YAML_DEPTH`, or that contain
    themselves (a recursive alias)."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return self.construct_document(node)


def _check_size(root: yaml.Node) -> None:
    """Count ``root``'s values with aliases expanded (each shared node counted once per use, computed once)."""
    sizes, open_nodes = {}, set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_YAML_DEPTH:
            raise UnsafeConfigError(f'refused: YAML nested deeper than {MAX_YAML_DEPTH} levels')
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise UnsafeConfigError('refused: YAML value contains itself (a recursive alias)')
        open_nodes.add(id(node))
        children = node.value if isinstance(node, yaml.SequenceNode) else (
            [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_YAML_NODES:
                raise UnsafeConfigError(f'refused: YAML expands to more than {MAX_YAML_NODES} values through '
                                        'aliases (&anchor / *alias)')
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root, 0)


ConfigYamlLoader.add_constructor(
    TUPLE_TAG, lambda loader, node: tuple(loader.construct_sequence(node, deep=True)))


class SafeYamlHandler(YamlHandler):
    """mmengine's YAML handler, loading with :class:`ConfigYamlLoader` whatever ``Loader`` a caller asks for."""

    def load_from_fileobj(self, file, **kwargs) -> Any:
        kwargs.pop('Loader', None)
        try:
            return yaml.load(file, Loader=ConfigYamlLoader, **kwargs)
        except UnsafeConfigError as error:
            raise UnsafeConfigError(error.reason, getattr(file, 'name', '')) from None
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
        UnsafeConfigError: ``filename`` or one of its ``_base_`` files is YAML with a Python tag or past the
            YAML limits, or the config nests too deeply to read.
    """
    try:
        return Config.fromfile(filename, **kwargs)
    except UnsafeConfigError as error:
        raise UnsafeConfigError(error.reason, f'config {filename} (or one of its _base_ files)') from None
    except RecursionError:  # e.g. a JSON config nested thousands of levels deep
        raise UnsafeConfigError('refused: nested too deeply for Python to read (a config has a few levels)',
                                f'config {filename}') from None
