"""Input checks that fail at the call with a message naming the argument.

Every public entry point (spike functions, ``derivative``, ``primitive``,
``preset``, the twins, ``threshold``/``sign``) checks its inputs here, so a bad
input gets the same message wherever it is passed.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

# Each domain: (predicate on an array in the compute dtype, the words of the message).
DOMAINS = {
    "positive": (lambda a: _finite(a) & (a > 0), "finite and > 0"),
    "nonnegative": (lambda a: _finite(a) & (a >= 0), "finite and >= 0"),
    "above_one": (lambda a: _finite(a) & (a > 1), "finite and > 1"),
    "real": (lambda a: _finite(a), "finite"),
    "bound": (lambda a: a == a, "a number (infinities allowed), not NaN"),
    "count": (lambda a: _finite(a) & (a >= 1) & (a % 1 == 0), "a whole number >= 1"),
    "unit": (lambda a: _finite(a) & (a >= 0) & (a <= 1), "in [0, 1]"),
}


def _finite(a: Any) -> Any:
    return jnp.isfinite(a) if isinstance(a, jax.Array) else np.isfinite(a)

SUPPORTED_FLOATS = tuple(np.dtype(t) for t in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64))
FLOAT_NAMES = "float16, bfloat16, float32 or float64"
_NOT_A_NUMBER = "must be a real number or an array of real numbers"


def compute_dtype(dtype: Any) -> np.dtype:
    """The dtype the maths runs in: float32 for half precision, else the dtype itself."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def is_concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def floating_array(x: Any, fname: str, arg: str = "x") -> jax.Array:
    """``x`` as a JAX array of a supported float dtype, or a TypeError."""
    if isinstance(x, (str, bytes, bool, np.bool_)) or x is None:
        raise TypeError(f"{fname}: {arg} must be a floating-point array ({FLOAT_NAMES}), got "
                        f"{type(x).__name__} {x!r}")
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        dtype = np.asarray(x).dtype
        if dtype.kind == "f":
            # A bare Python float or list becomes JAX's default float type.
            x = jnp.asarray(x, dtype=jnp.result_type(float))
            dtype = x.dtype
    if np.dtype(dtype) not in SUPPORTED_FLOATS:
        raise TypeError(f"{fname}: {arg} must have a floating dtype ({FLOAT_NAMES}), got "
                        f"{np.dtype(dtype)}; cast it first, e.g. {arg}.astype(jnp.float32)")
    return jnp.asarray(x)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to exactly ``target`` (symbolic dimensions too)."""
    if len(shape) > len(target):
        return False
    return all(s == 1 or s == t for s, t in zip(reversed(shape), reversed(target)))


def broadcastable(value: Any, arg: str, x: jax.Array, fname: str, against: str = "x") -> None:
    """A ValueError unless ``value``'s shape broadcasts to ``x``'s (one per neuron)."""
    shape = tuple(np.shape(value))
    if not _broadcasts_to(shape, tuple(x.shape)):
        raise ValueError(f"{fname}: {arg} of shape {shape} is not broadcastable to {against} of "
                         f"shape {tuple(x.shape)}; give one {arg} per neuron along {against}'s "
                         f"trailing axes")


def _number_error(fname: str, arg: str, value: Any) -> TypeError:
    return TypeError(f"{fname}: {arg} {_NOT_A_NUMBER}, got {type(value).__name__} {value!r}")


def _flush_subnormals(a: np.ndarray) -> np.ndarray:
    """What XLA on CPU computes with: subnormal values act as zero."""
    tiny = np.finfo(a.dtype).tiny
    return np.where(np.abs(a) < tiny, np.zeros_like(a), a)


def _check_domain(host: np.ndarray, dtype: np.dtype, arg: str, fname: str, domain: str) -> None:
    ok, words = DOMAINS[domain]
    with np.errstate(over="ignore", invalid="ignore"):
        in_dtype = _flush_subnormals(host.astype(dtype))
        good = np.asarray(ok(in_dtype))
    if np.all(good):
        return
    index = np.argmin(good.reshape(-1))
    bad, bad_in_dtype = host.reshape(-1)[index], in_dtype.reshape(-1)[index]
    detail = ""
    if not (bad == bad_in_dtype or (np.isnan(bad) and np.isnan(bad_in_dtype))):
        detail = (f" ({bad_in_dtype!s} in {dtype.name}, the dtype the maths runs in for "
                  f"this x)")
    raise ValueError(f"{fname}: {arg} must be {words}, got {bad!s}{detail}")


def parameter(value: Any, arg: str, x: jax.Array, fname: str, domain: str,
              against: str = "x") -> Any:
    """Checks a shape parameter: real, broadcastable to ``x``, and in ``domain``.

    Returns a Python float for a Python number (compiled in as a constant), and
    an array or tracer otherwise (an operand). Integer arrays come back in the
    compute dtype. Concrete values are checked in the dtype the maths runs in;
    traced ones (inside ``jit``, ``vmap``, ``grad``) only for type and shape,
    see :func:`check_traced`.
    """
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise _number_error(fname, arg, value)
    dtype = compute_dtype(x.dtype)
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{fname}: {arg} must be {DOMAINS[domain][1]}, got {value!r}, "
                             f"which no float can hold") from None
        _check_domain(np.asarray(number), dtype, arg, fname, domain)
        return number
    if is_concrete(value) and not hasattr(value, "dtype"):
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise _number_error(fname, arg, value) from err
    value_dtype = np.dtype(value.dtype)
    if value_dtype.kind not in "fiu" and not jnp.issubdtype(value_dtype, jnp.floating):
        raise TypeError(f"{fname}: {arg} {_NOT_A_NUMBER}, got dtype {value_dtype}")
    broadcastable(value, arg, x, fname, against)
    if is_concrete(value):
        _check_domain(np.asarray(value, np.float64), dtype, arg, fname, domain)
    if value_dtype.kind in "iu":
        value = value.astype(dtype)
    return value


def check_traced(value: Any, arg: str, fname: str, domain: str, dtype: Any) -> None:
    """A ``checkify`` check of a traced parameter, with the eager check's message."""
    if value is None or is_concrete(value):
        return
    ok, words = DOMAINS[domain]
    good = ok(jnp.asarray(value).astype(dtype))
    first_bad = jnp.ravel(value)[jnp.argmin(jnp.ravel(good))]
    checkify.check(jnp.all(good), f"{fname}: {arg} must be {words}, got {{}}", first_bad)


