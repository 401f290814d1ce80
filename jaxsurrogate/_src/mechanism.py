"""The JAX plumbing shared by every spike function.

One path, :func:`bind`, turns a call's arguments into checked operands; the
kernels below turn a declaration and those operands into the spikes (a
``jax.custom_vjp``, or its ``jax.custom_jvp`` twin), the derivative g and the
primitive S, all with the same dtype policy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxsurrogate._src import validation
from jaxsurrogate._src.declaration import Declaration

Array = jax.Array
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<default>"})()

# Integer twins of the float types, for comparing by bit pattern (see `_step`).
_BITS = {
    np.dtype(jnp.float16): np.int16,
    np.dtype(jnp.bfloat16): np.int16,
    np.dtype(jnp.float32): np.int32,
    np.dtype(jnp.float64): np.int64,
}


@dataclasses.dataclass(frozen=True)
class Operands:
    """A call's checked arguments, split into operands and compiled-in numbers."""

    x: Array
    alpha: Any
    params: dict[str, Any]
    key: Any
    static: tuple[tuple[str, float], ...]
    learn_alpha: bool


def _unknown_parameters(decl: Declaration, unknown: list[str]) -> TypeError:
    known = list(decl.defaults())
    near = sorted({m for u in unknown for m in validation.close_matches(u, known)})
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    if not known:
        takes = "it takes no parameters"
    elif len(known) == 1:
        takes = f"its only parameter is {known[0]}"
    else:
        takes = f"its parameters are {', '.join(known)}"
    return TypeError(f"{decl.name}: unknown parameter(s) {unknown}{hint}; {takes}")


def _split_static(alpha: Any, params: dict[str, Any]) -> tuple[Any, dict[str, Any], tuple]:
    """Python numbers are compiled in as constants; everything with a dtype is an operand.

    That is what a caller's ``jit`` does with a Python number too, so eager and
    jit fold it the same way (x / sigma becomes x * (1 / sigma)) and agree bit
    for bit. NumPy scalars, arrays and tracers stay operands: changing them
    never recompiles.
    """
    static = tuple((k, v) for k, v in {"alpha": alpha, **params}.items() if _compiled_in(v))
    alpha = None if type(alpha) is float else alpha
    return alpha, {k: v for k, v in params.items() if not _compiled_in(v)}, static


def _compiled_in(value: Any) -> bool:
    """Python numbers, and None for a parameter whose maths gives it a meaning."""
    return type(value) is float or value is None


def _merge_static(alpha: Any, params: Mapping[str, Any], static: tuple) -> tuple[Any, dict]:
    fixed = dict(static)
    alpha = fixed.pop("alpha", alpha)
    return alpha, {**params, **fixed}


def bind(decl: Declaration, x: Any, alpha: Any, params: Mapping[str, Any], *, key: Any = None,
         learn_alpha: Any = False, checked: bool = False, needs_key: bool | None = None
         ) -> Operands:
    """Checks one call's arguments, the same way for every entry point.

    Args:
        decl: what is called.
        x, alpha, params, key, learn_alpha: the caller's arguments (alpha
            ``UNSET`` for the default).
        checked: also emit ``checkify`` checks for traced parameters.
        needs_key: whether this entry point draws from ``key`` (default: the
            spikes', ``decl.stochastic``; the derivative needs one only if g
            draws, the primitive never).
    """
    fname = decl.name
    x = validation.floating_array(x, fname)
    params = dict(params)
    if decl.alpha is not None and decl.alpha_name in params:
        if alpha is not UNSET:
            raise TypeError(f"{fname}: got {decl.alpha_name} twice, by position and by name")
        alpha = params.pop(decl.alpha_name)
    if decl.alpha is None:
        if alpha is not UNSET:
            raise TypeError(f"{fname}: takes no alpha, got alpha={alpha!r}")
        alpha = None
    else:
        alpha = decl.alpha if alpha is UNSET else alpha
        alpha = validation.parameter(alpha, decl.alpha_name, x, fname, decl.domain("alpha"))
    unknown = sorted(set(params) - set(decl.params))
    if unknown:
        raise _unknown_parameters(decl, unknown)
    values = {}
    for k, default in decl.params.items():
        value = params.get(k, default)
        derived = value is None and default is None  # its maths gives None a meaning
        values[k] = value if derived else validation.parameter(value, k, x, fname,
                                                                decl.domain(k))
    dtype = validation.compute_dtype(x.dtype)
    if checked:
        for k, v in {decl.alpha_name: alpha, **values}.items():
            validation.check_traced(v, k, fname, decl.domain(k), dtype)
    if decl.check is not None and all(map(validation.is_concrete, [alpha, *values.values()])):
        problem = decl.check(*([] if alpha is None else [alpha]), **values)
        if problem:
            raise ValueError(f"{fname}: {problem}")
    learn_alpha = validation.flag(learn_alpha, "learn_alpha", fname)
    if learn_alpha and decl.alpha is None:
        raise ValueError(f"{fname}: learn_alpha=True needs an alpha to learn; {fname} takes none")
    if learn_alpha and decl.primitive is None:
        raise ValueError(f"{fname}: learn_alpha=True needs a declared primitive S(x, alpha); "
                         f"{fname} declares none")
    if decl.stochastic if needs_key is None else needs_key:
        key = validation.key(key, fname)
    elif key is not None:
        raise TypeError(f"{fname}: is deterministic and takes no key")
    alpha, values, static = _split_static(alpha, values)
    return Operands(x, alpha, values, key, static, learn_alpha)


