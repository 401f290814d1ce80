"""Spike functions: the objects users call, and the ways to make and derive them.

A spike function is a :class:`SpikeFunction`, a callable that keeps its
declaration, pickles by the recipe that made it (so multiprocessing and saved
configs work for every one of them) and carries the user's name, module,
signature and docstring.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from jaxsurrogate._src import docs, mechanism, validation
from jaxsurrogate._src.declaration import Declaration, declare, derive
from jaxsurrogate._src.mechanism import UNSET, Array

Maths = Callable[..., Array]


def _parameter(name: str, kind: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, kind, default=default)


def _signature(decl: Declaration, *, spikes: bool, key: bool = False) -> inspect.Signature:
    p = inspect.Parameter
    parameters = [_parameter("x", p.POSITIONAL_OR_KEYWORD)]
    if decl.alpha is not None:
        parameters.append(_parameter(decl.alpha_name, p.POSITIONAL_OR_KEYWORD, decl.alpha))
    if (spikes and decl.stochastic) or key:
        parameters.append(_parameter("key", p.KEYWORD_ONLY))
    parameters += [_parameter(k, p.KEYWORD_ONLY, v) for k, v in decl.params.items()]
    if spikes and decl.learnable:
        parameters.append(_parameter("learn_alpha", p.KEYWORD_ONLY, False))
    return inspect.Signature(parameters, return_annotation=Array)


class SpikeFunction:
    """A surrogate spike function: the step forward, ``ct * g(x, alpha)`` backward."""

    def __init__(self, decl: Declaration, mode: str, checked: bool, recipe: tuple,
                 qualname: str | None = None, module: str | None = None) -> None:
        self.declaration = decl
        self.mode = mode
        self.checked = checked
        self._recipe = recipe
        self._derived: dict[Any, Any] = {}
        self.__name__ = decl.name
        self.__qualname__ = qualname or decl.name
        self.__module__ = module or "jaxsurrogate"
        self.__doc__ = docs.render(decl)
        self.__signature__ = _signature(decl, spikes=True)
        self.__wrapped__ = decl.derivative  # inspect.getsource shows the declared g

    def __call__(self, x: Any, *alpha: Any, key: Any = None, learn_alpha: Any = False,
                 **params: Any) -> Array:
        ops = mechanism.bind(self.declaration, x, _positional(self.declaration, alpha), params,
                             key=key, learn_alpha=learn_alpha, checked=self.checked)
        kernel = mechanism.spike_kernel(self.declaration, self.mode, ops.learn_alpha)
        with validation.forward_mode_hint(self.__name__, f"js.forward_mode(js.get({self.__name__!r}))"):
            return kernel(ops.x, ops.alpha, ops.params, ops.key, static=ops.static)

    def __reduce__(self) -> tuple:
        return self._recipe

    def __repr__(self) -> str:
        twin = "" if self.mode == "reverse" else f", {self.mode} mode"
        return f"<spike function {self.__name__}{twin}{', checked' if self.checked else ''}>"

    def _derive(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]


class DeclaredMaths:
    """The derivative g or the primitive S of a spike function, with its defaults."""

    def __init__(self, fn: SpikeFunction, kind: str) -> None:
        decl = fn.declaration
        self._spike_function = fn
        self._kernel = {"derivative": mechanism.derivative_kernel,
                        "primitive": mechanism.primitive_kernel}[kind]
        # Only a derivative that draws (a random backward) takes a key.
        self._needs_key = kind == "derivative" and "derivative" in decl.keyed
        self._reduce = (derivative if kind == "derivative" else primitive, (fn,))
        self.__name__ = self.__qualname__ = f"{decl.name}_{kind}"
        self.__module__ = "jaxsurrogate"
        self.__doc__ = (f"The {kind} of :func:`{decl.name}`, "
                        f"{'g' if kind == 'derivative' else 'S'}(x, alpha, **params).")
        self.__signature__ = _signature(decl, spikes=False, key=self._needs_key)

    def __call__(self, x: Any, *alpha: Any, key: Any = None, **params: Any) -> Array:
        decl = self._spike_function.declaration
        ops = mechanism.bind(decl, x, _positional(decl, alpha), params, key=key,
                             checked=self._spike_function.checked, needs_key=self._needs_key)
        return self._kernel(decl, ops.x, ops.alpha, ops.params, ops.key, static=ops.static)

    def __reduce__(self) -> tuple:
        return self._reduce

    def __repr__(self) -> str:
        return f"<{self.__name__}>"


def _positional(decl: Declaration, args: tuple) -> Any:
    """The one positional parameter after x (alpha, by whatever name), or UNSET."""
    if len(args) > 1:
        raise TypeError(f"{decl.name}: takes x and at most one positional parameter "
                        f"({decl.alpha_name}); pass the others by name")
    return args[0] if args else UNSET


def declaration_of(fn: Any) -> Declaration:
    decl = getattr(fn, "declaration", None)
    if not isinstance(fn, SpikeFunction) or not isinstance(decl, Declaration):
        raise TypeError(f"{getattr(fn, '__name__', fn)!r} is not a jaxsurrogate spike "
                        f"function; build one with jaxsurrogate.surrogate")
    return decl


@functools.cache
def _declared(g: Maths, name: str | None, at_zero: float, primitive: Maths | None,
              forward: Maths | None, probability: Maths | None, domains: tuple,
              aliases: tuple, check: Maths | None) -> SpikeFunction:
    decl = declare(g, name=name, at_zero=at_zero, primitive=primitive, forward=forward,
                   probability=probability, domains=dict(domains), aliases=aliases,
                   check=check)
    options = (name, at_zero, primitive, forward, probability, domains, aliases, check)
    recipe = (_redeclared, (g.__module__, g.__qualname__, options))
    return SpikeFunction(decl, "reverse", False, recipe, qualname=g.__qualname__,
                         module=g.__module__)


def _redeclared(module: str, qualname: str, options: tuple) -> SpikeFunction:
    """Unpickles a declared spike function: finds g where it was defined.

    There the name is the spike function itself (the decorator form) or the
    plain g (the call form); either way the cache gives back the same object.
    """
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    g = obj.__wrapped__ if isinstance(obj, SpikeFunction) else obj
    return _declared(g, *options)


def surrogate(derivative: Maths | None = None, *, primitive: Maths | None = None,
              forward: Maths | None = None, probability: Maths | None = None,
              at_zero: float = 0.0, name: str | None = None, aliases: tuple[str, ...] = (),
              domains: Mapping[str, str] | None = None, check: Maths | None = None,
              **defaults: Any) -> Any:
    r"""Builds a spike function from its surrogate derivative.

    .. math::
        f(x) = H(x), \qquad \frac{\partial f}{\partial x} := g(x, \alpha)

    The forward is the Heaviside step :math:`H(x)` (with :math:`H(0)` =
    ``at_zero``), the backward ``ct * g(x, alpha)``. The defaults are those of
    ``g``'s signature: ``def g(x, alpha=2.0, *, width=1.0)`` declares alpha
    (default 2) and an extra parameter ``width``; a ``g`` without ``alpha``
    declares a shape without one. Usable as a decorator or a call.

    Args:
        derivative: ``g(x[, alpha=DEFAULT][, *, param=DEFAULT, ...])``,
            element-wise in ``jax.numpy``. Its docstring (summary, a
            ``.. math::`` block with ``g(x) = ...``, what each parameter means
            under ``Args:``) becomes the spike function's, completed with the
            defaults, domains and H(0).
        primitive: ``S`` with dS/dx = g, called like g; lets callers pass
            ``learn_alpha=True`` to get alpha's cotangent ``ct * dS/dalpha``.
        forward: a forward, called like g, replacing the step. A forward or
            a derivative with a keyword-only ``key`` (no default) draws from
            the call's key (its own stream of it): a noisy forward, or a
            random backward; the spike function then needs ``key=``.
        probability: makes the forward stochastic: spikes are drawn as
            Bernoulli(``probability(x, ...)``) from the ``key`` the caller passes.
        at_zero: H(0): 0 (Norse, snnTorch), 1 (SpikingJelly, braintools) or
            0.5 (jaxsnn).
        name: the function's name (default: ``derivative.__name__``).
        aliases: other names :func:`register` files it under.
        domains: ``{"alpha": "above_one", "h": "nonnegative", ...}``: each
            parameter's domain, ``"positive"`` (the default), ``"nonnegative"``,
            ``"above_one"``, ``"real"``, ``"bound"`` (any number but NaN),
            ``"count"`` (a whole number >= 1) or ``"unit"`` (in [0, 1]).
        check: ``check(alpha, **params)`` for rules between parameters:
            returns what is wrong (a sentence) or None; called on concrete
            values at every call.
        **defaults: refused with a message: defaults (``alpha=2.0``, as
            earlier versions took them here) come from ``derivative``'s
            signature; :func:`preset` makes a variant with other defaults.

    Returns:
        A spike function ``f(x, alpha=..., *, **params)`` (a ``custom_vjp``).

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> @js.surrogate
        ... def sech_bump(x, alpha=2.0):
        ...     "Hyperbolic-secant surrogate of unit area."
        ...     return alpha / jnp.pi / jnp.cosh(alpha * x)
        >>> jax.grad(lambda x: sech_bump(x).sum())(jnp.array([0.0, 1.0]))
        Array([0.63661975, 0.16921493], dtype=float32)
    """
    if defaults:
        given = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise TypeError(
            f"surrogate: unexpected keyword argument(s) {given}: a surrogate's defaults come "
            f"from its derivative's signature, e.g. def g(x, alpha=2.0, *, width=1.0); for a "
            f"variant of an existing spike function with other defaults, use "
            f"js.preset(f, 'mylab.name', alpha=...)")
    options = dict(primitive=primitive, forward=forward, probability=probability,
                   at_zero=at_zero, name=name, aliases=tuple(aliases),
                   domains=tuple(sorted((domains or {}).items())), check=check)
    if derivative is None:
        return functools.partial(surrogate, **{**options, "domains": domains})
    if not callable(derivative):
        raise TypeError(f"surrogate: derivative must be callable, got "
                        f"{type(derivative).__name__}")
    if name is None and getattr(derivative, "__name__", "") == "<lambda>":
        raise ValueError("surrogate: a lambda has no name; pass name='my_shape'")
    return _declared(derivative, name, at_zero, primitive, forward, probability,
                     options["domains"], options["aliases"], check)


@functools.cache
def _preset_of(base: SpikeFunction, name: str, alpha: Any, at_zero: Any, params: tuple,
               summary: str | None, note: str) -> SpikeFunction:
    decl = derive(declaration_of(base), name, alpha=alpha, at_zero=at_zero,
                  params=dict(params), summary=summary, note=note)
    recipe = (_preset_of, (base, name, alpha, at_zero, params, summary, note))
    return SpikeFunction(decl, "reverse", False, recipe)


def preset(base: SpikeFunction, name: str, *, alpha: float | None = None,
           at_zero: float | None = None, summary: str | None = None, note: str = "",
           register: bool = False, **params: float) -> SpikeFunction:
    """A spike function with the maths of ``base`` and other defaults or H(0).

    Args:
        base: a spike function made by this library.
        name: the new function's name (``"<library>.<their name>"`` for a
            library preset).
        alpha: the new default alpha (None keeps ``base``'s).
        at_zero: the new H(0), 0, 0.5 or 1 (None keeps ``base``'s).
        summary: the docstring's first line (what the preset reproduces).
        note: a sentence for its docstring (where the library differs).
        register: also :func:`register` it under ``name``, so that
            :func:`get` finds it (False by default: a preset is a value).
        **params: new defaults for ``base``'s extra parameters.

    Returns:
        The new spike function; ``base`` is unchanged. The same arguments give
        the same function object.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> sj = js.preset(js.atan, "mylab.atan", alpha=2.0, at_zero=1.0)
        >>> sj(jnp.array([-1.0, 0.0, 1.0]))
        Array([0., 1., 1.], dtype=float32)
    """
    declaration_of(base)
    fn = _preset_of(base, name, alpha, at_zero, tuple(sorted(params.items())), summary, note)
    from jaxsurrogate._src import registry  # the registry imports the built-in presets

    if register:
        registry.register(name, fn)
    return fn


def _variant(base: SpikeFunction, mode: str, checked: bool) -> SpikeFunction:
    if (mode, checked) == ("reverse", False):
        return base
    return base._derive((mode, checked), lambda: SpikeFunction(
        base.declaration, mode, checked, (_variant, (base, mode, checked)),
        qualname=base.__qualname__, module=base.__module__))


def _base(fn: Any) -> SpikeFunction:
    declaration_of(fn)
    return fn._recipe[1][0] if fn._recipe[0] is _variant else fn


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
    if hasattr(fn, "rebased"):  # js.adaptive(...): the same width rule around the twin
        return fn.rebased(forward_mode(fn.base))
    return _variant(_base(fn), "forward", fn.checked)


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
    if hasattr(fn, "rebased"):
        return fn.rebased(checked(fn.base))
    return _variant(_base(fn), fn.mode, True)


def derivative(fn: SpikeFunction) -> DeclaredMaths:
    """The surrogate derivative ``g(x, alpha=default, **params)`` of a spike function.

    Args:
        fn: a spike function made by this library (a registry entry, a preset,
            or one built with :func:`surrogate`).

    Returns:
        ``g`` with the function's defaults and input checks, computed in
        ``x``'s dtype policy (half precision in float32, cast back).

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.derivative(js.superspike)(jnp.array([0.0, 0.01]))
        Array([1.  , 0.25], dtype=float32)
    """
    if hasattr(fn, "rebased"):
        return fn.maths("derivative")
    declaration_of(fn)
    return fn._derive("derivative", lambda: DeclaredMaths(fn, "derivative"))


def primitive(fn: SpikeFunction) -> DeclaredMaths | None:
    """The declared smooth primitive ``S(x, alpha, **params)``, or None.

    S is the smooth function whose derivative is the surrogate, dS/dx = g,
    with S(0) = 0; learnable alpha uses dS/dalpha.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.primitive(js.superspike)(jnp.array([1.0]), 1.0)  # x / (alpha|x| + 1)
        Array([0.5], dtype=float32)
    """
    if hasattr(fn, "rebased"):
        return fn.maths("primitive") if fn.base.declaration.primitive is not None else None
    if declaration_of(fn).primitive is None:
        return None
    return fn._derive("primitive", lambda: DeclaredMaths(fn, "primitive"))
