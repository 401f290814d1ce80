"""Input grids and references shared by the tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

FLOATS = (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64)


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


def spike_call(fn, x, *args, **kwargs):
    """Calls a spike function, giving stochastic ones a fixed key."""
    decl = getattr(fn, "declaration", None)
    if decl is not None and decl.stochastic:
        kwargs.setdefault("key", jax.random.key(0))
    return fn(x, *args, **kwargs)


def grad_of(fn, x, *args, **kwargs):
    """d/dx of sum(fn(x)), i.e. the surrogate derivative element-wise."""
    return jax.grad(lambda v: spike_call(fn, v, *args, **kwargs).sum())(x)
