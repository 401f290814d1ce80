"""Fluctuation-driven initialization: weights from a target membrane mean and spread.

Rossbroich, Gygax and Zenke (2022) choose a layer's weight mean and spread so
that, for inputs firing at rate nu, each neuron's potential U starts with mean
mu_U and sits xi standard deviations below the threshold theta. With N
inputs of weights ~ Normal(mu_w, sigma_w) and a PSP kernel eps(t) (the
potential one input spike leaves), Campbell's theorem gives
``E[U] = N nu mu_w eps_bar`` and ``Var[U] = N nu (sigma_w^2 + mu_w^2) eps_hat``
with ``eps_bar = int eps``, ``eps_hat = int eps^2``; solving for the weights:

    mu_w = mu_U / (N_total nu eps_bar)
    sigma_w^2 = share (theta - mu_U)^2 / (xi^2 N nu eps_hat) - mu_w^2

(stork, fmi-basel/stork ``stork/initializers.py``,
``FluctuationDrivenNormalInitializer``: ``share`` is its alpha / number of
feed-forward connections, or (1 - alpha) / number of recurrent ones;
``N_total`` the fan-in of all of a population's afferents). Here eps is not
assumed: it is the potential Norse's ``lif_feed_forward_step`` itself leaves
after one unit input, at the caller's ``dt``, and mu_U and theta are measured
from ``v_leak``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxsurrogate._src.lif_scan import lif_feed_forward_scan
from jaxsurrogate._src.lif_types import LIFFeedForwardState, LIFParameters

Array = jax.Array

# The kernel is summed until it has decayed by e^-40 (far below float64's
# resolution of the sums), at most this many steps.
_DECAY_LENGTHS = 40.0
_MAX_STEPS = 1_000_000


def _positive(name: str, value: Any) -> np.ndarray:
    value = np.asarray(value, np.float64)
    if value.size == 0 or not np.all(np.isfinite(value)) or np.any(value <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value.tolist()}")
    return value


def psp_moments(p: LIFParameters = LIFParameters(), dt: float = 0.001, *,
                window: int | None = None) -> tuple[Array, Array]:
    r"""The integrals of a LIF neuron's PSP kernel and of its square.

    .. math::
        \bar\epsilon = \Delta t \sum_k \epsilon_k, \qquad
        \hat\epsilon = \Delta t \sum_k \epsilon_k^2

    or, over a ``window`` of W steps from rest, the sums up to each step
    averaged over the window,
    :math:`\frac{\Delta t}{W} \sum_{t<W} \sum_{k \le t} \epsilon_k` (and of
    :math:`\epsilon_k^2`): the mean and variance a neuron started at rest has
    on average over a sequence of W steps, which for short sequences is well
    below the stationary value.

    where :math:`\epsilon_k` is the potential (above ``v_leak``) that
    ``lif_feed_forward_step`` leaves ``k`` steps after an input of 1, from rest
    and with no threshold. For Norse's Euler step, with
    :math:`a = 1 - \Delta t/\tau_{mem}` and :math:`b = 1 - \Delta t/\tau_{syn}`,
    they are :math:`\bar\epsilon = \tau_{syn}` and
    :math:`\hat\epsilon = \Delta t (1-a)^2 (1+ab) / ((1-a^2)(1-b^2)(1-ab))`,
    which tend to :math:`\tau_{syn}^2 / (2(\tau_{syn}+\tau_{mem}))` as
    :math:`\Delta t \to 0`.

    Args:
        p: the neurons' parameters (per-neuron time constants allowed).
        dt: the time step (s) the neurons run at.
        window: None for the stationary integrals (the paper's); an int W
            for their average over W steps from rest.

    Returns:
        ``(eps_bar, eps_hat)`` in seconds, shaped like the time constants.

    Example:
        >>> import jaxsurrogate as js
        >>> eps_bar, eps_hat = js.init.psp_moments(js.neurons.LIFParameters(), 1e-3)
        >>> round(float(eps_bar), 6)     # tau_syn = 5 ms
        0.005

    Reference:
        Rossbroich, Gygax and Zenke, "Fluctuation-driven initialization for
        spiking neural network training", Neuromorph. Comput. Eng. 2 (2022).
    """
    dt_value = float(_positive("dt", dt))
    taus = 1.0 / _positive("p.tau_syn_inv", p.tau_syn_inv), 1.0 / _positive(
        "p.tau_mem_inv", p.tau_mem_inv)
    if window is not None and (isinstance(window, bool) or not isinstance(window, int | np.integer)
                               or window < 1):
        raise ValueError(f"window must be None or a whole number of steps >= 1, got {window!r}")
    steps = int(math.ceil(_DECAY_LENGTHS * max(float(np.max(t)) for t in taus) / dt_value)) + 2
    if window is not None:
        steps = int(window)
    if steps > _MAX_STEPS:
        raise ValueError(f"the PSP kernel lasts {steps} steps of dt = {dt_value}: more than "
                         f"{_MAX_STEPS}; pass the time step the neurons really run at")
    shape = np.broadcast_shapes(np.shape(p.tau_syn_inv), np.shape(p.tau_mem_inv))
    dtype = jnp.result_type(float)
    # The kernel is a number even where an initializer runs under jit (Flax
    # initializes inside a trace): evaluated now, from concrete parameters.
    with jax.ensure_compile_time_eval():
        impulse = jnp.zeros((steps, *shape), dtype).at[0].set(1.0)
        rest = jnp.zeros(shape, dtype)
        quiet = p._replace(v_leak=jnp.zeros((), dtype), v_th=jnp.asarray(jnp.inf, dtype))
        _, _, v = lif_feed_forward_scan(impulse, LIFFeedForwardState(rest, rest), quiet, dt,
                                        potentials=True)
        if window is None:
            return dt * v.sum(0), dt * (v * v).sum(0)
        return dt * jnp.cumsum(v, 0).mean(0), dt * jnp.cumsum(v * v, 0).mean(0)


def weight_moments(
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
    *,
    rate: Any,
    fan_in: int,
    mu_u: float = 0.0,
    xi: float = 1.0,
    share: float = 1.0,
    total_fan_in: int | None = None,
    window: int | None = None,
) -> tuple[Array, Array]:
    r"""The weight mean and spread that put the potential at ``mu_u``, ``xi`` std below threshold.

    .. math::
        \mu_w = \frac{\mu_U}{N_{total} \nu \bar\epsilon}, \qquad
        \sigma_w^2 = \frac{s\,(\theta - \mu_U)^2}{\xi^2 N \nu \hat\epsilon} - \mu_w^2

    with :math:`\theta` and :math:`\mu_U` measured from ``p.v_leak`` and
    :math:`\bar\epsilon, \hat\epsilon` from :func:`psp_moments`.

    Args:
        p: the postsynaptic neurons' parameters (``v_th``, ``v_leak``, taus).
        dt: their time step (s).
        rate: the presynaptic firing rate nu (Hz), e.g. from :func:`firing_rate`.
        fan_in: N, the number of inputs of this connection per neuron.
        mu_u: the target mean potential (absolute, as ``v_th``).
        xi: the target distance from the mean to the threshold, in standard
            deviations of the potential.
        share: the share of the potential's variance this connection
            carries (stork's alpha: 0.9 for the feed-forward input of a
            recurrent layer, 0.1 for the recurrent one).
        total_fan_in: the fan-in of all the population's afferents (the mean
            is shared by all of them); None: ``fan_in``.
        window: the targets hold on average over this many steps from rest
            (see :func:`psp_moments`); None: in the stationary state.

    Returns:
        ``(mu_w, sigma_w)``, shaped like the per-neuron parameters.

    Example:
        >>> import jaxsurrogate as js
        >>> mu, sigma = js.init.weight_moments(rate=20.0, fan_in=64)
        >>> float(mu), round(float(sigma), 4)
        (0.0, 0.9327)

    Reference:
        Rossbroich, Gygax and Zenke (2022), eqs. 7-8; stork's
        ``FluctuationDrivenNormalInitializer``.
    """
    return _weight_moments(psp_moments(p, dt, window=window), p, rate=rate, fan_in=fan_in,
                           mu_u=mu_u, xi=xi, share=share, total_fan_in=total_fan_in)


def _weight_moments(eps: tuple[Any, Any], p: LIFParameters, *, rate: Any, fan_in: int,
                    mu_u: float, xi: float, share: float,
                    total_fan_in: int | None) -> tuple[Array, Array]:
    """:func:`weight_moments` from the kernel's moments ``eps = (eps_bar, eps_hat)``."""
    nu = _positive("rate", rate)
    n = _positive("fan_in", fan_in)
    n_total = n if total_fan_in is None else _positive("total_fan_in", total_fan_in)
    if np.any(n_total < n):
        raise ValueError(f"total_fan_in ({n_total.tolist()}) must be >= fan_in ({n.tolist()})")
    xi = _positive("xi", xi)
    share = _positive("share", share)
    if np.any(share > 1):
        raise ValueError(f"share must be in (0, 1], got {share.tolist()}")
    eps_bar, eps_hat = (np.asarray(e, np.float64) for e in eps)
    v_leak = np.asarray(p.v_leak, np.float64)
    distance = np.asarray(p.v_th, np.float64) - np.asarray(mu_u, np.float64)
    if not np.all(np.isfinite(distance)) or np.any(distance <= 0):
        raise ValueError(f"mu_u must be finite and below p.v_th, got mu_u={mu_u} and "
                         f"v_th={np.asarray(p.v_th).tolist()}")
    mu_w = (np.asarray(mu_u, np.float64) - v_leak) / (n_total * nu * eps_bar)
    variance = share * distance**2 / (xi**2 * n * nu * eps_hat) - mu_w**2
    if np.any(variance <= 0):
        raise ValueError(
            f"no weight spread gives mu_u={mu_u} with xi={xi.tolist()}: the mean weight alone "
            "already makes the potential fluctuate more; lower mu_u or xi")
    return mu_w, np.sqrt(variance)


