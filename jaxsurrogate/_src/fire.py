"""``fire``: threshold, spike and reset of a neuron as one differentiable step.

Built on the public API only (a spike function, :func:`jaxsurrogate.get`,
:func:`jaxsurrogate.forward_mode`), so that it stays correct whatever the
mechanism behind the spike functions becomes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.ad_checkpoint import checkpoint_name

import jaxsurrogate as js
from jaxsurrogate._src import validation

Array = jax.Array

RESIDUAL_NAME = "jaxsurrogate.fire.x"
RESETS = ("zero", "subtract", "none")
MODES = ("reverse", "forward")


# --------------------------------------------------------------------------
# Argument checks: each names the argument and what was expected.


def _operand(value: Any, arg: str, v: Array) -> Array:
    """A voltage-like operand (v_th, v_reset): a number or +-inf (not NaN), broadcastable
    to v, in v's dtype. An infinite threshold is a neuron that never (or always) fires."""
    value = validation.parameter(value, arg, v, "fire", "bound", against="v")
    # Cast here, outside the custom_vjp: the cast's own VJP then returns the
    # cotangent in the caller's dtype.
    return jnp.asarray(value).astype(v.dtype)


def _spike_function(spike: Any) -> Callable[..., Array]:
    if isinstance(spike, str):
        return js.get(spike)
    if not isinstance(getattr(spike, "declaration", None), js.Declaration):
        raise TypeError(
            f"fire: spike must be a jaxsurrogate spike function (e.g. js.superspike) or a "
            f"registry name, alias or preset (e.g. 'spikingjelly.atan'), got {spike!r}"
        )
    return spike


def _residual_dtype(residual_dtype: Any, v: Array, mode: str) -> Any:
    if residual_dtype is None:
        return v.dtype
    if mode == "forward":
        raise ValueError(
            "fire: residual_dtype is for mode='reverse' (the custom_vjp keeps x for the "
            "backward pass); mode='forward' keeps no residual: leave residual_dtype=None"
        )
    try:
        dtype = np.dtype(residual_dtype)
    except TypeError as e:
        raise TypeError(
            f"fire: residual_dtype must be a floating dtype such as jnp.bfloat16, got "
            f"{residual_dtype!r}"
        ) from e
    if dtype not in validation.SUPPORTED_FLOATS:
        raise TypeError(
            f"fire: residual_dtype must be a floating dtype ({validation.FLOAT_NAMES}), got {dtype}"
        )
    return dtype


def _spikes_fit_the_reset(fn: Any, reset: str) -> None:
    if reset == "zero" and fn.declaration.counts_spikes:
        raise ValueError(
            f"fire: reset='zero' needs 0/1 spikes, but spike {fn.__name__!r} counts up to "
            f"{fn.declaration.alpha_name} spikes, so (1 - z) * v would flip and grow v; use "
            f"reset='subtract' (v - z * v_th, SpikingJelly's I-LIF soft reset)"
        )


def _choice(value: Any, arg: str, choices: tuple[str, ...], hint: str = "") -> str:
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(map(repr, choices))
        raise ValueError(f"fire: {arg} must be one of {valid}, got {value!r}{hint}")
    return value


# --------------------------------------------------------------------------
# Shapes: per-neuron operands are broadcast explicitly (so that rank
# promotion "raise" holds) and their cotangents summed back.


def _broadcast(a: Any, shape: tuple) -> Any:
    if a is None or np.ndim(a) == 0:
        return a
    return jnp.broadcast_to(a, shape)


def _sum_to(ct: Array, shape: tuple) -> Array:
    """The cotangent of an operand of ``shape`` that was broadcast to ct's shape."""
    lead = ct.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and ct.shape[lead + i] != 1
    )
    if axes:
        ct = jnp.sum(ct, axis=axes)
    return ct.reshape(shape)


