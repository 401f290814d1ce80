r"""Shapes that one library parameterises its own way, under that library's name.

Each is declared with its dotted name (``"<library>.<their name>"``), which
makes it a preset in the registry, beside the rows of
:mod:`jaxsurrogate._src.catalogue.presets`.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate


def _sj_superspike_primitive(x, alpha):
    return alpha * x / (1 + jnp.abs(x))


@surrogate(at_zero=1, name="spikingjelly.superspike", primitive=_sj_superspike_primitive)
def _sj_superspike(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""SpikingJelly ``SuperSpike``: alpha is the height, not the slope.

    .. math::
        g(x) = \frac{\alpha}{(|x| + 1)^2}

    Unlike :func:`superspike` (Norse, snnTorch, braintools), where alpha sets
    the width. Primitive :math:`S(x) = \alpha x / (1 + |x|)`.

    Args:
        alpha: the height.
    """
    return alpha / (jnp.abs(x) + 1) ** 2


def _sj_squarewave_primitive(x, *, n, period):
    return maths.square_wave_sine_sum(x, n - 1, period)


@surrogate(at_zero=1, name="spikingjelly.squarewave_fourier_series",
           primitive=_sj_squarewave_primitive, domains={"n": "count"})
def _sj_squarewave(x: ArrayLike, *, n: ArrayLike = 2.0, period: ArrayLike = 8.0) -> Array:
    r"""SpikingJelly ``SquarewaveFourierSeries``: n - 1 cosine terms.

    .. math::
        g(x) = \frac{4}{T} \sum_{i=1}^{n-1} \cos\bigl((2i - 1)\tfrac{2\pi}{T} x\bigr)

    SpikingJelly sums ``range(1, n)``, n - 1 terms, and documents its
    primitive with :math:`\sum_{i=1}^{n-1}`; braintools sums n terms
    (:func:`squarewave_fourier_series`). At ±inf g is 0.

    Args:
        n: one more than the number of terms.
        period: SpikingJelly's ``T_period``, the period T of the square wave.
    """
    return 4 / period * maths.odd_cosine_sum(x, n - 1, period)


def _spyx_arctan_primitive(x, alpha):
    return jnp.arctan(math.pi * (alpha * x)) / (alpha * math.pi ** 2)


