r"""Norse's surrogate spike functions (``norse.torch.functional.threshold``).

Numbers as ``norse==1.1.0`` computes them, with SuperSpike using alpha as on
Norse's main branch. Where Norse's docstrings state another formula than its
code computes, the formula here is the one the code computes.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import erf
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@surrogate(aliases=("step",))
def heaviside(x: ArrayLike) -> Array:
    r"""Heaviside step with a zero gradient.

    .. math::
        f(x) = H(x) = \begin{cases} 1, & x > 0 \\ 0, & x \le 0 \end{cases},
        \qquad g(x) = 0

    As Norse's ``heaviside``: H(0) = 0 and H(NaN) = 0. The gradient is 0
    everywhere except at NaN inputs, where it is NaN so that the NaN is not
    hidden.

    Example:
        >>> js.heaviside(jnp.array([-1.0, 0.0, 0.5]))
        Array([0., 0., 1.], dtype=float32)

    Reference:
        Norse, ``norse.torch.functional.heaviside.heaviside``.
    """
    return nan_where_nan(x, jnp.zeros_like(x))


def _superspike_primitive(x, alpha):
    return x / (alpha * jnp.abs(x) + 1)


@surrogate(primitive=_superspike_primitive,
           aliases=("super", "fast_sigmoid", "inverse_square"))
def superspike(x: ArrayLike, alpha: ArrayLike = 100.0) -> Array:
    r"""SuperSpike: Heaviside forward, fast-sigmoid (inverse square) derivative.

    .. math::
        g(x) = \frac{1}{(\alpha |x| + 1)^2}

    Norse's ``super`` method (``super_fn``), with alpha used as on Norse's main
    branch. ``norse==1.1.0`` ignores alpha and computes
    :math:`1/(|x| + 1)^2`; pass ``alpha=1.0`` to reproduce it. Also known as
    ``fast_sigmoid`` (snnTorch, slax). Primitive
    :math:`S(x) = x / (\alpha |x| + 1)`.

    Args:
        alpha: steepness.

    Example:
        >>> jax.grad(lambda x: js.superspike(x).sum())(jnp.array([0.0, 0.01]))
        Array([1.  , 0.25], dtype=float32)

    Reference:
        F. Zenke and S. Ganguli, "SuperSpike: Supervised learning in multilayer
        spiking neural networks", Neural Computation 30(6), 2018.
    """
    return 1 / (alpha * jnp.abs(x) + 1) ** 2


def _triangle_primitive(x, alpha):
    c = jnp.clip(x, -1, 1)
    return alpha * (c - c * jnp.abs(c) / 2)


@surrogate(primitive=_triangle_primitive)
def triangle(x: ArrayLike, alpha: ArrayLike = 0.3) -> Array:
    r"""Triangle (piecewise linear) surrogate of height alpha and half-width 1.

    .. math::
        g(x) = \alpha \max(0, 1 - |x|)

    Norse's ``triangle`` method (``triangle_fn``); g = 0 exactly at |x| = 1.
    Primitive :math:`S(x) = \alpha (c - c|c|/2)`, :math:`c = \mathrm{clip}(x, -1, 1)`.

    Args:
        alpha: the height.

    Example:
        >>> jax.grad(lambda x: js.triangle(x).sum())(jnp.array([0.0, 0.5, 2.0]))
        Array([0.3 , 0.15, 0.  ], dtype=float32)

    Reference:
        S. K. Esser et al., "Convolutional networks for fast, energy-efficient
        neuromorphic computing", PNAS 113(41), 2016; G. Bellec et al., "A
        solution to the learning dilemma for recurrent networks of spiking
        neurons", Nature Communications 11, 3625, 2020.
    """
    return alpha * jnp.maximum(0, 1 - jnp.abs(x))


def _tanh_primitive(x, alpha):
    return jnp.tanh(alpha * x) / alpha


@surrogate(primitive=_tanh_primitive, aliases=("tanh", "sech2"))
def heavi_tanh(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a sech² (tanh-shaped) derivative of peak 1.

    .. math::
        g(x) = 1 - \tanh^2(\alpha x)

    Norse's ``tanh`` method (``HeaviTanh``), computed as :math:`\mathrm{sech}^2(\alpha x)`:
    Norse's :math:`1 - \tanh^2` form cancels in the tails (the two agree to
    a few float32 ulp of 1). Norse's docstring names
    :math:`\tfrac12 + \tfrac12 \tanh(\alpha x)`, whose derivative would be
    :math:`\tfrac{\alpha}{2}` times this; the code computes the formula above.
    Norse has no default alpha. Primitive
    :math:`S(x) = \tanh(\alpha x) / \alpha`.

    Args:
        alpha: steepness.

    Example:
        >>> jax.grad(lambda x: js.heavi_tanh(x).sum())(jnp.array([0.0]))
        Array([1.], dtype=float32)

    Reference:
        E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
        spiking neural networks", IEEE Signal Processing Magazine 36(6), 2019.
    """
    return maths.sech2(x, alpha)


def _erfc_primitive(x, alpha):
    return erf(alpha * x) / alpha


