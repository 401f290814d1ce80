"""What a layer's neurons do before training: their potential, rate and silence."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class LayerStatistics(NamedTuple):
    """A layer's membrane and firing statistics (see :func:`layer_statistics`)."""

    v_mean: float
    v_std: float
    rate: float
    silent_fraction: float
    nan_count: int


def layer_statistics(v: Any, spikes: Any, dt: float | None = None) -> LayerStatistics:
    r"""A layer's membrane mean and spread, firing rate and share of neurons that never fire.

    .. math::
        \bar v = \langle v \rangle, \quad \sigma_v = \sqrt{\langle (v - \bar v)^2 \rangle},
        \quad \nu = \langle z \rangle / \Delta t, \quad
        \text{silent} = \frac{\#\{n : z_{t,b,n} = 0 \;\forall t, b\}}{N}

    over time, batch and neurons. A layer with ``silent`` near 1 or ``v_std``
    far below ``v_th - v_mean`` passes no gradient back: see it before training.

    Args:
        v: the potentials, ``[T, ..., neurons]`` (NaNs are left out of the
            moments and counted).
        spikes: the spikes, the same shape (0/1 or counts).
        dt: the time step (s), for a rate in Hz; None for spikes per step.

    Returns:
        ``LayerStatistics(v_mean, v_std, rate, silent_fraction, nan_count)``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> v = jnp.array([[[0.2, 0.9]], [[0.4, 1.1]]])   # T=2, batch 1, 2 neurons
        >>> z = jnp.array([[[0.0, 0.0]], [[0.0, 1.0]]])
        >>> s = js.layer_statistics(v, z, dt=1e-3)
        >>> round(s.v_mean, 3), s.rate, s.silent_fraction
        (0.65, 250.0, 0.5)

    Reference:
        Rossbroich, Gygax and Zenke (2022) read the same moments to set and
        check an initialization.
    """
    v = np.asarray(v, np.float64)
    z = np.asarray(spikes, np.float64)
    if v.shape != z.shape or v.ndim < 2 or v.size == 0:
        raise ValueError(f"v and spikes must share one non-empty shape [T, ..., neurons], got "
                         f"v {v.shape} and spikes {z.shape}")
    if dt is not None and not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0 or None, got {dt}")
    finite = ~np.isnan(v)
    count = int(finite.sum())
    mean = float(v[finite].mean()) if count else float("nan")
    std = float(v[finite].std()) if count else float("nan")
    fired = (z.reshape(-1, z.shape[-1]) != 0).any(axis=0)
    rate = float(np.nanmean(z)) / (1.0 if dt is None else float(dt))
    return LayerStatistics(mean, std, rate, float(1.0 - fired.mean()), int(v.size - count))
