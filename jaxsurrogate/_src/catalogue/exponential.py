r"""Exponential shapes: Laplace, SLAYER, single exponential and escape-rate derivatives."""

from __future__ import annotations

import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array
from jaxsurrogate._src.spike import surrogate


def _piecewise_exp_primitive(x, alpha):
    return maths.odd(x, -jnp.expm1(-alpha * jnp.abs(x)) / 2)


@surrogate(primitive=_piecewise_exp_primitive, aliases=("laplace",))
def piecewise_exp(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area Laplace (two-sided exponential) derivative.

    .. math::
        g(x) = \frac{\alpha}{2} e^{-\alpha |x|}

    SpikingJelly ``PiecewiseExp`` and braintools ``PiecewiseExp`` (alpha 1);
    lava-dl SLAYER's exponential with :math:`\alpha = 1/\tau` (preset
    ``"slayer.exponential"``). Peak :math:`\alpha/2`. Primitive
    :math:`S(x) = \mathrm{sign}(x)\,(1 - e^{-\alpha|x|})/2`.

    Args:
        alpha: inverse width.

    Example:
        >>> jax.grad(lambda x: js.piecewise_exp(x).sum())(jnp.array([0.0, 1.0]))
        Array([0.5       , 0.18393973], dtype=float32)

    Reference:
        E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
        spiking neural networks", IEEE Signal Processing Magazine 36(6), 2019;
        S. B. Shrestha and G. Orchard, "SLAYER: Spike layer error reassignment
        in time", NeurIPS 2018.
    """
    return alpha / 2 * jnp.exp(-alpha * jnp.abs(x))


def _slayer_primitive(x, alpha):
    return maths.odd(x, -jnp.expm1(-alpha * jnp.abs(x)) / alpha)


@surrogate(primitive=_slayer_primitive)
def slayer_exponential(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with an exponential derivative of peak 1.

    .. math::
        g(x) = e^{-\alpha |x|}

    braintools ``SlayerGrad`` (alpha 1). lava-dl SLAYER itself scales by
    :math:`\alpha/2` (that is :func:`piecewise_exp`). Primitive
    :math:`S(x) = \mathrm{sign}(x)\,(1 - e^{-\alpha|x|})/\alpha`.

    Args:
        alpha: decay rate.

    Example:
        >>> jax.grad(lambda x: js.slayer_exponential(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.36787945], dtype=float32)

    Reference:
        S. B. Shrestha and G. Orchard, "SLAYER: Spike layer error reassignment
        in time", NeurIPS 2018.
    """
    return jnp.exp(-alpha * jnp.abs(x))


def _single_exponential_primitive(x, *, width, scale):
    return scale * maths.odd(x, -jnp.expm1(-jnp.abs(x) / width))


@surrogate(primitive=_single_exponential_primitive)
def single_exponential(x: ArrayLike, *, width: ArrayLike = 0.5,
                       scale: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with an exponential derivative of width w and scale s.

    .. math::
        g(x) = \frac{s}{w} e^{-|x| / w}

    Sinabs ``SingleExponential`` (grad_width 0.5, grad_scale 1), Sinabs'
    default surrogate; Sinabs multiplies the width by the
    threshold, which is this with threshold 1. Area 2s. No alpha. Primitive
    :math:`S(x) = s\,\mathrm{sign}(x)\,(1 - e^{-|x|/w})`.

    Args:
        width: w, the decay length.
        scale: s, the scale.

    Example:
        >>> jax.grad(lambda x: js.single_exponential(x).sum())(jnp.array([0.0]))
        Array([2.], dtype=float32)

    Reference:
        Sinabs, ``sinabs.activation.SingleExponential``; S. B. Shrestha and
        G. Orchard, "SLAYER: Spike layer error reassignment in time",
        NeurIPS 2018.
    """
    return scale / width * jnp.exp(-jnp.abs(x) / width)


def _spike_rate_escape_primitive(x, alpha, *, slope):
    d = x - 1
    return slope / alpha * (maths.odd(d, -jnp.expm1(-alpha * jnp.abs(d))) - jnp.expm1(-alpha))


@surrogate(primitive=_spike_rate_escape_primitive)
def spike_rate_escape(x: ArrayLike, alpha: ArrayLike = 1.0, *,
                      slope: ArrayLike = 25.0) -> Array:
    r"""Heaviside forward with an escape-rate (Boltzmann) derivative centred at x = 1.

    .. math::
        g(x) = s\, e^{-\alpha |x - 1|}

    snnTorch ``spike_rate_escape`` with alpha = beta (1) and s = slope (25).
    Its peak is at x = 1, not at the threshold, as snnTorch codes it. Not
    symmetric. Primitive
    :math:`S(x) = \tfrac{s}{\alpha}\bigl[\mathrm{sign}(x-1)(1 - e^{-\alpha|x-1|}) + 1 - e^{-\alpha}\bigr]`.

    Args:
        alpha: decay rate beta.
        slope: the scale s.

    Example:
        >>> jax.grad(lambda x: js.spike_rate_escape(x).sum())(jnp.array([1.0]))
        Array([25.], dtype=float32)

    Reference:
        W. Gerstner and W. M. Kistler, "Spiking neuron models: Single neurons,
        populations, plasticity", Cambridge University Press, 2002.
    """
    return slope * jnp.exp(-alpha * jnp.abs(x - 1))