# --------------------------------------------------------------------------
# The maths, in the compute dtype


def _step(x: Array, at_zero: float) -> Array:
    """H(x) with H(0) = at_zero, in x's dtype.

    Compared by bit pattern because XLA on CPU treats subnormals as zero in
    float comparisons: ``x > 0`` would say no to the smallest positive float.
    """
    bits_type = _BITS[np.dtype(x.dtype)]
    bits = lax.bitcast_convert_type(x, bits_type)
    inf_bits = int(np.array(np.inf, x.dtype).view(bits_type))
    negative_zero = int(np.iinfo(bits_type).min)
    positive = (bits > 0) & (bits <= inf_bits)  # excludes NaN
    zero = (bits == 0) | (bits == negative_zero)
    if at_zero == 0:
        return positive.astype(x.dtype)
    if at_zero == 1:
        return (positive | zero).astype(x.dtype)
    return jnp.where(zero, jnp.asarray(at_zero, x.dtype), positive.astype(x.dtype))


def _without_subnormals(x: Array) -> Array:
    """Subnormals replaced by the smallest normal float of their sign.

    The step counts a subnormal as nonzero, while XLA on CPU compares it as
    zero; so that a piecewise g takes the same branch as the spike, g sees
    the nearest normal float (g changes by far less than a rounding there).
    """
    bits_type = _BITS[np.dtype(x.dtype)]
    tiny = np.finfo(x.dtype).tiny
    magnitude = lax.bitcast_convert_type(x, bits_type) & np.iinfo(bits_type).max
    subnormal = (magnitude > 0) & (magnitude < int(np.array(tiny, x.dtype).view(bits_type)))
    return jnp.where(subnormal, jnp.copysign(jnp.asarray(tiny, x.dtype), x), x)


def _fit(value: Any, ndim: int, dtype: Any) -> Array:
    """A parameter in the compute dtype, with leading axes up to x's rank.

    Explicit, so that per-neuron parameters work under
    ``jax.numpy_rank_promotion("raise")``. A Python number stays one.
    """
    if type(value) is float or value is None:
        return value  # compiled in (a Python float is weakly typed, as in hand-written code)
    a = jnp.asarray(value).astype(dtype)
    if 0 < a.ndim < ndim:
        a = a.reshape((1,) * (ndim - a.ndim) + a.shape)
    return a


def _in_compute_dtype(x: Array, alpha: Any, params: Mapping[str, Any]) -> tuple:
    dtype = validation.compute_dtype(x.dtype)
    fitted = {k: _fit(v, x.ndim, dtype) for k, v in params.items()}
    return x.astype(dtype), None if alpha is None else _fit(alpha, x.ndim, dtype), fitted


# Each of the maths that draws gets its own stream of the call's key.
_STREAMS = {"forward": 1, "derivative": 2}


def _stream(decl: Declaration, role: str, key: Any) -> dict[str, Any]:
    return {"key": jax.random.fold_in(key, _STREAMS[role])} if role in decl.keyed else {}


def _forward(decl: Declaration, x: Array, alpha: Any, params: Any, key: Any) -> Array:
    if decl.probability is None and decl.forward is None:
        return _step(x, decl.at_zero)
    xc, ac, pc = _in_compute_dtype(x, alpha, params)
    xc = _without_subnormals(xc)
    if decl.probability is not None:
        noise = jax.random.uniform(key, x.shape, xc.dtype)
        return (noise < decl.call(decl.probability, xc, ac, pc)).astype(x.dtype)
    pc = {**pc, **_stream(decl, "forward", key)}
    return decl.call(decl.forward, xc, ac, pc).astype(x.dtype)


def _grad_x(decl: Declaration, x: Array, alpha: Any, params: Any, ct: Array, key: Any) -> Array:
    xc, ac, pc = _in_compute_dtype(x, alpha, params)
    pc = {**pc, **_stream(decl, "derivative", key)}
    g = decl.call(decl.derivative, _without_subnormals(xc), ac, pc)
    return (ct.astype(xc.dtype) * g).astype(x.dtype)


