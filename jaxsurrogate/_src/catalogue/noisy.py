r"""Surrogates that draw: a random backward (LocalZO), a noisy forward (ASGL)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate


@surrogate(domains={"samples": "count"})
def local_zo(x: ArrayLike, alpha: ArrayLike = 0.5, *, key: Array,
             samples: ArrayLike = 5) -> Array:
    r"""LocalZO: the step's zeroth-order gradient, random; a Gaussian in expectation.

    .. math::
        g(x) = \frac{1}{m} \sum_{k=1}^{m} \frac{|z_k|\,\mathbb{1}[|x| < \alpha |z_k|]}{2\alpha},
        \quad z_k \sim \mathcal{N}(0, 1), \qquad
        \mathbb{E}[g(x)] = \frac{1}{\alpha\sqrt{2\pi}} e^{-x^2 / (2\alpha^2)}

    The two-point zeroth-order estimate
    :math:`\frac{1}{m}\sum_k [H(x + \alpha z_k) - H(x - \alpha z_k)]\, z_k / (2\alpha)`
    of the step's derivative, as the authors' code computes it
    (``BhaskarMukhoty/LocalZO``, ``models/layers.py``, class ``ZO``: m = 5
    normal draws per element, drawn in the backward pass, ``delta`` = alpha =
    0.5; their SparseGrad code uses 0.05 and m = 1). Its expectation is the
    Gaussian density of standard deviation alpha, so its mean is a
    Gaussian surrogate; each gradient is sparse (0 where
    :math:`|x| \ge \alpha \max_k |z_k|`). The draws come from the call's
    ``key``: the same key gives the same gradient, bit for bit; a scan over
    time should split one key per step. ``samples`` sets the draws' shape:
    give it as a Python number. The forward is the deterministic step. No
    primitive (no ``learn_alpha``).

    Args:
        alpha: delta, the perturbation's scale (the expectation's standard deviation).
        samples: m, the draws per element.

    Example:
        >>> g = jax.grad(lambda x: js.local_zo(x, key=jax.random.key(0)).sum())
        >>> bool((g(jnp.zeros(100_000)).mean() - 0.798) ** 2 < 1e-4)  # 1/(0.5 sqrt(2 pi))
        True

    Reference:
        B. Mukhoty et al., "Direct training of SNN using local zeroth order
        method", NeurIPS 2023; code ``github.com/BhaskarMukhoty/LocalZO``.
    """
    if not isinstance(samples, (int, float)):
        raise TypeError("local_zo: samples must be a Python number: it is how many draws "
                        "there are, a shape")
    z = jax.random.normal(key, (int(samples), *jnp.shape(x)), jnp.result_type(x))
    total = sum(jnp.where(jnp.abs(x) < alpha * jnp.abs(z[k]), jnp.abs(z[k]), 0.0)
                for k in range(int(samples)))
    return nan_where_nan(x, total / (2 * alpha * samples))


def _asgl_forward(x, alpha, *, key, rate):
    # Each element is analog (the smooth sigmoid) with probability `rate`,
    # else the step with H(0) = 1; a NaN potential spikes 0, as the step.
    analog = jax.random.uniform(key, jnp.shape(x), jnp.result_type(x)) < rate
    step = jnp.where(x >= 0, 1.0, 0.0)
    return jnp.where(jnp.isnan(x), 0.0, jnp.where(analog, jax.nn.sigmoid(x / alpha), step))


def _asgl_primitive(x, alpha, *, rate):
    return jax.nn.sigmoid(x / alpha) - 0.5


@surrogate(forward=_asgl_forward, primitive=_asgl_primitive, at_zero=1,
           domains={"rate": "unit"})
def asgl(x: ArrayLike, alpha: ArrayLike = 5.0, *, rate: ArrayLike = 0.2) -> Array:
    r"""ASGL's noisy spikes: the step, or with probability p the smooth sigmoid.

    .. math::
        f(x) = M\,H(x) + (1 - M)\,\sigma(x/\alpha),\quad M \sim \mathrm{Bernoulli}(1 - p),
        \qquad g(x) = \frac{1}{\alpha}\,\sigma(x/\alpha)\,(1 - \sigma(x/\alpha))

    Adaptive smoothing gradient learning: during training a fraction ``rate``
    (p) of the elements emit the analog value :math:`\sigma(x/\alpha)`
    instead of a spike, drawn per element from the call's ``key``, so the
    forward itself is smoothed where the backward is; the backward is the
    sigmoid's derivative for every element. As the authors' code computes it
    (``Windere/ASGL-SNN``, ``model/activation.py``, ``EfficientNoisySpikeII``
    with ``InvSigmoid``: H(0) = 1, the mask redrawn every time step, the
    width alpha learned as a slope 1/alpha). Schedule ``rate`` like any
    parameter (an array: no recompilation; their published commands keep p
    constant, 0.2 for CIFAR-100, with width 5); ``rate=0`` is the plain step
    for evaluation. ``learn_alpha=True`` learns the width (primitive
    :math:`S(x) = \sigma(x/\alpha) - \tfrac12`).

    Args:
        alpha: the sigmoid's width.
        rate: p, the fraction of elements that are analog.

    Returns:
        Spikes (0 or 1) and, where analog, values in (0, 1), in ``x``'s dtype.

    Example:
        >>> js.asgl(jnp.array([-1.0, 0.0, 1.0]), key=jax.random.key(0), rate=0.0)
        Array([0., 1., 1.], dtype=float32)
        >>> out = js.asgl(jnp.zeros(10_000), key=jax.random.key(0), rate=1.0)
        >>> float(out.max())  # all analog: sigmoid(0)
        0.5

    Reference:
        Z. Wang et al., "Adaptive smoothing gradient learning for spiking
        neural networks", ICML 2023; code ``github.com/Windere/ASGL-SNN``.
    """
    return maths.logistic_slope(x, 1 / alpha)
