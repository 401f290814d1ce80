"""Shared by the tests: input grids, calling conventions and numpy references.

The numpy functions here restate the surrogate maths in float64, written from
the papers and libraries, not from jaxsurrogate.
"""

from __future__ import annotations

import importlib
import math
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxsurrogate as js

FLOATS = (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64)

# Shapes whose g is not symmetric, and shapes whose g is negative somewhere,
# by the name of the shape whose maths it is (a preset's base).
ASYMMETRIC = {"leaky_k_relu", "log_tailed_relu", "multispike", "s2nn", "spike_rate_escape",
              "local_zo"}  # a random g: symmetric in expectation only
SIGNED = {"multi_gaussian", "squarewave_fourier_series",
          "spikingjelly.squarewave_fourier_series"}


def own_maths() -> list[str]:
    """Every name with maths of its own: the shapes and the presets with their own g."""
    return [*js.names(), *(n for n in js.presets() if js.get(n).declaration.preset_of is None)]


def every_maths() -> list[str]:
    """Every name with maths of its own, and one preset of each library.

    For the transform tests (scan, checkpoint, vmap, forward mode, fire),
    whose property is the mechanism's: a preset of a shape changes only its
    constants and H(0), and each library's first preset brings its H(0);
    tests/test_presets.py checks every preset's values and gradients.
    """
    first_of_library = {}
    for name in js.presets():
        first_of_library.setdefault(name.split(".")[0], name)
    own = own_maths()
    return [*own, *(n for n in first_of_library.values() if n not in own)]


def import_from(directory, *names):
    """Modules that live outside the package (examples/, benchmarks/, docs/_ext/),
    imported without leaving their directory on sys.path."""
    sys.path.insert(0, str(directory))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(str(directory))


def grid(dtype) -> np.ndarray:
    """0, ±0, ±subnormal, kinks, ordinary values, huge values, ±max, ±inf, NaN."""
    info = jnp.finfo(dtype)
    values = [
        0.0, -0.0, float(info.smallest_subnormal), -float(info.smallest_subnormal),
        float(info.tiny), 1e-3, -1e-3, 0.01, -0.01, 0.1, -0.25, 0.5, -0.5,
        0.999, 1.0, -1.0, 1.001, 1.5, -2.0, 3.0, -7.5, 20.0, 300.0, -1e4,
        float(info.max), -float(info.max), np.inf, -np.inf, np.nan,
    ]
    return np.asarray(values, dtype=np.float64).astype(dtype)


def symmetric_grid(dtype, kinks=()) -> np.ndarray:
    """Values from 0 to +inf with the kinks and their neighbours, mirrored (±0 too)."""
    big = float(np.finfo(dtype).max)
    base = [0.0, 1e-3, 0.1, 0.25, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.5, 5.0,
            10.0, 1e3, 1e30, big, np.inf]
    for k in kinks:
        base += [k, float(np.nextafter(dtype(k), dtype(0))),
                 float(np.nextafter(dtype(k), dtype(np.inf)))]
    pts = sorted(set(base))
    return np.array([-v for v in pts[::-1]] + pts, dtype)


def maths_name(fn) -> str:
    """The name of the shape whose maths ``fn`` computes."""
    return fn.declaration.base.name


def is_symmetric(fn) -> bool:
    return maths_name(fn) not in ASYMMETRIC


def is_nonnegative(fn) -> bool:
    return maths_name(fn) not in SIGNED


def spikes_are_valid(fn, out) -> bool:
    """Whether every value of ``out`` is one the forward may take."""
    values = spike_values(fn)
    out = np.asarray(out, np.float64)
    if values is None:
        return bool(((out >= 0) & (out <= 1)).all())
    return set(np.unique(out)) <= values


def is_step(fn) -> bool:
    """Whether the forward is the Heaviside step (not stochastic, not its own forward)."""
    decl = fn.declaration
    return decl.forward is None and not decl.stochastic


def spike_values(fn) -> set | None:
    """Every value the forward may take (at its default parameters); None: any in [0, 1]."""
    decl = fn.declaration
    if maths_name(fn) == "multispike":  # spike counts, 0 to D
        return set(map(float, range(int(decl.alpha) + 1)))
    if decl.forward is not None:  # a noisy forward: analog values in [0, 1] too
        return None
    if decl.stochastic:
        return {0.0, 1.0}
    return {0.0, 1.0, decl.at_zero}


