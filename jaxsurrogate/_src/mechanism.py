"""Turns a surrogate declaration into a spike function.

A surrogate is declared by its derivative ``g(x, alpha, **params)``; everything
else (the ``custom_vjp`` and its forward-mode twin, the dtype policy, input
checks, the optional learnable alpha) is made here once for all of them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxsurrogate._src import validation

Array = jax.Array
Derivative = Callable[..., Array]
SpikeFunction = Callable[..., Array]

_UNSET: Any = object()

# Integer twins of the float types, for comparing by bit pattern (see `_step`).
_BITS = {
    np.dtype(jnp.float16): np.int16,
    np.dtype(jnp.bfloat16): np.int16,
    np.dtype(jnp.float32): np.int32,
    np.dtype(jnp.float64): np.int64,
}


@dataclasses.dataclass(frozen=True, eq=False)
class Declaration:
    """What a spike function computes; pure data, no JAX plumbing."""

    name: str
    derivative: Derivative
    alpha: float | None
    params: Mapping[str, float]
    at_zero: float = 0.0
    primitive: Derivative | None = None
    forward: Derivative | None = None
    probability: Derivative | None = None
    alpha_domain: str = "positive"
    param_domains: Mapping[str, str] = dataclasses.field(default_factory=dict)
    symmetric: bool = True
    nonnegative: bool = True

    @property
    def stochastic(self) -> bool:
        return self.probability is not None

    def domain(self, param: str) -> str:
        """The domain of ``"alpha"`` or of an extra parameter."""
        if param == "alpha":
            return self.alpha_domain
        return self.param_domains.get(param, "positive")

    def call(self, fn: Derivative, x: Array, alpha: Any, params: Mapping[str, Any]) -> Array:
        """Calls one of the declared maths, with or without alpha."""
        if self.alpha is None:
            return fn(x, **params)
        return fn(x, alpha, **params)


def nan_where_nan(x: Array, g: Array) -> Array:
    """For shapes with constant pieces, which would hide a NaN input: a NaN x
    gives a NaN derivative, as every other shape's arithmetic does."""
    return jnp.where(jnp.isnan(x), x, g)


def compute_dtype(dtype: Any) -> Any:
    """Half precision is computed in float32, then cast back."""
    return jnp.promote_types(dtype, jnp.float32)


def _cast(tree: Any, dtype: Any) -> Any:
    return jax.tree.map(lambda a: jnp.asarray(a).astype(dtype), tree)


def _step(x: Array, at_zero: float) -> Array:
    """H(x) with H(0) = at_zero, in x's dtype.

    Compared by bit pattern because XLA on CPU treats subnormals as zero in
    float comparisons: ``x > 0`` would say no to the smallest positive float.
    """
    bits_type = _BITS.get(np.dtype(x.dtype))
    if bits_type is None:
        positive = x > 0
        zero = x == 0
    else:
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


def _forward(decl: Declaration, x: Array, alpha: Any, params: Any, noise: Any) -> Array:
    if decl.probability is None and decl.forward is None:
        return _step(x, decl.at_zero)
    dtype = compute_dtype(x.dtype)
    xc, ac, pc = x.astype(dtype), _cast(alpha, dtype), _cast(params, dtype)
    if decl.probability is not None:
        p = decl.call(decl.probability, xc, ac, pc)
        return (noise < p).astype(x.dtype)
    return decl.call(decl.forward, xc, ac, pc).astype(x.dtype)


def _grad_x(decl: Declaration, x: Array, alpha: Any, params: Any, ct: Array) -> Array:
    dtype = compute_dtype(x.dtype)
    g = decl.call(decl.derivative, x.astype(dtype), _cast(alpha, dtype), _cast(params, dtype))
    return (ct.astype(dtype) * g).astype(x.dtype)


def _primitive_of_alpha(
    decl: Declaration, x: Array, params: Any, dtype: Any
) -> Callable[[Array], Array]:
    xc, pc = x.astype(dtype), _cast(params, dtype)
    return lambda a: decl.primitive(xc, a, **pc)


