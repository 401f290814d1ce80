"""Surrogate-gradient spike functions for spiking neural networks in JAX."""

from jaxsurrogate._src.dispatch import sign, threshold
from jaxsurrogate._src.mechanism import (
    Declaration,
    checked,
    derivative,
    forward_mode,
    preset,
    primitive,
    surrogate,
)
from jaxsurrogate._src.norse import (
    circ_dist,
    heavi_circ,
    heavi_erfc,
    heavi_tanh,
    heaviside,
    logistic,
    superspike,
    triangle,
)
from jaxsurrogate._src.registry import (
    UnknownSurrogateError,
    aliases,
    get,
    names,
    presets,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "Declaration",
    "UnknownSurrogateError",
    "aliases",
    "checked",
    "circ_dist",
    "derivative",
    "forward_mode",
    "get",
    "heavi_circ",
    "heavi_erfc",
    "heavi_tanh",
    "heaviside",
    "logistic",
    "names",
    "preset",
    "presets",
    "primitive",
    "register",
    "sign",
    "superspike",
    "surrogate",
    "threshold",
    "triangle",
]