@surrogate(name="spyx.arctan", primitive=_spyx_arctan_primitive)
def _spyx_arctan(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""spyx ``axn.arctan(k)``: not the atan of snnTorch/SpikingJelly.

    .. math::
        g(x) = \frac{1}{\pi\,(1 + (\alpha \pi x)^2)}

    Peak :math:`1/\pi` whatever k, area :math:`1/(\pi k)`. Primitive
    :math:`S(x) = \arctan(\alpha\pi x)/(\alpha\pi^2)`.

    Args:
        alpha: spyx's k.
    """
    # alpha * x first: alpha * pi overflows for the largest float32 alphas.
    return 1 / (math.pi * (1 + (math.pi * (alpha * x)) ** 2))


def _spyx_boxcar_primitive(x, *, width, height):
    return height * jnp.clip(x, -width / 2, width / 2)


@surrogate(name="spyx.boxcar", primitive=_spyx_boxcar_primitive)
def _spyx_boxcar(x: ArrayLike, *, width: ArrayLike = 2.0, height: ArrayLike = 0.5) -> Array:
    r"""spyx ``axn.boxcar(width, height)``.

    .. math::
        g(x) = h \cdot \mathbb{1}[|x| < w/2]

    Strict inequality, as spyx's code computes (``heaviside(w/2 - |x|)`` with
    heaviside 0 at 0); spyx's docstring says :math:`|x| \le w/2` (a doc bug).
    With spyx's defaults it equals :func:`rectangle` with alpha 0.5.

    Args:
        width: w, the width of the box.
        height: h, its height.
    """
    inside = jnp.abs(x) < width / 2
    return nan_where_nan(x, jnp.where(inside, height, 0.0) * jnp.ones_like(x))


def _bt_relu_grad_primitive(x, alpha, *, width):
    c = jnp.clip(x, -width, width)
    return alpha * (width * c - c * jnp.abs(c) / 2)


@surrogate(at_zero=1, name="braintools.relu_grad", primitive=_bt_relu_grad_primitive)
def _bt_relu_grad(x: ArrayLike, alpha: ArrayLike = 0.3, *, width: ArrayLike = 1.0) -> Array:
    r"""braintools ``ReluGrad``: a triangle of height alpha·width, half-width width.

    .. math::
        g(x) = \max(0, \alpha (w - |x|))

    With width 1 the maths of Norse's :func:`triangle`.

    Args:
        alpha: the slope of the sides.
        width: w, the half-width.
    """
    return jnp.maximum(0, alpha * (width - jnp.abs(x)))


@surrogate(at_zero=1, name="braintools.piecewise_leaky_relu",
           primitive=maths.piecewise_leaky_relu_primitive, domains={"c": "nonnegative"})
def _bt_piecewise_leaky_relu(x: ArrayLike, *, w: ArrayLike = 1.0, c: ArrayLike = 0.01) -> Array:
    r"""braintools ``PiecewiseLeakyRelu``: box 1/(2w) on the closed |x| <= w.

    .. math::
        g(x) = \begin{cases} \frac{1}{2w}, & |x| \le w \\ c, & |x| > w \end{cases}

    Differs from SpikingJelly (strict :math:`|x| < w`) exactly at
    :math:`|x| = w`. braintools' docstring says :math:`1/w`; its code
    computes :math:`1/(2w)` (a doc bug; this follows the code, whose
    primitive the docs also give).

    Args:
        w: half-width of the box.
        c: the gradient outside the box.
    """
    inside = jnp.abs(x) <= w
    return nan_where_nan(x, jnp.where(inside, 1 / (2 * w), c * jnp.ones_like(x)))


@surrogate(at_zero=1, name="braintools.q_pseudo_spike")
def _bt_q_pseudo_spike(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""braintools ``QPseudoSpike`` (>= 0.2): divides by alpha + 1.

    .. math::
        g(x) = \left(1 + \frac{2|x|}{\alpha + 1}\right)^{-\alpha}

    Finite for every alpha > 0, unlike SpikingJelly's :math:`\alpha - 1`
    (:func:`q_pseudo_spike`); the two differ for the same alpha.

    Args:
        alpha: tail exponent.
    """
    return jnp.exp(-alpha * jnp.log1p(2 * jnp.abs(x) / (alpha + 1)))


def _snnax_superspike_primitive(x, alpha):
    return maths.odd(x, jnp.log1p(alpha * jnp.abs(x)) / alpha)


@surrogate(at_zero=1, name="snnax.superspike", primitive=_snnax_superspike_primitive)
def _snnax_superspike(x: ArrayLike, alpha: ArrayLike = 10.0) -> Array:
    r"""snnax ``superspike_surrogate(beta)``: not squared.

    .. math::
        g(x) = \frac{1}{\beta |x| + 1}

    Unlike SuperSpike elsewhere (:func:`superspike`), snnax does not square
    the denominator; its H(0) is 1 (``jnp.heaviside(x, 1)``). Primitive
    :math:`S(x) = \mathrm{sign}(x)\log(1 + \beta|x|)/\beta`.

    Args:
        alpha: snnax's beta.
    """
    return 1 / (alpha * jnp.abs(x) + 1)


def _snnax_piecewise_primitive(x, alpha):
    return jnp.clip(x, -alpha, alpha)


@surrogate(at_zero=1, name="snnax.piecewise", primitive=_snnax_piecewise_primitive)
def _snnax_piecewise(x: ArrayLike, alpha: ArrayLike = 0.5) -> Array:
    r"""snnax ``piecewise_surrogate(beta)``: a unit-height box of half-width beta.

    .. math::
        g(x) = \mathbb{1}[-\beta < x < \beta]

    With snnax's default it equals :func:`rectangle` at alpha 1.

    Args:
        alpha: snnax's beta, the half-width.
    """
    inside = jnp.abs(x) < alpha
    return nan_where_nan(x, jnp.where(inside, 1.0, 0.0) * jnp.ones_like(x))
