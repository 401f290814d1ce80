r"""Smooth shapes: logistic, arctangent, Gaussian and power-law derivatives, S2NN, and
the square wave's Fourier series."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array
from jaxsurrogate._src.spike import surrogate

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)


def _sigmoid_primitive(x, alpha):
    return jax.nn.sigmoid(alpha * x) - 0.5


@surrogate(primitive=_sigmoid_primitive)
def sigmoid(x: ArrayLike, alpha: ArrayLike = 4.0) -> Array:
    r"""Heaviside forward with the derivative of a logistic sigmoid.

    .. math::
        g(x) = \alpha\,\sigma(\alpha x)\,(1 - \sigma(\alpha x))

    SpikingJelly ``Sigmoid`` and braintools ``Sigmoid`` (alpha 4), snnTorch
    ``sigmoid`` (slope 25: preset ``"snntorch.sigmoid"``).
    Computed as :math:`\alpha\,\sigma(\alpha x)\,\sigma(-\alpha x)`, which stays
    finite where snnTorch's exponential form overflows to NaN
    (:math:`\alpha x < -88` in float32). Peak :math:`\alpha/4`. Primitive
    :math:`S(x) = \sigma(\alpha x) - \tfrac12`.

    Args:
        alpha: steepness.

    Example:
        >>> jax.grad(lambda x: js.sigmoid(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.07065082], dtype=float32)

    Reference:
        E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
        spiking neural networks", IEEE Signal Processing Magazine 36(6), 2019.
    """
    return maths.logistic_slope(x, alpha)


def _atan_primitive(x, alpha):
    return jnp.arctan(math.pi / 2 * (alpha * x)) / math.pi


@surrogate(primitive=_atan_primitive, aliases=("arctan",))
def atan(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the derivative of a scaled arctangent.

    .. math::
        g(x) = \frac{\alpha / 2}{1 + \left(\frac{\pi}{2} \alpha x\right)^2}

    snnTorch ``atan``, SpikingJelly ``ATan`` and slax (alpha 2); braintools
    ``Arctan`` (alpha 1). Not spyx ``arctan``, which has
    another height (preset ``"spyx.arctan"``). Peak :math:`\alpha/2`, unit
    area. Primitive :math:`S(x) = \arctan(\tfrac{\pi}{2}\alpha x)/\pi`.

    Args:
        alpha: steepness.

    Example:
        >>> jax.grad(lambda x: js.atan(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.09199966], dtype=float32)

    Reference:
        W. Fang et al., "Incorporating learnable membrane time constant to
        enhance learning of spiking neural networks", ICCV 2021.
    """
    # alpha * x first: pi/2 * alpha overflows for the largest float32 alphas.
    return (alpha / 2) / (1 + (math.pi / 2 * (alpha * x)) ** 2)


def _erf_primitive(x, alpha):
    return _erf(alpha * x) / 2