@surrogate(primitive=_erfc_primitive)
def heavi_erfc(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a Gaussian derivative of peak :math:`2/\sqrt{\pi}`.

    .. math::
        g(x) = \frac{2}{\sqrt{\pi}} e^{-(\alpha x)^2}

    Norse's ``heavi_erfc`` method (``HeaviErfc``). Norse's docstring names
    :math:`\tfrac12 + \tfrac12 \mathrm{erfc}(\alpha x)`; its code computes the
    formula above, with no factor alpha, so the peak is :math:`2/\sqrt{\pi}`
    for every alpha. Norse divides by a float32 :math:`\sqrt{\pi}` (a 3e-8
    relative error in float64); we use full precision. Norse has no default
    alpha. Primitive :math:`S(x) = \mathrm{erf}(\alpha x)/\alpha`.

    Args:
        alpha: inverse width.

    Example:
        >>> jax.grad(lambda x: js.heavi_erfc(x).sum())(jnp.array([0.0]))
        Array([1.1283792], dtype=float32)

    Reference:
        E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
        spiking neural networks", IEEE Signal Processing Magazine 36(6), 2019.
    """
    return _TWO_OVER_SQRT_PI * jnp.exp(-((alpha * x) ** 2))


def _circ(x, alpha):
    # Norse's two-term form cancels and overflows (NaN once x*x overflows);
    # (alpha / hypot(alpha, x))**3 is the same number without either problem.
    return (alpha / jnp.hypot(alpha, x)) ** 3


def _circ_primitive(x, alpha):
    # x / hypot(alpha, x) is inf / inf at x = +-inf; its limit is sign(x). The
    # inner where keeps the unused branch's gradient finite too.
    infinite = jnp.isinf(x)
    safe = jnp.where(infinite, 1, x)
    return alpha * jnp.where(infinite, jnp.sign(x), safe / jnp.hypot(alpha, safe))


@surrogate(primitive=_circ_primitive, aliases=("circ",))
def heavi_circ(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a circ (inverse cube-root) derivative of peak 1.

    .. math::
        g(x) = \frac{\alpha^3}{(\alpha^2 + x^2)^{3/2}}
             = \left(\frac{\alpha}{\operatorname{hypot}(\alpha, x)}\right)^3

    Norse's ``circ`` method (``HeaviCirc``): 2 alpha times the derivative of
    :math:`\tfrac12 + \tfrac12 x / \sqrt{x^2 + \alpha^2}` that its docstring
    names. Norse's two-term formula cancels and overflows to NaN (|x| above
    about 256 in float16, 1.8e19 in float32); this form gives the same numbers
    where Norse is finite and the limit 0 beyond. Norse has no default alpha.
    Primitive :math:`S(x) = \alpha x / \sqrt{\alpha^2 + x^2}`.

    Args:
        alpha: width.

    Example:
        >>> jax.grad(lambda x: js.heavi_circ(x).sum())(jnp.array([0.0, 1e30]))
        Array([1., 0.], dtype=float32)

    Reference:
        Norse, ``norse.torch.functional.threshold.HeaviCirc``.
    """
    return _circ(x, alpha)


def _logistic_probability(x, alpha):
    return 0.5 + 0.5 * jnp.tanh(alpha * x)


@surrogate(probability=_logistic_probability, primitive=_tanh_primitive)
def logistic(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Stochastic spikes, Bernoulli with a logistic probability; sech² derivative.

    .. math::
        f(x) \sim \mathrm{Bernoulli}\left(\tfrac12 + \tfrac12 \tanh(\alpha x)\right),
        \qquad g(x) = 1 - \tanh^2(\alpha x)

    Norse's ``Logistic`` (``logistic_fn``), which draws from torch's global
    random state; here the draw comes from the explicit ``key``: the same key
    gives the same spikes. Norse has no default alpha.

    Args:
        alpha: steepness.

    Example:
        >>> s = js.logistic(jnp.zeros(10_000), key=jax.random.key(0))
        >>> bool(abs(s.mean() - 0.5) < 0.03)
        True

    Reference:
        Norse, ``norse.torch.functional.threshold.Logistic``.
    """
    return maths.sech2(x, alpha)


def _circ_probability(x, alpha):
    return 0.5 + 0.5 * _circ_primitive(x, alpha) / alpha


@surrogate(probability=_circ_probability, primitive=_circ_primitive)
def circ_dist(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Stochastic spikes, Bernoulli with a circ probability; circ derivative.

    .. math::
        f(x) \sim \mathrm{Bernoulli}\left(\tfrac12 + \tfrac12
        \frac{x}{\sqrt{x^2 + \alpha^2}}\right), \qquad
        g(x) = \frac{\alpha^3}{(\alpha^2 + x^2)^{3/2}}

    Norse's ``CircDist`` (``circ_dist_fn``), computed in the stable form of
    :func:`heavi_circ`, drawing from the explicit ``key``. Norse has no
    default alpha.

    Args:
        alpha: width.

    Example:
        >>> s = js.circ_dist(jnp.full(10_000, 1e6), key=jax.random.key(0))
        >>> float(s.mean())
        1.0

    Reference:
        Norse, ``norse.torch.functional.threshold.CircDist``.
    """
    return _circ(x, alpha)


# Norse's method strings for ``threshold(x, method, alpha)``, exactly as Norse
# spells them (a user's registry entry can't change them).
METHODS = {
    "heaviside": heaviside,
    "super": superspike,
    "triangle": triangle,
    "tanh": heavi_tanh,
    "circ": heavi_circ,
    "heavi_erfc": heavi_erfc,
}