class _Spike:
    """The spike function with its concrete arguments bound.

    Concrete alpha and shape parameters are closed over, so the spike checks
    them at the call (domains included); traced ones are operands of the
    step, so they can vary without retracing and receive cotangents.
    """

    def __init__(self, fn, alpha, params, learn_alpha):
        self.fn, self.learn_alpha = fn, learn_alpha
        self.alpha = alpha
        self.static = {k: p for k, p in params.items() if not isinstance(p, jax.core.Tracer)}
        self.traced_names = tuple(k for k in params if k not in self.static)
        self.alpha_traced = isinstance(alpha, jax.core.Tracer)

    def operands(self, params: dict) -> tuple[Any, tuple]:
        alpha = self.alpha if self.alpha_traced else None
        return alpha, tuple(params[k] for k in self.traced_names)

    def __call__(self, x: Array, alpha: Any, traced: tuple, key: Any) -> Array:
        shape = x.shape
        kwargs = {k: _broadcast(p, shape) for k, p in self.static.items()}
        kwargs.update({k: _broadcast(p, shape) for k, p in zip(self.traced_names, traced)})
        if key is not None:
            kwargs["key"] = key
        if self.learn_alpha:
            kwargs["learn_alpha"] = True
        a = alpha if self.alpha_traced else self.alpha
        if a is None:
            return self.fn(x, **kwargs)
        return self.fn(x, _broadcast(a, shape), **kwargs)


# --------------------------------------------------------------------------
# The step, one custom_vjp (reverse) or custom_jvp (forward) per call site.


def _v_next(reset: str, v, z, v_th, v_reset):
    """The potential after the reset, its value only (the rules give the derivatives).

    A spike at v = +inf resets to v_reset and no spike under an infinite threshold
    subtracts nothing: 0 * inf is taken as its limit 0, not NaN.
    """
    # The where()s pick only at infinities: elsewhere this code is also
    # differentiated (at second order), and must keep z's derivative.
    if reset == "zero":
        return (1 - z) * jnp.where((z == 1) & jnp.isinf(v), 0, v) + z * v_reset
    if reset == "subtract":
        return v - z * jnp.where((z == 0) & jnp.isinf(v_th), 0, v_th)
    return v


def _saturated(a: Array) -> Array:
    """``a`` clipped to its dtype's finite range.

    Where v or v_th is infinite, the reset's term g(x) (v_reset - v) of the
    gradient is 0 * inf; clipped, it is the limit 0 for every g that vanishes
    at infinity, and stays finite for one that does not.
    """
    big = jnp.finfo(a.dtype).max
    return jnp.clip(a, -big, big)


def _reset_gap(x: Array, v_th: Array, v_reset: Array) -> Array:
    """v_reset - v, with v = x + v_th recomputed, saturated; 0 where v is lost.

    Under an infinite threshold x is infinite and v = x + v_th can't be
    recovered; the gap is then multiplied by g(+-inf) = 0, so 0 stands in.
    """
    gap = _saturated(v_reset - (x + v_th))
    return jnp.where(jnp.isnan(gap) & jnp.isinf(x), 0, gap)


def _saturated_in(a: Array, dtype: Any) -> Array:
    """``a`` in ``dtype``, values beyond its range at its largest finite value."""
    if jnp.finfo(dtype).max >= jnp.finfo(a.dtype).max:
        return a.astype(dtype)
    big = jnp.finfo(dtype).max.astype(a.dtype)
    return jnp.clip(a, -big, big).astype(dtype)