def fluctuation_driven(
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
    *,
    rate: Any,
    mu_u: float = 0.0,
    xi: float = 1.0,
    share: float = 1.0,
    total_fan_in: int | None = None,
    window: int | None = None,
    in_axis: int | Sequence[int] = -2,
    out_axis: int | Sequence[int] = -1,
    dtype: Any = jnp.float32,
) -> Callable[..., Array]:
    r"""An initializer ``init(key, shape, dtype)`` of fluctuation-driven normal weights.

    .. math::
        W \sim \mathcal N(\mu_w, \sigma_w^2)

    with :math:`\mu_w, \sigma_w` of :func:`weight_moments` for the fan-in
    read from ``shape`` (the product of the ``in_axis`` sizes and of every
    axis that is neither in nor out: a convolution's receptive field), as
    ``jax.nn.initializers`` reads it. Works as a Flax (``kernel_init``),
    Haiku (``w_init``, called as ``init(shape, dtype)`` inside a transform:
    wrap it with ``hk.next_rng_key()``) or Equinox initializer, or alone.

    Args:
        p: the postsynaptic neurons' parameters.
        dt: their time step (s).
        rate: the presynaptic firing rate (Hz).
        mu_u: the target mean potential.
        xi: the target threshold distance in standard deviations.
        share: the share of the variance this connection carries.
        total_fan_in: the fan-in of all the population's afferents.
        window: the targets' window in steps from rest; None: stationary.
        in_axis: the input axis or axes (Flax/Haiku: -2; Equinox's
            ``(out, in)``: -1; a Flax ``Conv`` kernel ``(h, w, in, out)``: -2).
        out_axis: the output axis or axes (per-neuron parameters lie along it).
        dtype: the default dtype of the weights.

    Returns:
        ``init(key, shape, dtype=dtype) -> Array``.

    Example:
        >>> import jax, jaxsurrogate as js
        >>> init = js.init.fluctuation_driven(rate=20.0)
        >>> w = init(jax.random.key(0), (64, 128))
        >>> w.shape, round(float(w.std()), 2)
        ((64, 128), 0.95)

    Reference:
        Rossbroich, Gygax and Zenke (2022); stork's
        ``FluctuationDrivenNormalInitializer``.
    """
    eps = psp_moments(p, dt, window=window)  # once: the kernel does not depend on the shape

    def init(key: Array, shape: Sequence[int], dtype: Any = dtype) -> Array:
        shape = tuple(int(d) for d in shape)
        ins, outs = _axes(in_axis, len(shape), "in_axis"), _axes(out_axis, len(shape), "out_axis")
        if set(ins) & set(outs):
            raise ValueError(f"in_axis {in_axis} and out_axis {out_axis} overlap for a "
                             f"weight of shape {shape}")
        fan_in = int(np.prod([d for a, d in enumerate(shape) if a not in outs]))
        moments = _weight_moments(eps, p, rate=rate, fan_in=fan_in, mu_u=mu_u, xi=xi,
                                  share=share, total_fan_in=total_fan_in)
        # per-neuron moments lie along the output axes
        along = [shape[a] if a in outs else 1 for a in range(len(shape))]
        mu_w, sigma_w = (m if np.ndim(m) == 0 else
                         np.reshape(np.broadcast_to(m, [shape[a] for a in outs]), along)
                         for m in moments)
        noise = jax.random.normal(key, shape, dtype)
        return (jnp.asarray(mu_w, dtype) + jnp.asarray(sigma_w, dtype) * noise).astype(dtype)

    return init


