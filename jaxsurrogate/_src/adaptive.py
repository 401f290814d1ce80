r"""``adaptive``: a spike function whose surrogate width follows its own input.

The width ``w`` comes from the detached standard deviation of ``x`` (the
membrane potential minus the threshold) over chosen axes, through a rule from
the literature; the spike function's surrogate is then stretched by ``w``
along ``x``, its area kept: :math:`g_w(x) = g(x / w; \alpha) / w`. The forward
is the spike function's own step of ``x``, bit for bit.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Hashable
from typing import Any

import jax.numpy as jnp
from jax import lax

from jaxsurrogate._src import validation
from jaxsurrogate._src.mechanism import UNSET, Array
from jaxsurrogate._src.spike import SpikeFunction, derivative, primitive

WidthRule = Callable[[Array], Array]


def _ds_atgo(std: Array) -> Array:
    # DS-ATGO, surrogate.py: w0 (1 - tanh(V0 - std)) for std <= V0 and
    # w0 (1 + tanh(std - V0)) above, one expression since tanh is odd.
    return 1 + jnp.tanh(std - 1)


def _mpd_agl(std: Array, *, bn_weight_mean: Any = None, v_th: Any = 0.5, tau: Any = 0.2,
             first_step: Any = False) -> Array:
    # MPD-AGL, surrogate.py: width 2 * tdBN_gammaAve * neuron_Vth at the first
    # step (Learnable_ActFun1), times sqrt(1 + neuron_tau^2) after it
    # (Learnable_ActFun2); 1 without normalisation (param None). v_th and tau
    # default to its LIFNode's (Vth 0.5, decay tau 0.2). It does not use std.
    one = jnp.ones_like(std)
    if bn_weight_mean is None:
        return one
    later = jnp.sqrt(1 + jnp.asarray(tau, std.dtype) ** 2)
    return 2 * jnp.asarray(bn_weight_mean, std.dtype) * jnp.asarray(v_th, std.dtype) * (
        jnp.where(first_step, one, later * one))


def _two_std(std: Array) -> Array:
    return 2 * std


RULES: dict[str, WidthRule] = {"ds_atgo": _ds_atgo, "mpd_agl": _mpd_agl, "two_std": _two_std}


def _statistics_of(rule: WidthRule) -> tuple[str, ...]:
    """The keyword-only parameters of a rule: statistics the caller passes at the call."""
    try:
        parameters = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


def _axes(axis: Any) -> tuple[int, ...] | None:
    """``axis`` as a sorted tuple of ints (None: every axis), checked for type."""
    if axis is None:
        return None
    items = axis if isinstance(axis, tuple) else (axis,)
    if not items or not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
        raise TypeError(f"adaptive: axis must be None, an int or a non-empty tuple of ints, "
                        f"got {axis!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"adaptive: axis has repeated entries: {axis!r}")
    return tuple(items)


class AdaptiveSpikeFunction:
    """A spike function whose surrogate width is set by a rule from its input's spread.

    Made by :func:`adaptive`; called like the spike function it wraps.
    """

    def __init__(self, base: SpikeFunction, rule: str | WidthRule,
                 axis: tuple[int, ...] | None, axis_name: Hashable | None) -> None:
        self.base = base
        self.rule = rule
        self.axis = axis
        self.axis_name = axis_name
        self._width_of_std = RULES[rule] if isinstance(rule, str) else rule
        self.statistics = _statistics_of(self._width_of_std)
        rule_name = rule if isinstance(rule, str) else getattr(rule, "__name__", "rule")
        self.__name__ = self.__qualname__ = f"adaptive({base.__name__}, {rule_name})"
        self.__module__ = "jaxsurrogate"
        self.__doc__ = (f"{base.__name__} with its surrogate stretched by the width of rule "
                        f"{rule_name!r} (see jaxsurrogate.adaptive).")

    @property
    def declaration(self) -> Any:
        """The declaration of the wrapped shape (its name, defaults and H(0))."""
        return self.base.declaration

    def _reduced_axes(self, x: Array) -> tuple[int, ...]:
        if self.axis is None:
            return tuple(range(x.ndim))
        axes = []
        for a in self.axis:
            if not -x.ndim <= a < x.ndim:
                raise ValueError(f"adaptive: axis {a} is out of range for x of rank {x.ndim} "
                                 f"(shape {tuple(x.shape)})")
            axes.append(a % x.ndim)
        if len(set(axes)) != len(axes):
            raise ValueError(f"adaptive: axis {self.axis!r} names an axis of x twice")
        return tuple(sorted(axes))

    def std(self, x: Any) -> Array:
        """The detached standard deviation of ``x`` (N − 1 in the denominator).

        Taken over ``axis`` (every axis if None) and, with ``axis_name``, over
        the devices or mapped instances of that axis (``lax.pmean``); kept
        dimensions, so it broadcasts against ``x``. In float32 for half
        precision, else in ``x``'s dtype.
        """
        x = validation.floating_array(x, self.__name__)
        axes = self._reduced_axes(x)
        count = math.prod(x.shape[a] for a in axes)
        xc = lax.stop_gradient(x).astype(validation.compute_dtype(x.dtype))
        mean = jnp.mean(xc, axis=axes, keepdims=True)
        if self.axis_name is not None:
            mean = lax.pmean(mean, self.axis_name)
        square = jnp.mean((xc - mean) ** 2, axis=axes, keepdims=True)
        if self.axis_name is not None:
            square = lax.pmean(square, self.axis_name)
            count *= lax.psum(1, self.axis_name)  # the axis size, a Python int
        if isinstance(count, int):
            if count < 2:
                raise ValueError(f"adaptive: a standard deviation needs at least 2 values, "
                                 f"but axis={self.axis!r} of x of shape {tuple(x.shape)} holds "
                                 f"{count}")
        else:  # a symbolic dimension (jax.export): known when the program runs
            count = jnp.asarray(count, square.dtype)
        return jnp.sqrt(square * (count / (count - 1)))

    def width(self, x: Any, **statistics: Any) -> Array:
        """The surrogate's width ``w`` for input ``x``: the rule of the std, detached.

        ``statistics`` are what the rule takes besides the std (MPD-AGL's
        ``bn_weight_mean``, ``v_th``, ``tau``, ``first_step``). Floored at the
        compute dtype's machine epsilon (in units of x), so that a layer whose
        potentials are all equal (std 0: a silent layer at initialisation)
        gets a narrow window instead of a division by zero.
        """
        unknown = sorted(set(statistics) - set(self.statistics))
        if unknown:
            raise TypeError(f"{self.__name__}: unknown statistic(s) {unknown}; rule "
                            f"{self.rule!r} takes {list(self.statistics) or 'none'}")
        std = self.std(x)
        w = jnp.asarray(self._width_of_std(std, **statistics), std.dtype)
        return lax.stop_gradient(jnp.maximum(w, jnp.finfo(std.dtype).eps))

    def __call__(self, x: Any, alpha: Any = UNSET, *, key: Any = None,
                 learn_alpha: Any = False, **params: Any) -> Array:
        x = validation.floating_array(x, self.__name__)
        statistics = {k: params.pop(k) for k in self.statistics if k in params}
        w = self.width(x, **statistics)
        kwargs = dict(params, learn_alpha=learn_alpha)
        if key is not None:
            kwargs["key"] = key
        stretched = (x.astype(w.dtype) / w).astype(x.dtype)
        spikes = self.base(stretched, alpha, **kwargs)
        # The value is the step of x itself (x / w can underflow to 0 or lose
        # a subnormal); the gradient is the stretched surrogate's.
        return spikes + lax.stop_gradient(self.base(x, alpha, **kwargs) - spikes)

    @property
    def mode(self) -> str:
        return self.base.mode

    @property
    def checked(self) -> bool:
        return self.base.checked

    def rebased(self, base: SpikeFunction) -> AdaptiveSpikeFunction:
        """The same rule and axes around another base (its twin, its checked form)."""
        return _adaptive(base, self.rule, self.axis, self.axis_name)

    def maths(self, kind: str) -> StretchedMaths:
        """The stretched derivative g(x/w)/w or primitive S(x/w)."""
        return StretchedMaths(self, kind)

    def __reduce__(self) -> tuple:
        return _adaptive_again, (self.base, self.rule, self.axis, self.axis_name)

    def __repr__(self) -> str:
        return (f"<adaptive spike function {self.base.__name__}, rule {self.rule!r}, "
                f"axis {self.axis!r}, axis_name {self.axis_name!r}>")


class StretchedMaths:
    """g_w(x) = g(x/w)/w or S_w(x) = S(x/w) of an adaptive spike function, w its width for x."""

    def __init__(self, fn: AdaptiveSpikeFunction, kind: str) -> None:
        self._fn, self._kind = fn, kind
        self._maths = (derivative if kind == "derivative" else primitive)(fn.base)
        self.__name__ = self.__qualname__ = f"{fn.__name__}_{kind}"
        self.__module__ = "jaxsurrogate"
        self.__doc__ = f"The {kind} of {fn.__name__}, stretched by its width."

    def __call__(self, x: Any, *alpha: Any, key: Any = None, **params: Any) -> Array:
        x = validation.floating_array(x, self.__name__)
        w = self._fn.width(x)
        stretched = (x.astype(w.dtype) / w).astype(x.dtype)
        if key is not None:
            params = {**params, "key": key}
        value = self._maths(stretched, *alpha, **params)
        if self._kind == "derivative":
            value = (value.astype(w.dtype) / w).astype(x.dtype)
        return value

    def __reduce__(self) -> tuple:
        return (derivative if self._kind == "derivative" else primitive), (self._fn,)

    def __repr__(self) -> str:
        return f"<{self.__name__}>"


@functools.cache
def _adaptive(base: SpikeFunction, rule: Any, axis: Any, axis_name: Any) -> AdaptiveSpikeFunction:
    return AdaptiveSpikeFunction(base, rule, axis, axis_name)


def _adaptive_again(base, rule, axis, axis_name) -> AdaptiveSpikeFunction:
    return _adaptive(base, rule, axis, axis_name)


def adaptive(f: Any, *, rule: str | WidthRule = "ds_atgo", axis: Any = None,
             axis_name: Hashable | None = None) -> AdaptiveSpikeFunction:
    r"""A spike function whose surrogate width tracks the spread of its own input.

    .. math::
        \sigma = \operatorname{std}(\operatorname{stop\_gradient}(x)), \qquad
        w = \mathrm{rule}(\sigma), \qquad
        f_w(x) = H(x), \qquad \frac{\partial f_w}{\partial x} := \frac{1}{w}\,
        g\!\left(\frac{x}{w}; \alpha\right)

    The surrogate ``g`` of ``f`` is stretched by ``w`` along ``x`` and keeps its
    area; the forward is ``f``'s own step of ``x``. So alpha keeps its
    meaning at ``w = 1`` and scales the window, and a sweep over alpha stays
    meaningful. Stretching is exactly alpha → alpha/w for the rectangle (with
    alpha 1: the papers' :math:`\tfrac1w\mathbb{1}[|x| < w/2]`) and for every
    shape whose alpha is the inverse width of a fixed-area g (sigmoid, atan,
    erf, soft_sign, piecewise_exp, piecewise_quadratic); for a shape of peak 1
    (superspike, heavi_tanh, triangular) the peak becomes 1/w, and
    dspike's support becomes :math:`|x| \le w/2`.

    Rules (σ in units of x; the unbiased std, as ``torch.std``):

    * ``"ds_atgo"``: :math:`w = 1 + \tanh(\sigma - 1)`, DS-ATGO's width with
      its :math:`w_0 = 1` and :math:`V_0 = 1`; bounded, in (0.24, 2).
      DS-ATGO takes σ of the layer's pre-spike potential over batch and
      neurons at each time step (``axis=None``); its threshold adaptation
      (:math:`\theta_t = \mu_t + \sigma_t`) is the neuron's, not done here.
    * ``"mpd_agl"``: MPD-AGL's rule, from statistics the caller passes at
      each call: :math:`w = 2\bar\gamma V_{th}` at the first step and
      :math:`2\bar\gamma V_{th}\sqrt{1 + \tau^2}` after it, with
      :math:`\bar\gamma` the mean weight of the normalisation (tdBN) before
      the layer (``bn_weight_mean=``), ``v_th=`` (default 0.5), the decay
      ``tau=`` (default 0.2: its LIF's) and ``first_step=`` (default False);
      :math:`w = 1` without ``bn_weight_mean`` (the code's rule for a layer
      without normalisation). It does not look at ``x``.
    * ``"two_std"``: :math:`w = 2\sigma`, the measured std in place of
      MPD-AGL's modelled one (the stand-in this function called "mpd_agl"
      before). Unbounded; floored at the dtype's epsilon.
    * a callable ``rule(std) -> width``; its keyword-only parameters are
      statistics the call passes (``f(x, alpha, name=value)``).

    The papers fire at :math:`u \ge 0` (:math:`H(0) = 1`); the width rules
    keep ``f``'s own :math:`H(0)`: wrap a preset with :math:`H(0) = 1`, e.g.
    ``js.adaptive(js.get("spikingjelly.rect"), rule="mpd_agl")``, to match.

    Under ``vmap`` without ``axis_name`` each mapped instance takes its own
    statistics; under ``jit`` with sharded arrays the statistics are global
    (XLA inserts the reductions); inside ``shard_map`` or ``pmap`` pass the
    mapped axis as ``axis_name``. A NaN or inf in ``x`` makes the whole
    reduced slice's gradient NaN. ``learn_alpha=True`` learns the scale alpha
    through ``f``'s primitive.

    Args:
        f: a spike function of this library (a name's, a preset, one made
            with :func:`surrogate` or its :func:`forward_mode` twin).
        rule: ``"ds_atgo"``, ``"mpd_agl"``, ``"two_std"`` or
            ``rule(std, *, statistic=...) -> width``.
        axis: the axes of ``x`` the std is taken over: None (all), an int or a
            tuple; the others keep one width each (``axis=0``: per neuron).
        axis_name: a mapped axis (``shard_map``, ``pmap``, ``vmap``) the
            statistics are also averaged over with ``lax.pmean``.

    Returns:
        A spike function ``f_w(x, alpha=..., *, key=..., learn_alpha=...,
        **params)`` with ``f``'s arguments; its ``width(x)`` and ``std(x)``
        give the width and std for an input. It works with :func:`fire` and
        as ``LIFParameters(method=...)``.

    Raises:
        TypeError, ValueError: for an ``f`` that is not a spike function, an
            unknown rule, an axis that is not an int or tuple; at the call,
            for an axis out of range or fewer than 2 values to take a std of.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> f = js.adaptive(js.rectangle, rule="ds_atgo")
        >>> x = jnp.array([-0.6, -0.2, 0.0, 0.2, 0.6])
        >>> f(x)
        Array([0., 0., 0., 1., 1.], dtype=float32)
        >>> w = f.width(x)  # 1 + tanh(std - 1), std 0.4472
        >>> jax.grad(lambda x: f(x).sum())(x) * w[0]  # rectangle of width w
        Array([0., 1., 1., 1., 0.], dtype=float32)

    Reference:
        DS-ATGO: J. Jiang, Y. Xu, Y. Fan, R. Yan, "Dual-stage synergistic
        learning via forward adaptive threshold and backward gradient
        optimization for spiking neural networks", AAAI 2026
        (arXiv:2511.13050); code read: ``jqjiang1999/DS-ATGO`` @ ``333ad21``,
        ``surrogate.py`` (``SG``: width, rectangle) and ``neuron.py``
        (``spiking``: ``torch.std(v.detach())`` per step). MPD-AGL: J. Jiang
        et al., "Adaptive gradient learning for spiking neural networks by
        exploiting membrane potential dynamics", IJCAI 2025
        (arXiv:2505.11863); code read: ``Stay-Sane/MPD-AGL`` @ ``5708a46``,
        ``surrogate.py`` (``Learnable_ActFun1``/``2``: the width, the
        rectangle, ``x >= 0``), ``neuron.py`` (``LIFNode``: tau 0.2, Vth 0.5)
        and ``models/layers.py`` (``tdBatchNorm2d``: ``tdBN_gammaAve``). The
        papers' texts were not read.
    """
    if isinstance(f, AdaptiveSpikeFunction):
        raise TypeError(f"adaptive: f is already adaptive ({f!r}); pass its base")
    if not isinstance(f, SpikeFunction):
        raise TypeError(f"adaptive: f must be a jaxsurrogate spike function (e.g. "
                        f"js.superspike or js.get('super')), got {f!r}")
    if isinstance(rule, str):
        if rule not in RULES:
            raise ValueError("adaptive: rule: " + validation.unknown_name_message(
                rule, RULES, "rule") + ", or a callable rule(std) -> width")
    elif not callable(rule):
        raise TypeError(f"adaptive: rule must be one of {sorted(RULES)} or a callable "
                        f"rule(std) -> width, got {rule!r}")
    if axis_name is not None and not isinstance(axis_name, Hashable):
        raise TypeError(f"adaptive: axis_name must be a hashable axis name, got {axis_name!r}")
    return _adaptive(f, rule, _axes(axis), axis_name)
