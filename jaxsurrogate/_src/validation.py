"""Input checks that fail at the call with a message naming the argument."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

# Each domain: (predicate on a numpy or jax array, the words used in the message).
DOMAINS = {
    "positive": (lambda a: a > 0, "finite and > 0"),
    "nonnegative": (lambda a: a >= 0, "finite and >= 0"),
    "above_one": (lambda a: a > 1, "finite and > 1"),
    "real": (lambda a: True, "finite"),
}

_FLOAT_NAMES = "float16, bfloat16, float32 or float64"


def _is_concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def floating_array(x: Any, fname: str) -> jax.Array:
    """Returns `x` as a JAX array, refusing anything that is not floating point."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(
            f"{fname}: x must be a floating-point array ({_FLOAT_NAMES}), got "
            f"{type(x).__name__} {x!r}"
        )
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        dtype = np.asarray(x).dtype
        if dtype.kind == "f":
            # A bare Python float or list becomes JAX's default float type.
            x = jnp.asarray(x, dtype=jnp.result_type(float))
    if not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(
            f"{fname}: x must have a floating dtype ({_FLOAT_NAMES}), got {dtype}; "
            f"cast it first, e.g. x.astype(jnp.float32)"
        )
    return jnp.asarray(x)


def parameter(value: Any, arg: str, x: jax.Array, fname: str, domain: str) -> Any:
    """Checks a shape parameter: numeric, broadcastable to `x`, and in `domain`.

    Concrete values are checked here; traced values (inside `jit`, `vmap`, `grad`
    of the parameter) can only be checked for type and shape, see `checked`.
    """
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(
            f"{fname}: {arg} must be a real number or an array of real numbers, "
            f"got {type(value).__name__} {value!r}"
        )
    python_number = isinstance(value, (int, float))
    concrete = _is_concrete(value)
    if concrete and not hasattr(value, "dtype"):
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"{fname}: {arg} must be a real number or an array of real numbers, "
                f"got {type(value).__name__} {value!r}"
            ) from e
    dtype = np.dtype(value.dtype)
    if dtype.kind not in "fiu" and not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(
            f"{fname}: {arg} must be a real number or an array of real numbers, got dtype {dtype}"
        )
    shape = tuple(np.shape(value))
    try:
        fits = np.broadcast_shapes(shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{fname}: {arg} of shape {shape} is not broadcastable to x of shape "
            f"{x.shape}; give one {arg} per neuron along x's trailing axes"
        )
    if concrete:
        host = np.asarray(value, dtype=np.float64)
        ok, words = DOMAINS[domain]
        good = np.isfinite(host) & ok(host)
        if not np.all(good):
            bad = host[~good].flat[0] if host.ndim else host
            raise ValueError(f"{fname}: {arg} must be {words}, got {bad!s}")
        if python_number:
            return float(value)
        if dtype.kind in "iu":
            value = value.astype(jnp.result_type(float))
    return value


def check_traced(value: Any, arg: str, fname: str, domain: str) -> None:
    """Emits a `checkify` check with the same message as the eager check."""
    if value is None or _is_concrete(value):
        return
    ok, words = DOMAINS[domain]
    good = jnp.isfinite(value) & ok(value)
    flat_good = jnp.ravel(good)
    first_bad = jnp.ravel(value)[jnp.argmin(flat_good)]
    checkify.check(jnp.all(good), f"{fname}: {arg} must be {words}, got {{}}", first_bad)


def key(value: Any, fname: str) -> Any:
    """Checks that a stochastic surrogate was given a PRNG key."""
    if value is None:
        raise TypeError(
            f"{fname}: key is required: this surrogate draws random spikes; pass "
            f"key=jax.random.key(seed) (or a key split per call)"
        )
    dtype = getattr(value, "dtype", None)
    if dtype is None or not (
        jnp.issubdtype(dtype, jax.dtypes.prng_key)
        or (np.dtype(dtype) == np.uint32 and np.shape(value)[-1:] == (2,))
    ):
        raise TypeError(
            f"{fname}: key must be a PRNG key from jax.random.key or "
            f"jax.random.PRNGKey, got {type(value).__name__} {value!r}"
        )
    return value