def key_kwargs(fn) -> dict:
    """A fixed key for a stochastic spike function, nothing for the others."""
    decl = getattr(fn, "declaration", None)  # None: a lambda around a spike function
    return {"key": jax.random.key(0)} if decl is not None and decl.stochastic else {}


def derivative_of(fn, x, *args, **kwargs):
    """g at x, with the fixed key when g draws (a random backward): equal to grad_of."""
    key = key_kwargs(fn) if "derivative" in fn.declaration.keyed else {}
    return js.derivative(fn)(x, *args, **{**key, **kwargs})


def spike_call(fn, x, *args, **kwargs):
    """Calls a spike function, giving stochastic ones a fixed key."""
    return fn(x, *args, **{**key_kwargs(fn), **kwargs})


def grad_of(fn, x, *args, **kwargs):
    """d/dx of sum(fn(x)), i.e. the surrogate derivative element-wise."""
    return jax.grad(lambda v: spike_call(fn, v, *args, **kwargs).sum())(x)


# --------------------------------------------------------------------------
# float64 numpy references

PI = math.pi
SQRT_PI = math.sqrt(PI)


def np_sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))  # logistic, no overflow


def np_normal(x, mu, s):
    z = (x - mu) / s
    return np.exp(-0.5 * z * z) / (s * np.sqrt(2 * PI))


def np_sech2(z):
    return 1 / np.cosh(np.minimum(np.abs(z), 700)) ** 2


def np_square_wave(x, terms, period):
    """(4/T) sum of cos((2i - 1) 2 pi x / T), i = 1..terms; 0 at ±inf."""
    r = np.fmod(x, period)  # exact; the series has period T
    w = 2 * PI / period
    total = sum(np.cos((2 * i - 1) * w * r) for i in range(1, int(terms) + 1))
    return np.where(np.isinf(x), 0.0, 4 / period * total * np.ones_like(x))


def np_fast_sigmoid(x, a):
    return 1 / (a * np.abs(x) + 1) ** 2


def np_logistic_slope(x, a):
    return a * np_sigmoid(a * x) * np_sigmoid(-a * x)


def np_atan(x, a):
    return (a / 2) / (1 + (PI / 2 * a * x) ** 2)


def np_erf(x, a):
    return a / SQRT_PI * np.exp(-(a * x) ** 2)


def np_multi_gaussian(x, a, sigma, h, s):
    return a * ((1 + h) * np_normal(x, 0, sigma) - h * np_normal(x, sigma, s * sigma)
                - h * np_normal(x, -sigma, s * sigma))


def np_s2nn(x, a, beta):
    return np.where(x < 0, np_logistic_slope(x, a), beta / (np.where(x < 0, 0, x) + 1))


def np_log_tailed(x, a):
    with np.errstate(divide="ignore"):
        return np.where(x > 1, 1 / x, np.where(x > 0, 1.0, a))


def np_fake_gradient(x, a):
    with np.errstate(divide="ignore"):
        return np.minimum(1 / np.abs(x), a)


def np_step(x):
    return (x > 0).astype(np.float64)


with np.errstate(all="ignore"):
    # Norse's closed forms; errstate because inf/inf etc. are fixed by the limits.
    NORSE_REFERENCES = {
        "superspike": lambda x, a: 1.0 / (a * np.abs(x) + 1.0) ** 2,
        "triangle": lambda x, a: a * np.maximum(0.0, 1.0 - np.abs(x)),
        "heavi_tanh": lambda x, a: 1.0 / np.cosh(a * x) ** 2,
        "heavi_erfc": lambda x, a: 2.0 / math.sqrt(math.pi) * np.exp(-(a * x) ** 2),
        "heavi_circ": lambda x, a: np.where(
            np.isinf(x), 0.0, a**3 / (a**2 + np.asarray(x, np.float64) ** 2) ** 1.5),
        "heaviside": lambda x, a: np.zeros_like(x),
    }
    NORSE_REFERENCES["logistic"] = NORSE_REFERENCES["heavi_tanh"]
    NORSE_REFERENCES["circ_dist"] = NORSE_REFERENCES["heavi_circ"]


def norse_reference_grad(name, x, alpha):
    """Norse's g in float64, NaN at NaN inputs, its limits at the infinities."""
    with np.errstate(all="ignore"):
        g = NORSE_REFERENCES[name](x.astype(np.float64), alpha)
    return np.where(np.isnan(x), np.nan, np.nan_to_num(g, nan=0.0))