@surrogate(primitive=_erf_primitive)
def erf(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with a unit-area Gaussian derivative (of erf).

    .. math::
        g(x) = \frac{\alpha}{\sqrt{\pi}} e^{-\alpha^2 x^2}

    SpikingJelly ``Erf`` (alpha 2), braintools ``ERF`` (alpha 1). Unlike Norse's :func:`heavi_erfc` it has the factor alpha (unit
    area, peak :math:`\alpha/\sqrt{\pi}`). Primitive
    :math:`S(x) = \mathrm{erf}(\alpha x)/2`.

    Args:
        alpha: inverse width.

    Example:
        >>> jax.grad(lambda x: js.erf(x).sum())(jnp.array([0.0]))
        Array([1.1283792], dtype=float32)

    Reference:
        S. K. Esser et al., "Backpropagation for energy-efficient neuromorphic
        computing", NeurIPS 2015; Y. Wu et al., "Spatio-temporal
        backpropagation for training high-performance spiking neural
        networks", Frontiers in Neuroscience 12, 2018.
    """
    ax = alpha * x
    return alpha / _SQRT_PI * jnp.exp(-(ax * ax))


def _gaussian_primitive(x, alpha, *, sigma):
    return alpha * _erf(x / (_SQRT_2 * sigma)) / 2


@surrogate(primitive=_gaussian_primitive)
def gaussian(x: ArrayLike, alpha: ArrayLike = 0.5, *,
             sigma: ArrayLike = 0.5) -> Array:
    r"""Heaviside forward with a Gaussian-density derivative of scale alpha.

    .. math::
        g(x) = \alpha\,\mathcal{N}(x; 0, \sigma)
             = \frac{\alpha}{\sigma\sqrt{2\pi}} e^{-x^2 / (2\sigma^2)}

    braintools ``GaussianGrad`` (alpha 0.5, sigma 0.5);
    Sinabs ``Gaussian`` (scale 1, sigma 0.5: preset ``"sinabs.gaussian"``).
    Area alpha. Primitive
    :math:`S(x) = \tfrac{\alpha}{2}\,\mathrm{erf}(x / (\sqrt2\,\sigma))`.

    Args:
        alpha: the area.
        sigma: the standard deviation.

    Example:
        >>> jax.grad(lambda x: js.gaussian(x).sum())(jnp.array([0.0]))
        Array([0.3989423], dtype=float32)

    Reference:
        B. Yin, F. Corradi and S. M. Bohté, "Accurate and efficient
        time-domain classification with adaptive spiking recurrent neural
        networks", Nature Machine Intelligence 3, 2021.
    """
    return alpha * maths.normal_density(x, 0.0, sigma)


def _multi_gaussian_primitive(x, alpha, *, sigma, h, s):
    wide = _SQRT_2 * s * sigma
    # erf(-(x - sigma)/w) - erf((x + sigma)/w) rather than the negated sum: the
    # same argument twice at x = 0, so that S(0) is exactly 0.
    sides = _erf((sigma - x) / wide) - _erf((x + sigma) / wide)
    return alpha / 2 * ((1 + h) * _erf(x / (_SQRT_2 * sigma)) + h * sides)


@surrogate(primitive=_multi_gaussian_primitive, domains={"h": "nonnegative"})
def multi_gaussian(x: ArrayLike, alpha: ArrayLike = 0.5, *,
                   sigma: ArrayLike = 0.5, h: ArrayLike = 0.15,
                   s: ArrayLike = 6.0) -> Array:
    r"""Heaviside forward with a Gaussian derivative minus two wide side Gaussians.

    .. math::
        g(x) = \alpha \left[(1 + h)\,\mathcal{N}(x; 0, \sigma)
               - h\,\mathcal{N}(x; \sigma, s\sigma)
               - h\,\mathcal{N}(x; -\sigma, s\sigma)\right]

    The multi-Gaussian of Yin et al. (2021). braintools
    ``MultiGaussianGrad`` (scale alpha 0.5, sigma 0.5, h 0.15, s 6); Sinabs ``MultiGaussian`` is the same with scale 1
    (preset ``"sinabs.multi_gaussian"``). g is negative away from 0 (the side
    lobes). Primitive: the same combination of
    :math:`\tfrac12\mathrm{erf}((x - \mu)/(\sqrt2\,\text{std}))` terms, zero at 0.

    Args:
        alpha: overall scale.
        sigma: standard deviation of the centre Gaussian and offset of the side ones.
        h: weight of the side Gaussians.
        s: width factor of the side Gaussians.

    Example:
        >>> g = jax.grad(lambda x: js.multi_gaussian(x).sum())(jnp.array([0.0, 2.0]))
        >>> bool(g[0] > 0 and g[1] < 0)
        True

    Reference:
        B. Yin, F. Corradi and S. M. Bohté, "Accurate and efficient
        time-domain classification with adaptive spiking recurrent neural
        networks", Nature Machine Intelligence 3, 2021.
    """
    density = maths.normal_density
    return alpha * ((1 + h) * density(x, 0.0, sigma)
                    - h * density(x, sigma, s * sigma)
                    - h * density(x, -sigma, s * sigma))


def _soft_sign_primitive(x, alpha):
    ax = alpha * x
    return ax / (2 * (1 + jnp.abs(ax)))


@surrogate(primitive=_soft_sign_primitive)
def soft_sign(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the derivative of a soft sign.

    .. math::
        g(x) = \frac{\alpha}{2 (1 + \alpha |x|)^2}

    SpikingJelly ``SoftSign`` (alpha 2), braintools ``SoftSign`` (alpha 1). Unit area, peak :math:`\alpha/2`. Primitive
    :math:`S(x) = \tfrac12\,\alpha x / (1 + \alpha|x|)`.

    Args:
        alpha: steepness.

    Example:
        >>> jax.grad(lambda x: js.soft_sign(x).sum())(jnp.array([0.0, 0.5]))
        Array([1.  , 0.25], dtype=float32)

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.SoftSign``.
    """
    return alpha / (2 * (1 + alpha * jnp.abs(x)) ** 2)


def _nonzero_sign_log_abs_primitive(x, alpha):
    return maths.odd(x, jnp.log1p(alpha * jnp.abs(x)))


