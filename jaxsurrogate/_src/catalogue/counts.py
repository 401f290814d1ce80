r"""Integer spikes: several spikes per step, with a box gradient."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate


def _spike_count(x, max_spikes, *, grad_low, grad_high):
    # round is half to even, as torch.round; a NaN potential emits no spikes.
    return jnp.where(jnp.isnan(x), 0.0, jnp.round(jnp.clip(x, 0, max_spikes)))


def _window_is_ordered(max_spikes, *, grad_low, grad_high):
    high = max_spikes if grad_high is None else grad_high
    if np.any(np.asarray(grad_low) > np.asarray(high)):
        return (f"the gradient window needs grad_low <= grad_high, got grad_low={grad_low!r}, "
                f"grad_high={high!r}")
    return None


@surrogate(forward=_spike_count, check=_window_is_ordered,
           domains={"max_spikes": "count", "grad_low": "bound", "grad_high": "bound"})
def multispike(x: ArrayLike, max_spikes: ArrayLike = 4, *, grad_low: ArrayLike = 0.0,
               grad_high: ArrayLike | None = None) -> Array:
    r"""Integer spikes: the potential rounded to 0…D spikes, with a box gradient.

    .. math::
        f(x) = \mathrm{round}\bigl(\mathrm{clip}(x, 0, D)\bigr), \qquad
        g(x) = \mathbb{1}[\mathrm{lo} \le x \le \mathrm{hi}]

    The integer LIF (I-LIF) neuron of SpikeYOLO: up to D spikes in one step,
    trained with a straight-through gradient inside the window
    :math:`[\mathrm{lo}, \mathrm{hi}] = [0, D]` by default (both ends
    included). Rounding is half to even (``round(2.5) = 2``), as
    SpikingJelly's ``multi_level_spike_count`` computes it; SpikingJelly's
    ``grad_window=(lo, hi)`` is ``grad_low=lo, grad_high=hi`` here. A NaN
    potential gives 0 spikes and a NaN gradient (SpikingJelly: a NaN count
    and a zero gradient). No primitive.

    SpikingJelly's I-LIF (``ILIFNode``, the paper's neuron) counts the
    potential in thresholds (:math:`h / V_{th}`, not :math:`h - V_{th}`) and
    subtracts the count:
    :math:`h = (1 - 1/\tau) v + x`, :math:`z = f(h / V_{th})`,
    :math:`v' = h - z V_{th}`; written as these three lines in a scan, it
    matches ``ILIFNode`` spike for spike and gradient for gradient (tested).
    ``js.fire(v, v_th, spike=js.multispike, reset="subtract")`` is another
    neuron (it counts :math:`v - v_{th}`); ``reset="zero"`` is refused for
    spike counts, whose :math:`(1 - z) v` would flip and grow v.

    Args:
        x: membrane potential (minus threshold, if the neuron has one).
        max_spikes: D, the most spikes in one step.
        grad_low: lo, where the gradient window starts.
        grad_high: hi, where it ends; None is D.

    Returns:
        Spike counts, whole numbers from 0 to D, in ``x``'s dtype.

    Example:
        >>> js.multispike(jnp.array([-1.0, 0.5, 1.5, 2.6, 9.0]))
        Array([0., 0., 2., 3., 4.], dtype=float32)
        >>> jax.grad(lambda x: js.multispike(x).sum())(jnp.array([-0.1, 0.0, 4.0, 4.1]))
        Array([0., 1., 1., 0.], dtype=float32)

    Reference:
        X. Luo et al., "Integer-valued training and spike-driven inference
        spiking neural network for high-performance and energy-efficient
        object detection" (SpikeYOLO), ECCV 2024; SpikingJelly,
        ``activation_based.quantize.multi_level_spike_count``.
    """
    high = max_spikes if grad_high is None else grad_high
    inside = (x >= grad_low) & (x <= high)
    return nan_where_nan(x, jnp.where(inside, 1.0, 0.0) * jnp.ones_like(x))