def _grad_alpha(decl: Declaration, x: Array, alpha: Array, params: Any, ct: Array) -> Array:
    dtype = compute_dtype(x.dtype)
    s = _primitive_of_alpha(decl, x, params, dtype)
    _, pull = jax.vjp(s, jnp.asarray(alpha).astype(dtype))
    (ga,) = pull(ct.astype(dtype))
    return ga.astype(jnp.asarray(alpha).dtype)


def _tangent_alpha(
    decl: Declaration, x: Array, alpha: Array, params: Any, alpha_dot: Array
) -> Array:
    dtype = compute_dtype(x.dtype)
    s = _primitive_of_alpha(decl, x, params, dtype)
    _, t = jax.jvp(s, (jnp.asarray(alpha).astype(dtype),), (jnp.asarray(alpha_dot).astype(dtype),))
    return jnp.broadcast_to(t, x.shape).astype(x.dtype)


def _reverse_core(decl: Declaration, learn_alpha: bool) -> Callable[..., Array]:
    @jax.custom_vjp
    def spike(x, alpha, params, noise):
        return _forward(decl, x, alpha, params, noise)

    def forward(x, alpha, params, noise):
        # Only x is kept: recomputing g costs what loading a saved g would.
        return _forward(decl, x, alpha, params, noise), (x, alpha, params)

    def backward(residuals, ct):
        x, alpha, params = residuals
        ga = _grad_alpha(decl, x, alpha, params, ct) if learn_alpha else None
        return _grad_x(decl, x, alpha, params, ct), ga, None, None

    spike.defvjp(forward, backward)
    return spike


def _forward_mode_core(decl: Declaration, learn_alpha: bool) -> Callable[..., Array]:
    @jax.custom_jvp
    def spike(x, alpha, params, noise):
        return _forward(decl, x, alpha, params, noise)

    @spike.defjvp
    def jvp(primals, tangents):
        x, alpha, params, noise = primals
        out = _forward(decl, x, alpha, params, noise)
        tangent = _grad_x(decl, x, alpha, params, tangents[0])
        if learn_alpha:
            tangent = tangent + _tangent_alpha(decl, x, alpha, params, tangents[1])
        return out, tangent

    return spike


_CORES = {"reverse": _reverse_core, "forward": _forward_mode_core}


def _split_static(alpha: Any, params: dict[str, Any]) -> tuple[Any, dict[str, Any], tuple]:
    """Separates Python-number parameters, which are compiled in as constants.

    That is what a caller's jit does with them too: XLA folds them (x / sigma
    becomes x * (1 / sigma)) the same way in both, so eager and jit agree bit
    for bit. Arrays and tracers stay operands: changing them never recompiles.
    """
    static = tuple((k, v) for k, v in {"alpha": alpha, **params}.items() if isinstance(v, float))
    if isinstance(alpha, float):
        alpha = None
    return alpha, {k: v for k, v in params.items() if not isinstance(v, float)}, static


def _merge_static(alpha: Any, params: dict[str, Any], static: tuple) -> tuple[Any, dict]:
    fixed = dict(static)
    alpha = fixed.pop("alpha", alpha)
    return alpha, {**params, **fixed}


def _kernel(core: Callable[..., Array]) -> Callable[..., Array]:
    """The core, jitted as jax.nn does, with Python-number parameters static."""

    @functools.partial(jax.jit, static_argnames="static")
    def kernel(x, alpha, params, noise, static):
        return core(x, *_merge_static(alpha, params, static), noise)

    return kernel