@surrogate(primitive=_nonzero_sign_log_abs_primitive, aliases=("nonzero_sign_log",))
def nonzero_sign_log_abs(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with the derivative of sign(x)·log(1 + alpha|x|).

    .. math::
        g(x) = \frac{1}{1/\alpha + |x|}
             = \frac{\alpha}{1 + \alpha |x|}

    SpikingJelly ``NonzeroSignLogAbs`` and braintools ``NonzeroSignLog``
    (alpha 1). Heavy tail (not integrable). Primitive
    :math:`S(x) = \mathrm{sign}(x) \log(1 + \alpha |x|)`.

    Args:
        alpha: peak.

    Example:
        >>> jax.grad(lambda x: js.nonzero_sign_log_abs(x).sum())(jnp.array([0.0, 1.0]))
        Array([1. , 0.5], dtype=float32)

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.NonzeroSignLogAbs``.
    """
    return alpha / (1 + alpha * jnp.abs(x))


def _q_pseudo_spike_primitive(x, alpha):
    log_base = jnp.log1p(2 * jnp.abs(x) / (alpha - 1))
    return maths.odd(x, -jnp.expm1((1 - alpha) * log_base) / 2)


@surrogate(primitive=_q_pseudo_spike_primitive, domains={"alpha": "above_one"})
def q_pseudo_spike(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the q-PseudoSpike (power-law tailed) derivative.

    .. math::
        g(x) = \left(1 + \frac{2|x|}{\alpha - 1}\right)^{-\alpha}

    SpikingJelly ``QPseudoSpike`` (alpha 2), as in Herranz-Celotti & Rouat;
    alpha controls the tail fatness and must be > 1 (at alpha <= 1 the
    formula is infinite or NaN, and alpha <= 1 is refused). Unit area,
    peak 1. braintools >= 0.2 divides by :math:`\alpha + 1` instead (preset
    ``"braintools.q_pseudo_spike"``). Primitive
    :math:`S(x) = \mathrm{sign}(x)\,\bigl(1 - (1 + 2|x|/(\alpha-1))^{1-\alpha}\bigr)/2`.

    Args:
        alpha: tail exponent.

    Example:
        >>> jax.grad(lambda x: js.q_pseudo_spike(x).sum())(jnp.array([0.0, 0.5]))
        Array([1.  , 0.25], dtype=float32)

    Reference:
        L. Herranz-Celotti and J. Rouat, "Surrogate gradients design",
        arXiv:2202.00282, 2022.
    """
    # exp(-alpha log1p(...)) rather than a power: accurate for huge alphas.
    return jnp.exp(-alpha * jnp.log1p(2 * jnp.abs(x) / (alpha - 1)))


def _s2nn_primitive(x, alpha, *, beta):
    pos = jnp.where(x < 0, 0.0, x)
    return jnp.where(x < 0, jax.nn.sigmoid(alpha * x) - 0.5, beta * jnp.log1p(pos))


@surrogate(primitive=_s2nn_primitive)
def s2nn(x: ArrayLike, alpha: ArrayLike = 4.0, *, beta: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with S2NN's derivative: sigmoid below 0, 1/(x+1) above.

    .. math::
        g(x) = \begin{cases} \alpha\,\sigma(\alpha x)(1 - \sigma(\alpha x)), & x < 0 \\
               \frac{\beta}{x + 1}, & x \ge 0 \end{cases}

    SpikingJelly ``S2NN`` and braintools ``S2NN`` (alpha 4, beta 1). Not
    symmetric; at 0 the gradient is beta (the right branch). Primitive
    :math:`S(x) = \sigma(\alpha x) - \tfrac12` below 0,
    :math:`\beta\log(1 + x)` above.

    Args:
        alpha: steepness of the negative side.
        beta: scale of the positive side.

    Example:
        >>> jax.grad(lambda x: js.s2nn(x).sum())(jnp.array([0.0, 1.0]))
        Array([1. , 0.5], dtype=float32)

    Reference:
        K. Suetake et al., "S2NN: Time step reduction of spiking surrogate
        gradients for training energy efficient single-step spiking neural
        networks", Neural Networks 159, 2023 (arXiv:2201.10879).
    """
    pos = jnp.where(x < 0, 0.0, x)
    return jnp.where(x < 0, maths.logistic_slope(x, alpha), beta / (pos + 1))


def _squarewave_primitive(x, *, n, period):
    return maths.square_wave_sine_sum(x, n, period)


@surrogate(primitive=_squarewave_primitive, domains={"n": "count"})
def squarewave_fourier_series(x: ArrayLike, *, n: ArrayLike = 2.0,
                              period: ArrayLike = 8.0) -> Array:
    r"""Heaviside forward with the derivative of a square wave's Fourier partial sum.

    .. math::
        g(x) = \frac{4}{T} \sum_{i=1}^{n} \cos\bigl((2i - 1)\,\omega x\bigr),
        \quad \omega = \frac{2\pi}{T}

    braintools ``SquarewaveFourierSeries`` (n 2, T = t_period 8): n terms.
    SpikingJelly's sums only n − 1 terms, as its docs say (preset
    ``"spikingjelly.squarewave_fourier_series"``). Periodic and negative in
    places; at ±inf, where the sum has no limit, g is 0. No alpha. Primitive
    :math:`S(x) = \frac{2}{\pi}\sum_{i=1}^n \frac{\sin((2i-1)\omega x)}{2i-1}`.

    Args:
        n: the number of terms.
        period: the period T of the square wave.

    Example:
        >>> jax.grad(lambda x: js.squarewave_fourier_series(x).sum())(jnp.array([0.0]))
        Array([1.], dtype=float32)

    Reference:
        braintools, ``braintools.surrogate.SquarewaveFourierSeries``.
    """
    return 4 / period * maths.odd_cosine_sum(x, n, period)