def _axes(axis: int | Sequence[int], ndim: int, name: str) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    if ndim < 2 or any(not -ndim <= int(a) < ndim for a in axes):
        raise ValueError(f"{name}={axis} does not index a weight of rank {ndim} (rank >= 2)")
    return tuple(int(a) % ndim for a in axes)


def firing_rate(spikes: Any, dt: float = 0.001) -> float:
    """The mean firing rate (Hz) of spikes ``[T, ...]`` (0/1 or spike counts) at time step ``dt``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.init.firing_rate(jnp.array([[1.0, 0.0], [0.0, 0.0]]), 1e-3)
        250.0
    """
    dt = float(_positive("dt", dt))
    spikes = np.asarray(spikes, np.float64)
    if spikes.ndim < 1 or spikes.size == 0:
        raise ValueError(f"spikes must be a non-empty array [T, ...], got shape {spikes.shape}")
    return float(spikes.mean() / dt)


@functools.partial(jax.jit, static_argnames="dt")
def _dense_lif(x: Array, w: Array, p: LIFParameters, dt: float) -> tuple[Array, Array]:
    """A dense LIF layer's spikes and potentials from rest (one compilation for a
    stack of equal layers)."""
    rest = jnp.zeros((*x.shape[1:-1], w.shape[1]), x.dtype)
    spikes, _, v = lif_feed_forward_scan(x @ w, LIFFeedForwardState(rest, rest), p, dt,
                                         potentials=True)
    return spikes, v