@functools.cache
def spike_function(
    decl: Declaration, mode: str = "reverse", checked: bool = False
) -> SpikeFunction:
    """The public spike function of a declaration (one per decl and mode)."""
    cores = {False: _kernel(_CORES[mode](decl, False))}
    if decl.primitive is not None and decl.alpha is not None:
        cores[True] = _kernel(_CORES[mode](decl, True))
    fname = decl.name

    def spike(x, alpha=_UNSET, *, key=None, learn_alpha=False, **params):
        x = validation.floating_array(x, fname)
        if decl.alpha is None:
            if alpha is not _UNSET:
                raise TypeError(f"{fname}: takes no alpha, got alpha={alpha!r}")
            alpha = None
        else:
            alpha = decl.alpha if alpha is _UNSET else alpha
            alpha = validation.parameter(alpha, "alpha", x, fname, decl.domain("alpha"))
        unknown = sorted(set(params) - set(decl.params))
        if unknown:
            known = ", ".join(decl.params) or "none"
            raise TypeError(
                f"{fname}: unknown parameter(s) {unknown}; its parameters are alpha and {known}"
            )
        values = {
            k: validation.parameter(params.get(k, default), k, x, fname, decl.domain(k))
            for k, default in decl.params.items()
        }
        if checked:
            for k, v in {"alpha": alpha, **values}.items():
                validation.check_traced(v, k, fname, decl.domain(k))
        if learn_alpha not in cores:
            raise ValueError(
                f"{fname}: learn_alpha=True needs a declared primitive S(x, "
                f"alpha); {fname} has none"
            )
        if decl.stochastic:
            key = validation.key(key, fname)
            noise = jax.random.uniform(key, x.shape, compute_dtype(x.dtype))
        elif key is not None:
            raise TypeError(f"{fname}: is deterministic and takes no key")
        else:
            noise = None
        alpha, values, static = _split_static(alpha, values)
        return cores[bool(learn_alpha)](x, alpha, values, noise, static=static)

    spike.__name__ = spike.__qualname__ = fname
    spike.__doc__ = decl.derivative.__doc__
    spike.__module__ = "jaxsurrogate"
    spike.__signature__ = _signature(decl)
    spike.declaration = decl
    spike.mode = mode
    spike.checked = checked
    return spike


def _signature(decl: Declaration) -> inspect.Signature:
    p = inspect.Parameter
    parameters = [p("x", p.POSITIONAL_OR_KEYWORD)]
    if decl.alpha is not None:
        parameters.append(p("alpha", p.POSITIONAL_OR_KEYWORD, default=decl.alpha))
    if decl.stochastic:
        parameters.append(p("key", p.KEYWORD_ONLY))
    parameters += [p(k, p.KEYWORD_ONLY, default=v) for k, v in decl.params.items()]
    if decl.primitive is not None and decl.alpha is not None:
        parameters.append(p("learn_alpha", p.KEYWORD_ONLY, default=False))
    return inspect.Signature(parameters, return_annotation=Array)


def declaration_of(fn: Any) -> Declaration:
    decl = getattr(fn, "declaration", None)
    if not isinstance(decl, Declaration):
        raise TypeError(
            f"{getattr(fn, '__name__', fn)!r} is not a jaxsurrogate spike "
            f"function; build one with jaxsurrogate.surrogate"
        )
    return decl