def _reverse_step(spike: _Spike, reset: str, detach: bool, residual_dtype: Any):
    def values(v, v_th, v_reset, alpha, traced, key):
        v_th_b, v_reset_b = _broadcast(v_th, v.shape), _broadcast(v_reset, v.shape)
        x = v - v_th_b
        z = spike(x, alpha, traced, key)
        # Differentiated as plain code at second order (grad-of-grad
        # differentiates this forward): detached spikes stay detached here too.
        z_r = jax.lax.stop_gradient(z) if detach else z
        return x, z, _v_next(reset, v, z_r, v_th_b, v_reset_b)

    # Everything traced is an operand (the key too): the backward pass runs
    # outside the caller's trace and must not close over its tracers.
    @jax.custom_vjp
    def step(v, v_th, v_reset, alpha, traced, key):
        _, z, v_next = values(v, v_th, v_reset, alpha, traced, key)
        return z, v_next

    def forward(v, v_th, v_reset, alpha, traced, key):
        x, z, v_next = values(v, v_th, v_reset, alpha, traced, key)
        # x is the only array the size of the layer that is kept: z and v
        # are recomputed from it in the backward pass, fused into its kernel.
        # Saturated, not overflowed: a float16 x beyond 65504 keeps its sign and
        # its spike's branch instead of becoming inf.
        x_saved = checkpoint_name(_saturated_in(x, residual_dtype), RESIDUAL_NAME)
        return (z, v_next), (x_saved, v_th, v_reset, alpha, traced, key)

    def backward(residuals, cts):
        x_saved, v_th, v_reset, alpha, traced, key = residuals
        ct_z, ct_v_next = cts
        x = x_saved.astype(v_th.dtype)
        v_th_b = _broadcast(v_th, x.shape)
        differentiable = (x,) if alpha is None else (x, alpha)
        z, pull = jax.vjp(lambda x, *a: spike(x, a[0] if a else None, traced, key),
                          *differentiable)
        # Detached, the reset's spikes are constants also to a second derivative
        # (this backward is itself differentiated by grad-of-grad).
        z_r = jax.lax.stop_gradient(z) if detach else z
        ct_v_th = None
        ct_v_reset = None
        if reset == "zero":
            ct_v = ct_v_next * (1 - z_r)
            ct_v_reset = _sum_to(ct_v_next * z_r, jnp.shape(v_reset))
            if not detach:
                ct_z = ct_z + ct_v_next * _reset_gap(x, v_th_b, _broadcast(v_reset, x.shape))
        elif reset == "subtract":
            ct_v = ct_v_next
            ct_v_th = -(ct_v_next * z_r)
            if not detach:
                ct_z = ct_z - ct_v_next * _saturated(v_th_b)
        else:
            ct_v = ct_v_next
        ct_x, *ct_alpha = pull(ct_z)
        ct_v = ct_v + ct_x
        ct_v_th = -ct_x if ct_v_th is None else ct_v_th - ct_x
        ct_alpha = _sum_to(ct_alpha[0], jnp.shape(alpha)) if ct_alpha else None
        no_ct = (None,) * len(traced)
        return ct_v, _sum_to(ct_v_th, jnp.shape(v_th)), ct_v_reset, ct_alpha, no_ct, None

    step.defvjp(forward, backward)
    return step


def _forward_mode_step(spike: _Spike, reset: str, detach: bool):
    @jax.custom_jvp
    def step(v, v_th, v_reset, alpha, traced, key):
        v_th_b, v_reset_b = _broadcast(v_th, v.shape), _broadcast(v_reset, v.shape)
        z = spike(v - v_th_b, alpha, traced, key)
        z_r = jax.lax.stop_gradient(z) if detach else z
        return z, _v_next(reset, v, z_r, v_th_b, v_reset_b)

    @step.defjvp
    def jvp(primals, tangents):
        v, v_th, v_reset, alpha, traced, key = primals
        dv, dv_th, dv_reset, dalpha, _, _ = tangents
        shape = v.shape
        v_th_b, v_reset_b = _broadcast(v_th, shape), _broadcast(v_reset, shape)
        dv_th_b, dv_reset_b = _broadcast(dv_th, shape), _broadcast(dv_reset, shape)
        x = v - v_th_b
        dx = dv - dv_th_b
        if alpha is None:
            z, dz = jax.jvp(lambda x: spike(x, None, traced, key), (x,), (dx,))
        else:
            z, dz = jax.jvp(lambda x, a: spike(x, a, traced, key), (x, alpha), (dx, dalpha))
        # Detached, the reset's spikes are constants also to a second derivative
        # (jax.hessian differentiates this rule again).
        z_r = jax.lax.stop_gradient(z) if detach else z
        v_next = _v_next(reset, v, z_r, v_th_b, v_reset_b)
        if reset == "zero":
            dv_next = (1 - z_r) * dv + z_r * dv_reset_b
            if not detach:
                dv_next = dv_next + dz * _saturated(v_reset_b - v)
        elif reset == "subtract":
            dv_next = dv - z_r * dv_th_b
            if not detach:
                dv_next = dv_next - dz * _saturated(v_th_b)
        else:
            dv_next = dv
        return (z, v_next), (dz, dv_next)

    return step