def _potentials(x: Array, w: Array, p: LIFParameters, dt: float) -> Array:
    """A dense LIF layer's potentials from rest, without a threshold."""
    return _dense_lif(x, w, p._replace(v_th=jnp.asarray(jnp.inf, x.dtype)), dt)[1]


def _calibrated(x: Array, w: Array, p: LIFParameters, dt: float, target: float,
                layer: int) -> Array:
    """``w`` with its deviations from the mean scaled by the c > 0 at which the
    potential's measured spread is ``target``. The potential is linear in the
    weights: v = v_mean + c v_dev, so Var(v) is a quadratic in c."""
    mean = jnp.mean(w)
    v_mean = np.asarray(_potentials(x, jnp.full_like(w, mean), p, dt), np.float64).ravel()
    v_dev = np.asarray(_potentials(x, w - mean, p, dt), np.float64).ravel()
    a = np.var(v_dev)
    b = 2 * np.mean((v_mean - v_mean.mean()) * (v_dev - v_dev.mean()))
    c0 = np.var(v_mean) - target**2
    if a == 0 or b * b - 4 * a * c0 < 0:
        raise ValueError(f"layer {layer}: no scale of its weights' spread gives the potential "
                         f"a spread of {target:g} on this batch (the mean weight alone spreads "
                         "it more, or its inputs never spike); lower mu_u or xi")
    c = (-b + np.sqrt(b * b - 4 * a * c0)) / (2 * a)
    return (mean + c * (w - mean)).astype(w.dtype)


