"""``RecordsInitArguments``: a module that remembers the arguments it was built with, for cache keys.

What an encoder computes can depend on a constructor argument that leaves no trace in its weights or
attributes (``OpenCLIPEncoder(quick_gelu=...)`` changes the activation function, not a parameter). The
evaluation cache (:mod:`mmrec.cache`) therefore identifies an encoder by :meth:`cache_identity`: its class and
every argument of its outermost constructor call, defaults included.
"""
import functools
import inspect
from typing import Any, Dict


class RecordsInitArguments:
    """Mixin: every subclass's ``__init__`` records, on the outermost call, its bound arguments (defaults
    applied) in ``init_arguments`` (plain JSON-able data; objects such as built modules as ``'<type>'``)."""

    init_arguments: Dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get('__init__')
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self, *args, **init_kwargs):
            if '_init_arguments_recorded' not in self.__dict__:  # the outermost constructor's call wins
                from ...cache.keys import plain

                bound = signature.bind(self, *args, **init_kwargs)
                bound.apply_defaults()
                arguments = {name: value for name, value in bound.arguments.items() if name != 'self'}
                object.__setattr__(self, '_init_arguments_recorded', True)
                object.__setattr__(self, 'init_arguments', plain(arguments))
            init(self, *args, **init_kwargs)

        cls.__init__ = recording_init

    def cache_identity(self) -> Dict[str, Any]:
        """The class and the constructor arguments: with the weights, what decides the module's outputs."""
        cls = type(self)
        return dict(cls=f'{cls.__module__}.{cls.__qualname__}', arguments=self.init_arguments)