def surrogate(
    derivative: Derivative | None = None,
    *,
    alpha: float | None = 1.0,
    forward: Derivative | None = None,
    probability: Derivative | None = None,
    at_zero: float = 0.0,
    name: str | None = None,
    primitive: Derivative | None = None,
    alpha_domain: str = "positive",
    param_domains: Mapping[str, str] | None = None,
    symmetric: bool = True,
    nonnegative: bool = True,
) -> Any:
    r"""Builds a spike function from its surrogate derivative.

    The spike function's forward is the Heaviside step :math:`H(x)` (with
    :math:`H(0)` = ``at_zero``), its backward is ``ct * g(x, alpha)``:

    .. math::
        f(x) = H(x), \qquad \frac{\partial f}{\partial x} := g(x, \alpha)

    Usable as a decorator (``@surrogate(alpha=2.0)`` over ``g``) or a call.

    Args:
        derivative: ``g(x, alpha, **params)``, element-wise in ``jax.numpy``;
            extra shape parameters are its keyword-only arguments with
            defaults. Its docstring becomes the spike function's.
        alpha: default alpha, or ``None`` for a shape without one (then
            ``g(x, **params)``).
        forward: a deterministic forward ``forward(x, alpha, **params)`` that
            replaces the step.
        probability: makes the forward stochastic: spikes are drawn as
            Bernoulli(``probability(x, alpha, **params)``) from the ``key``
            the caller passes.
        at_zero: H(0): 0 (Norse, snnTorch), 1 (SpikingJelly, braintools) or
            0.5 (jaxsnn).
        name: the function's name (default: ``derivative.__name__``).
        primitive: ``S(x, alpha, **params)`` with dS/dx = g; lets callers pass
            ``learn_alpha=True`` to get alpha's cotangent ``ct * dS/dalpha``.
        alpha_domain: ``"positive"``, ``"nonnegative"``, ``"above_one"`` or ``"real"``;
            concrete alphas outside it raise ``ValueError``.
        param_domains: the same, per extra parameter (default positive).
        symmetric: whether g(-x) = g(x) (used by the property tests).
        nonnegative: whether g >= 0 (used by the property tests).

    Returns:
        A spike function ``f(x, alpha=alpha, *, **params)`` (a ``custom_vjp``).

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> @js.surrogate(alpha=2.0)
        ... def laplace(x, alpha):
        ...     "Laplace-shaped surrogate."
        ...     return alpha / 2 * jnp.exp(-alpha * jnp.abs(x))
        >>> jax.grad(lambda x: laplace(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.13533528], dtype=float32)
    """
    if derivative is None:
        return functools.partial(
            surrogate,
            alpha=alpha,
            forward=forward,
            probability=probability,
            at_zero=at_zero,
            name=name,
            primitive=primitive,
            alpha_domain=alpha_domain,
            param_domains=param_domains,
            symmetric=symmetric,
            nonnegative=nonnegative,
        )
    if not callable(derivative):
        raise TypeError(f"surrogate: derivative must be callable, got {type(derivative).__name__}")
    if at_zero not in (0, 0.5, 1):
        raise ValueError(f"surrogate: at_zero must be 0, 0.5 or 1, got {at_zero!r}")
    for label, domain in [
        ("alpha_domain", alpha_domain),
        *((k, v) for k, v in (param_domains or {}).items()),
    ]:
        if domain not in validation.DOMAINS:
            raise ValueError(
                f"surrogate: {label} must be one of {sorted(validation.DOMAINS)}, got {domain!r}"
            )
    params = {
        k: p.default
        for k, p in inspect.signature(derivative).parameters.items()
        if p.kind is p.KEYWORD_ONLY and p.default is not p.empty
    }
    decl = Declaration(
        name=name or derivative.__name__,
        derivative=derivative,
        alpha=alpha,
        params=params,
        at_zero=float(at_zero),
        primitive=primitive,
        forward=forward,
        probability=probability,
        alpha_domain=alpha_domain,
        param_domains=dict(param_domains or {}),
        symmetric=symmetric,
        nonnegative=nonnegative,
    )
    return spike_function(decl)


def preset(
    base: Any,
    name: str,
    *,
    alpha: float | None = _UNSET,
    at_zero: float | None = None,
    doc: str | None = None,
    **params: float,
) -> SpikeFunction:
    """A spike function with the maths of ``base`` and other defaults.

    Args:
        base: a spike function made by this library.
        name: the new function's name (``"<library>.<their name>"`` for a
            library preset).
        alpha: the new default alpha.
        at_zero: the new H(0).
        doc: the new docstring (default: ``base``'s).
        **params: new defaults for ``base``'s extra parameters.

    Returns:
        The new spike function; ``base`` is unchanged.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> sj = js.preset(js.atan, "mylab.atan", alpha=2.0, at_zero=1.0)
        >>> sj(jnp.array([-1.0, 0.0, 1.0]))
        Array([0., 1., 1.], dtype=float32)
    """
    decl = declaration_of(base)
    unknown = sorted(set(params) - set(decl.params))
    if unknown:
        raise TypeError(f"preset {name}: {decl.name} has no parameter(s) {unknown}")
    new = dataclasses.replace(
        decl,
        name=name,
        alpha=decl.alpha if alpha is _UNSET else alpha,
        params={**decl.params, **params},
        at_zero=decl.at_zero if at_zero is None else float(at_zero),
    )
    fn = spike_function(new)
    if doc is not None:
        fn.__doc__ = doc
    return fn