def key(value: Any, fname: str) -> Any:
    """Checks that a stochastic surrogate was given a PRNG key."""
    if value is None:
        raise TypeError(f"{fname}: key is required: this surrogate draws random spikes; pass "
                        f"key=jax.random.key(seed) (or a key split per call)")
    dtype = getattr(value, "dtype", None)
    if dtype is None or not (
        jnp.issubdtype(dtype, jax.dtypes.prng_key)
        or (np.dtype(dtype) == np.uint32 and np.shape(value)[-1:] == (2,))
    ):
        raise TypeError(f"{fname}: key must be a PRNG key from jax.random.key or "
                        f"jax.random.PRNGKey, got {type(value).__name__} {value!r}")
    return value


def flag(value: Any, arg: str, fname: str) -> bool:
    """A static on/off switch: a Python (or NumPy) bool, never an array."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{fname}: {arg} must be True or False (a Python bool, fixed when the "
                    f"function is traced), got {type(value).__name__} {value!r}")


def close_matches(name: Any, choices: Iterable[str]) -> list[str]:
    """Valid names close to ``name``, compared case-insensitively."""
    by_lower = {c.lower(): c for c in sorted(choices)}
    near = difflib.get_close_matches(str(name).lower(), list(by_lower), n=5, cutoff=0.5)
    return [by_lower[n] for n in near]


def unknown_name_message(name: Any, choices: Iterable[str], what: str, listing: str = "") -> str:
    """'unknown <what> <name>; did you mean ...?' plus the choices or how to list them."""
    choices = sorted(choices)
    near = close_matches(name, choices)
    head = f"unknown {what} {name!r}"
    head += f"; did you mean {', '.join(map(repr, near))}? " if near else "; "
    if len(choices) <= 12 or not listing:
        return f"{head}valid: {', '.join(choices)}"
    return head + listing


class ForwardModeError(TypeError):
    """JAX's forward-mode error through a custom_vjp, with the twin to use instead."""

    def __init__(self, jax_message: str, fname: str, remedy: str) -> None:
        self.jax_message = jax_message
        super().__init__(f"{fname}: {jax_message} It is a custom_vjp, for reverse mode; for "
                         f"jax.jvp, jax.jacfwd or jax.hessian use {remedy}")


@contextlib.contextmanager
def forward_mode_hint(fname: str, remedy: str) -> Iterator[None]:
    """JAX's "can't apply forward-mode autodiff" error, with what to use instead.

    ``jax.jvp``, ``jax.jacfwd`` and ``jax.hessian`` can't go through a
    ``custom_vjp``; the message names the forward-mode twin that can (the
    outermost call's: fire's, not the spike function's inside it).
    """
    try:
        yield
    except ForwardModeError as err:
        raise ForwardModeError(err.jax_message, fname, remedy) from err.__cause__
    except TypeError as err:
        if "forward-mode autodiff" not in str(err):
            raise
        raise ForwardModeError(str(err), fname, remedy) from err