def layerwise(
    key: Array,
    spikes: Any,
    sizes: Sequence[int],
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
    *,
    mu_u: float = 0.0,
    xi: float = 1.0,
    window: int | None | str = "sequence",
    calibrate: bool = False,
    dtype: Any = jnp.float32,
) -> tuple[list[Array], list[float]]:
    """Weights for a stack of dense LIF layers, each from the rate measured below it.

    As stork initializes a network: the first layer's weights come from the
    data's own input rate; the data then runs through that layer (Norse's
    ``lif_feed_forward_scan``), and its measured output rate sets the next
    layer's weights, and so on up the stack.

    The formulas assume independent Poisson inputs of one rate; real inputs
    (pixels of unequal, correlated rates, spikes of a layer below) spread the
    potential otherwise. ``calibrate=True`` measures it instead: each layer's
    weight deviations from their mean are scaled so that the potential, run
    without a threshold on the batch, spreads as targeted (its standard
    deviation over time, batch and neurons ``(v_th - mu_u) / xi``), as
    LSUV-style initializations do from data.

    Args:
        key: the PRNG key of the weights.
        spikes: a batch of input spikes, time-major ``[T, batch, n_in]``.
        sizes: the layers' widths.
        p: the neurons' parameters (those of every layer).
        dt: their time step (s).
        mu_u: the target mean potential of every layer.
        xi: the target threshold distance in standard deviations.
        window: ``"sequence"``: the targets hold on average over the batch's
            T steps from rest (a short sequence never reaches the stationary
            state); an int: over that many steps; None: stationary.
        calibrate: scale each layer's weight deviations to the spread measured
            on the batch (with per-neuron thresholds, to their mean's target).
        dtype: the weights' dtype.

    Returns:
        ``(weights, rates)``: one ``(n_in, n_out)`` matrix per layer (``x @ W``)
        and the input rate (Hz) each was chosen for.

    Example:
        >>> import jax, jaxsurrogate as js
        >>> x = jax.random.bernoulli(jax.random.key(0), 0.05, (50, 16, 64)).astype(float)
        >>> weights, rates = js.init.layerwise(jax.random.key(1), x, [32, 32])
        >>> [w.shape for w in weights], round(rates[0])
        ([(64, 32), (32, 32)], 52)
    """
    x = jnp.asarray(spikes, dtype)
    if x.ndim != 3:
        raise ValueError(f"spikes must be [T, batch, n_in], got shape {x.shape}")
    if isinstance(window, str):
        if window != "sequence":
            raise ValueError(f"window must be 'sequence', None or a whole number, got {window!r}")
        window = x.shape[0]
    weights, rates = [], []
    for layer, (k, n_out) in enumerate(zip(jax.random.split(key, len(sizes)), sizes)):
        rate = firing_rate(x, dt)
        if rate == 0:
            raise ValueError(f"the input of layer {layer} never spikes (rate 0): no weights "
                             "can set its potential's spread; raise mu_u or lower xi, or "
                             "feed a batch with spikes")
        w = fluctuation_driven(p, dt, rate=rate, mu_u=mu_u, xi=xi, window=window, dtype=dtype)(
            k, (x.shape[-1], int(n_out)))
        if calibrate:
            target = (np.asarray(p.v_th, np.float64) - mu_u) / xi
            w = _calibrated(x, w, p, dt, float(np.mean(target)), layer)
        x = _dense_lif(x, w, p, dt)[0]
        weights.append(w)
        rates.append(rate)
    return weights, rates
