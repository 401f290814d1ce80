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
from jaxsurrogate._src.shapes import (
    atan,
    erf,
    fake_numerical_gradient,
    gaussian,
    leaky_k_relu,
    log_tailed_relu,
    multi_gaussian,
    nonzero_sign_log_abs,
    piecewise_exp,
    piecewise_leaky_relu,
    piecewise_quadratic,
    poisson_pass,
    q_pseudo_spike,
    rectangle,
    s2nn,
    sigmoid,
    single_exponential,
    slayer_exponential,
    soft_sign,
    spike_rate_escape,
    squarewave_fourier_series,
    straight_through,
    triangular,
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
    "atan",
    "checked",
    "circ_dist",
    "derivative",
    "erf",
    "fake_numerical_gradient",
    "forward_mode",
    "gaussian",
    "get",
    "heavi_circ",
    "heavi_erfc",
    "heavi_tanh",
    "heaviside",
    "leaky_k_relu",
    "log_tailed_relu",
    "logistic",
    "multi_gaussian",
    "names",
    "nonzero_sign_log_abs",
    "piecewise_exp",
    "piecewise_leaky_relu",
    "piecewise_quadratic",
    "poisson_pass",
    "preset",
    "presets",
    "primitive",
    "q_pseudo_spike",
    "rectangle",
    "register",
    "s2nn",
    "sigmoid",
    "sign",
    "single_exponential",
    "slayer_exponential",
    "soft_sign",
    "spike_rate_escape",
    "squarewave_fourier_series",
    "straight_through",
    "superspike",
    "surrogate",
    "threshold",
    "triangle",
    "triangular",
]

# Neurons (fire, Norse's LIF and LI steps): built on the public API above, so
# imported last.
from jaxsurrogate import neurons  # noqa: E402
from jaxsurrogate.neurons import fire  # noqa: E402

__all__ += ["fire", "neurons"]