@functools.partial(jax.jit, static_argnums=0, static_argnames="static")
def _derivative_kernel(
    decl: Declaration, x: Array, alpha: Any, params: Any, static: tuple
) -> Array:
    alpha, params = _merge_static(alpha, params, static)
    return _grad_x(decl, x, alpha, params, jnp.ones_like(x))


def _default_alpha(decl: Declaration, alpha: Any) -> Any:
    if decl.alpha is None:
        return None
    return decl.alpha if alpha is _UNSET else alpha


def derivative(fn: SpikeFunction) -> Derivative:
    """The surrogate derivative ``g(x, alpha=default, **params)`` of a spike function.

    Args:
        fn: a spike function made by this library (a registry entry, a preset,
            or one built with :func:`surrogate`).

    Returns:
        ``g`` with the function's defaults filled in, computed in ``x``'s
        dtype policy (half precision in float32, cast back).

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.derivative(js.superspike)(jnp.array([0.0, 0.01]))
        Array([1.  , 0.25], dtype=float32)
    """
    decl = declaration_of(fn)

    def g(x, alpha=_UNSET, **params):
        x = validation.floating_array(x, decl.name)
        alpha = _default_alpha(decl, alpha)
        values = {
            k: float(v) if isinstance(v, int) else v for k, v in {**decl.params, **params}.items()
        }
        alpha = float(alpha) if isinstance(alpha, int) else alpha
        alpha, values, static = _split_static(alpha, values)
        return _derivative_kernel(decl, x, alpha, values, static=static)

    g.__name__ = f"{decl.name}_derivative"
    g.__doc__ = decl.derivative.__doc__
    return g


def primitive(fn: SpikeFunction) -> Derivative | None:
    """The declared smooth primitive ``S(x, alpha, **params)``, or None.

    S is the smooth function whose derivative is the surrogate, dS/dx = g,
    with S(0) = 0; learnable alpha uses dS/dalpha.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.primitive(js.superspike)(jnp.array([1.0]), 1.0)  # x / (alpha|x| + 1)
        Array([0.5], dtype=float32)
    """
    decl = declaration_of(fn)
    if decl.primitive is None:
        return None

    def s(x, alpha=_UNSET, **params):
        x = validation.floating_array(x, decl.name)
        dtype = compute_dtype(x.dtype)
        alpha = _cast(_default_alpha(decl, alpha), dtype)
        values = _cast({**decl.params, **params}, dtype)
        return decl.call(decl.primitive, x.astype(dtype), alpha, values).astype(x.dtype)

    s.__name__ = f"{decl.name}_primitive"
    return s


def forward_mode(fn: SpikeFunction) -> SpikeFunction:
    """The forward-mode twin of a spike function (a ``jax.custom_jvp``).

    ``custom_vjp`` functions cannot be used under ``jax.jvp``, ``jax.jacfwd``
    or ``jax.hessian``; the twin has the same forward and the same derivative
    and works under both forward and reverse mode.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> f = js.forward_mode(js.superspike)
        >>> jax.jvp(f, (jnp.array(0.0),), (jnp.array(1.0),))[1]
        Array(1., dtype=float32)
    """
    decl = declaration_of(fn)
    return spike_function(decl, "forward", getattr(fn, "checked", False))


def checked(fn: SpikeFunction) -> SpikeFunction:
    """A spike function that also checks traced parameters with ``checkify``.

    Inside ``jit`` alpha is a tracer and can't be checked when the function is
    traced. The checked twin adds a ``jax.experimental.checkify`` check with
    the same message as the eager ``ValueError``; run the caller under
    ``checkify.checkify`` and call ``err.throw()``.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> from jax.experimental import checkify
        >>> f = jax.jit(js.checked(js.superspike))
        >>> err, out = checkify.checkify(f)(jnp.ones(3), -1.0)
        >>> err.get()  # doctest: +ELLIPSIS
        'superspike: alpha must be finite and > 0, got -1.0...'
    """
    return spike_function(declaration_of(fn), fn.mode, True)
