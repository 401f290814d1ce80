"""Surrogate-gradient spike functions for spiking neural networks in JAX.

Every canonical shape of the registry is also an attribute here
(``js.superspike``); presets are reached with :func:`get`
(``js.get("snntorch.atan")``).
"""

from types import MappingProxyType as _MappingProxyType

from jaxsurrogate._src import registry as _registry
from jaxsurrogate._src.adaptive import adaptive
from jaxsurrogate._src.catalogue.norse import METHODS as _METHODS
from jaxsurrogate._src.declaration import Declaration
from jaxsurrogate._src.dispatch import sign, threshold
from jaxsurrogate._src.registry import (
    UnknownSurrogateError,
    aliases,
    get,
    names,
    presets,
    register,
    unregister,
)
from jaxsurrogate._src.spike import (
    SpikeFunction,
    checked,
    derivative,
    forward_mode,
    preset,
    primitive,
    surrogate,
)
from jaxsurrogate._src.layer_statistics import LayerStatistics, layer_statistics
from jaxsurrogate._src.window import plot_window, window_fraction

__version__ = "0.1.0"

#: Norse's ``threshold`` method strings and the spike function each names.
NORSE_METHODS = _MappingProxyType(dict(_METHODS))

# The shapes, collected from their declarations: a new one needs no edit here.
globals().update({_name: _registry.get(_name) for _name in _registry.names()})

__all__ = sorted([
    "Declaration",
    "NORSE_METHODS",
    "SpikeFunction",
    "UnknownSurrogateError",
    "adaptive",
    "aliases",
    "checked",
    "derivative",
    "forward_mode",
    "get",
    "LayerStatistics",
    "layer_statistics",
    "names",
    "plot_window",
    "preset",
    "presets",
    "primitive",
    "register",
    "sign",
    "surrogate",
    "threshold",
    "unregister",
    "window_fraction",
    *_registry.names(),
])

# Neurons (fire, Norse's LIF and LI steps): built on the public API above, so
# imported last.
from jaxsurrogate import init, neurons  # noqa: E402
from jaxsurrogate.neurons import fire  # noqa: E402

__all__ += ["fire", "init", "neurons"]