def fire(
    v: Any,
    v_th: Any = 1.0,
    *,
    spike: Any = js.superspike,
    alpha: Any = None,
    reset: str = "zero",
    v_reset: Any = 0.0,
    detach_reset: bool = False,
    key: Any = None,
    residual_dtype: Any = None,
    learn_alpha: bool = False,
    mode: str = "reverse",
    **params: Any,
) -> tuple[Array, Array]:
    r"""Threshold, spike and reset of a membrane potential, as one step.

    .. math::
        x = v - v_{th}, \qquad z = f(x, \alpha), \qquad
        v' = \begin{cases}
            (1 - \tilde z)\, v + \tilde z\, v_{reset} & \text{reset="zero"} \\
            v - \tilde z\, v_{th} & \text{reset="subtract"} \\
            v & \text{reset="none"}
        \end{cases}

    with :math:`\tilde z = z` or, with ``detach_reset=True``,
    :math:`\mathrm{stop\_gradient}(z)`. The spikes are the spike function's own
    (its :math:`H(0)` included), and the gradients, first and second order, are
    those of the same lines written with ``jax.numpy``, to rounding; where
    those lines give NaN only through :math:`0 \cdot \infty` (a spike at
    :math:`v = +\infty`, no spike under :math:`v_{th} = +\infty`, the reset's
    gradient term :math:`g(\pm\infty)(v_{reset} - v)`), fire gives the limit. The step is one ``jax.custom_vjp``
    whose only residual the size of ``v`` is ``x``: the spikes and ``v`` are
    recomputed from it (a stochastic spike redraws from its ``key``), where a
    composition keeps ``x``, the spikes and ``v`` for every step of a scan.
    The residual is named ``"jaxsurrogate.fire.x"`` (``RESIDUAL_NAME``) for
    ``jax.checkpoint`` policies, e.g.
    ``jax.checkpoint_policies.save_only_these_names(RESIDUAL_NAME)``.

    Reset policies and the libraries they reproduce: Norse's feed-forward LIF
    is ``reset="zero"``; its recurrent LIF ``reset="zero", detach_reset=True``;
    SpikingJelly's hard and soft resets are ``"zero"`` and ``"subtract"`` with
    its ``detach_reset``.

    Args:
        v: membrane potential, any floating dtype; the step runs in its dtype
            (``v_th`` and ``v_reset`` are cast to it).
        v_th: threshold, a number or an array broadcastable to ``v`` (one per
            neuron along ``v``'s trailing axes); receives a gradient. ``+inf``
            is a neuron that never fires, ``-inf`` one that always does; NaN
            is refused (a traced one can't be: it gives no spikes).
        spike: a spike function (``js.superspike``, ``js.get(...)``, one made
            with ``js.surrogate``) or a registry name, alias or preset such as
            ``"spikingjelly.atan"``.
        alpha: the spike's alpha, a number or an array broadcastable to ``v``;
            ``None`` uses the spike's default.
        reset: ``"zero"`` (to ``v_reset``), ``"subtract"`` (``v_th``) or
            ``"none"``. Spike counts (``js.multispike``) refuse ``"zero"``.
        v_reset: the potential after a spike with ``reset="zero"``, a number or
            an array broadcastable to ``v``; receives a gradient.
        detach_reset: stop the gradient through the spikes in the reset.
        key: a PRNG key, for a stochastic spike only.
        residual_dtype: the dtype ``x`` is kept in for the backward pass
            (default ``v``'s): float16, bfloat16, float32 or float64, for
            ``mode="reverse"`` only. ``jnp.bfloat16`` halves a float32 layer's
            residual; values beyond the dtype's range are kept at its largest
            finite value (float16's 65504), not overflowed to inf. The forward pass is unchanged; the backward pass sees
            ``x`` rounded to 8 bits (:math:`2^{-9}` relative) in ``g(x)`` and
            the recomputed ``v``. Measured in ``benchmarks/FIRE.md`` (784→512
            LIF, T=100, batch 256, SuperSpike alpha 100): weight gradient off
            by 7.5e-5 relative (median; at most 8.6e-5 of the largest entry),
            against 2e-7 with the float32 residual. The backward's spikes are
            recomputed from the rounded ``x``: they differ from the forward's
            only where a nonzero ``x`` rounds to 0 (below bfloat16's smallest
            subnormal) or, for a stochastic spike, where the draw lies within
            that rounding of the spike probability.
        learn_alpha: give alpha a cotangent, the total cotangent reaching the
            spikes times :math:`\partial S/\partial\alpha` (as the spike
            function does; it needs a declared primitive).
        mode: ``"reverse"`` (a ``jax.custom_vjp``) or ``"forward"`` (a
            ``jax.custom_jvp`` twin for ``jax.jvp``, ``jax.jacfwd`` and
            ``jax.hessian``; it also works in reverse mode but keeps what a
            composition keeps).
        **params: the spike's extra parameters (``sigma=``, ``width=``...), as
            the spike function takes them.

    Returns:
        ``(z, v_next)``: the spikes (0 or 1, in ``v``'s dtype) and the
        potential after the reset.

    Raises:
        TypeError, ValueError: at the call, naming the argument, for a
            non-float ``v``, an unknown ``reset``, a ``spike`` that is not a
            spike function, a ``v_th``, ``v_reset`` or ``alpha`` not
            broadcastable to ``v``, a NaN ``v_th``, a ``residual_dtype`` that
            is not one of the four floats or comes with ``mode="forward"``,
            ``reset="zero"`` with spike counts; the spike function's own
            checks for ``alpha``, ``key`` and ``**params``.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> v = jnp.array([0.5, 1.5])
        >>> z, v_next = js.fire(v, 1.0, spike="super", alpha=1.0)
        >>> z, v_next
        (Array([0., 1.], dtype=float32), Array([0.5, 0. ], dtype=float32))
        >>> jax.grad(lambda v: js.fire(v, 1.0, spike="super", alpha=1.0)[0].sum())(v)
        Array([0.44444445, 0.44444445], dtype=float32)

    Reference:
        Norse, ``norse.torch.functional.lif`` (``lif_feed_forward_step``,
        ``lif_step``); SpikingJelly, ``activation_based.neuron.BaseNode``
        (``neuronal_fire``, ``neuronal_reset``).
    """
    v = validation.floating_array(v, "fire", "v")
    fn = _spike_function(spike)
    reset = _choice(
        reset, "reset", RESETS, " (SpikingJelly's hard reset is 'zero', its soft reset 'subtract')"
    )
    mode = _choice(mode, "mode", MODES)
    detach = validation.flag(detach_reset, "detach_reset", "fire")
    learn_alpha = validation.flag(learn_alpha, "learn_alpha", "fire")
    _spikes_fit_the_reset(fn, reset)
    if alpha is not None:
        validation.broadcastable(alpha, "alpha", v, "fire", against="v")
    v_th = _operand(v_th, "v_th", v)
    v_reset = _operand(v_reset, "v_reset", v)
    dtype = _residual_dtype(residual_dtype, v, mode)
    if mode == "forward":
        fn = js.forward_mode(fn)
    bound = _Spike(fn, alpha, params, learn_alpha)
    alpha_operand, traced = bound.operands(params)
    if mode == "forward":
        step = _forward_mode_step(bound, reset, detach)
    else:
        step = _reverse_step(bound, reset, detach, dtype)
    with validation.forward_mode_hint("fire", 'fire(..., mode="forward")'):
        return step(v, v_th, v_reset, alpha_operand, traced, key)