def _primitive_of_alpha(decl: Declaration, x: Array, params: Any) -> Callable[[Array], Array]:
    xc, _, pc = _in_compute_dtype(x, None, params)
    return lambda a: decl.primitive(xc, _fit(a, x.ndim, xc.dtype), **pc)


def _grad_alpha(decl: Declaration, x: Array, alpha: Array, params: Any, ct: Array) -> Array:
    s = _primitive_of_alpha(decl, x, params)
    alpha = jnp.asarray(alpha)
    _, pull = jax.vjp(s, alpha.astype(validation.compute_dtype(x.dtype)))
    (ga,) = pull(ct.astype(validation.compute_dtype(x.dtype)))
    return ga.astype(alpha.dtype)


def _tangent_alpha(decl: Declaration, x: Array, alpha: Array, params: Any,
                   alpha_dot: Array) -> Array:
    s = _primitive_of_alpha(decl, x, params)
    dtype = validation.compute_dtype(x.dtype)
    primal = jnp.asarray(alpha).astype(dtype)
    _, t = jax.jvp(s, (primal,), (jnp.asarray(alpha_dot).astype(dtype),))
    return jnp.broadcast_to(t, x.shape).astype(x.dtype)


def _reverse_core(decl: Declaration, learn_alpha: bool, static: tuple) -> Callable[..., Array]:
    # The compiled-in numbers are closed over, not passed: as operands of the
    # custom_vjp they would become arrays, and the backward would round
    # alpha / sqrt(pi) in float32 where derivative(f) folds it in float64.
    @jax.custom_vjp
    def spikes(x, alpha, params, key):
        return _forward(decl, x, *_merge_static(alpha, params, static), key)

    def spikes_and_residuals(x, alpha, params, key):
        # Residuals: x, the parameters (scalars or per-neuron arrays) and the
        # key, not g: recomputing g costs what loading a saved one would.
        return spikes(x, alpha, params, key), (x, alpha, params, key)

    def cotangents(residuals, ct):
        x, alpha, params, key = residuals
        merged = _merge_static(alpha, params, static)
        # A compiled-in alpha is a constant: nothing to learn.
        learn = learn_alpha and alpha is not None
        ga = _grad_alpha(decl, x, alpha, merged[1], ct) if learn else None
        return _grad_x(decl, x, *merged, ct, key), ga, None, None

    spikes.defvjp(spikes_and_residuals, cotangents)
    return spikes


def _forward_mode_core(decl: Declaration, learn_alpha: bool,
                       static: tuple) -> Callable[..., Array]:
    @jax.custom_jvp
    def spikes(x, alpha, params, key):
        return _forward(decl, x, *_merge_static(alpha, params, static), key)

    @spikes.defjvp
    def spikes_and_tangent(primals, tangents):
        x, alpha, params, key = primals
        merged = _merge_static(alpha, params, static)
        tangent = _grad_x(decl, x, *merged, tangents[0], key)
        if learn_alpha and alpha is not None:
            tangent = tangent + _tangent_alpha(decl, x, alpha, merged[1], tangents[1])
        return spikes(x, alpha, params, key), tangent

    return spikes


_CORES = {"reverse": _reverse_core, "forward": _forward_mode_core}


@functools.cache
def spike_kernel(decl: Declaration, mode: str, learn_alpha: bool) -> Callable[..., Array]:
    """The jitted spikes of a declaration (as ``jax.nn`` jits its functions)."""

    @functools.partial(jax.jit, static_argnames="static")
    def kernel(x, alpha, params, key, static):
        return _CORES[mode](decl, learn_alpha, static)(x, alpha, params, key)

    return kernel


@functools.partial(jax.jit, static_argnums=0, static_argnames="static")
def derivative_kernel(decl: Declaration, x: Array, alpha: Any, params: Any, key: Any,
                      static: tuple) -> Array:
    alpha, params = _merge_static(alpha, params, static)
    return _grad_x(decl, x, alpha, params, jnp.ones_like(x), key)


@functools.partial(jax.jit, static_argnums=0, static_argnames="static")
def primitive_kernel(decl: Declaration, x: Array, alpha: Any, params: Any, key: Any,
                     static: tuple) -> Array:
    alpha, params = _merge_static(alpha, params, static)
    xc, ac, pc = _in_compute_dtype(x, alpha, params)
    return decl.call(decl.primitive, xc, ac, pc).astype(x.dtype)


def nan_where_nan(x: Array, g: Array) -> Array:
    """For shapes with constant pieces, which would hide a NaN input: a NaN x
    gives a NaN derivative, as every other shape's arithmetic does."""
    return jnp.where(jnp.isnan(x), x, g)
