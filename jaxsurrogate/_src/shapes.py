r"""The catalogue: every surrogate shape the SNN world uses, declared once.

Each entry of ``CATALOGUE`` is ``(spike_function, aliases)``; the registry
registers them under their canonical names. Shapes that Norse already has
(SuperSpike / fast sigmoid, triangle, sech², circ, erfc) live in
:mod:`jaxsurrogate._src.norse` and are not declared again here.

Every derivative below is written to be finite for every non-NaN input
(including ±inf and the largest finite floats) and NaN at NaN inputs; the
forward of every deterministic shape is the Heaviside step with H(0) = 0 (the
presets in :mod:`jaxsurrogate._src.presets` pick other libraries' H(0)).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import erf as _erf
from jax.typing import ArrayLike

from jaxsurrogate._src.mechanism import Array, nan_where_nan, surrogate

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _logistic_slope(x, alpha):
    """alpha * sigma(alpha x) * (1 - sigma(alpha x)), without overflow."""
    ax = alpha * x
    return alpha * jax.nn.sigmoid(ax) * jax.nn.sigmoid(-ax)


def _normal(x, mu, s):
    """The Gaussian density N(x; mu, s); 0 (not NaN) at +-inf."""
    z = (x - mu) / s
    return jnp.exp(-0.5 * z * z) / (_SQRT_2PI * s)


# --------------------------------------------------------------------------
# Smooth bell shapes


def _sigmoid_primitive(x, alpha):
    return jax.nn.sigmoid(alpha * x) - 0.5


@surrogate(alpha=4.0, primitive=_sigmoid_primitive)
def sigmoid(x: ArrayLike, alpha: ArrayLike = 4.0) -> Array:
    r"""Heaviside forward with the derivative of a logistic sigmoid.

    .. math::
        f(x) = H(x), \qquad g(x) = \alpha\,\sigma(\alpha x)\,(1 - \sigma(\alpha x))

    SpikingJelly ``Sigmoid`` and braintools ``Sigmoid`` (alpha 4, the default
    here), snnTorch ``sigmoid`` (slope 25: preset ``"snntorch.sigmoid"``).
    Computed as :math:`\alpha\,\sigma(\alpha x)\,\sigma(-\alpha x)`, which stays
    finite where snnTorch's exponential form overflows to NaN
    (:math:`\alpha x < -88` in float32). Peak :math:`\alpha/4`. Primitive
    :math:`S(x) = \sigma(\alpha x) - \tfrac12`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: steepness (> 0), a scalar or an array broadcastable to ``x``.
            Default 4.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.sigmoid(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.07065082], dtype=float32)

    Reference:
        E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in
        spiking neural networks", IEEE Signal Processing Magazine 36(6), 2019.
    """
    return _logistic_slope(x, alpha)


def _atan_primitive(x, alpha):
    return jnp.arctan(math.pi / 2 * alpha * x) / math.pi


@surrogate(alpha=2.0, primitive=_atan_primitive)
def atan(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the derivative of a scaled arctangent.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \frac{\alpha / 2}{1 + \left(\frac{\pi}{2} \alpha x\right)^2}

    snnTorch ``atan``, SpikingJelly ``ATan`` and slax (alpha 2, the default
    here); braintools ``Arctan`` (alpha 1). Not spyx ``arctan``, which has
    another height (preset ``"spyx.arctan"``). Peak :math:`\alpha/2`, unit
    area. Primitive :math:`S(x) = \arctan(\tfrac{\pi}{2}\alpha x)/\pi`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: steepness (> 0), scalar or broadcastable to ``x``. Default 2.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.atan(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.09199966], dtype=float32)

    Reference:
        W. Fang et al., "Incorporating learnable membrane time constant to
        enhance learning of spiking neural networks", ICCV 2021.
    """
    return (alpha / 2) / (1 + (math.pi / 2 * alpha * x) ** 2)


def _erf_primitive(x, alpha):
    return _erf(alpha * x) / 2


@surrogate(alpha=2.0, primitive=_erf_primitive)
def erf(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with a unit-area Gaussian derivative (of erf).

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{\alpha}{\sqrt{\pi}} e^{-\alpha^2 x^2}

    SpikingJelly ``Erf`` (alpha 2, the default here), braintools ``ERF``
    (alpha 1). Unlike Norse's :func:`heavi_erfc` it has the factor alpha (unit
    area, peak :math:`\alpha/\sqrt{\pi}`). Primitive
    :math:`S(x) = \mathrm{erf}(\alpha x)/2`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: inverse width (> 0), scalar or broadcastable to ``x``.
            Default 2.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.erf(x).sum())(jnp.array([0.0]))
        Array([1.1283791], dtype=float32)

    Reference:
        S. K. Esser et al., "Backpropagation for energy-efficient neuromorphic
        computing", NeurIPS 2015; Y. Wu et al., "Spatio-temporal
        backpropagation for training high-performance spiking neural
        networks", Frontiers in Neuroscience 12, 2018.
    """
    ax = alpha * x
    return alpha / _SQRT_PI * jnp.exp(-(ax * ax))


def _gaussian_primitive(x, alpha, *, sigma=0.5):
    return alpha * _erf(x / (_SQRT_2 * sigma)) / 2


@surrogate(alpha=0.5, primitive=_gaussian_primitive)
def gaussian(x: ArrayLike, alpha: ArrayLike = 0.5, *,
             sigma: ArrayLike = 0.5) -> Array:
    r"""Heaviside forward with a Gaussian-density derivative of scale alpha.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \alpha\,\mathcal{N}(x; 0, \sigma)
             = \frac{\alpha}{\sigma\sqrt{2\pi}} e^{-x^2 / (2\sigma^2)}

    braintools ``GaussianGrad`` (alpha 0.5, sigma 0.5, the defaults here);
    Sinabs ``Gaussian`` (scale 1, sigma 0.5: preset ``"sinabs.gaussian"``).
    Area alpha. Primitive
    :math:`S(x) = \tfrac{\alpha}{2}\,\mathrm{erf}(x / (\sqrt2\,\sigma))`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: the area (> 0), scalar or broadcastable to ``x``. Default 0.5.
        sigma: the standard deviation (> 0). Default 0.5.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.gaussian(x).sum())(jnp.array([0.0]))
        Array([0.3989423], dtype=float32)

    Reference:
        B. Yin, F. Corradi and S. M. Bohté, "Accurate and efficient
        time-domain classification with adaptive spiking recurrent neural
        networks", Nature Machine Intelligence 3, 2021.
    """
    return alpha * _normal(x, 0.0, sigma)


def _multi_gaussian_primitive(x, alpha, *, sigma=0.5, h=0.15, s=6.0):
    wide = _SQRT_2 * s * sigma
    return alpha / 2 * ((1 + h) * _erf(x / (_SQRT_2 * sigma))
                        - h * _erf((x - sigma) / wide)
                        - h * _erf((x + sigma) / wide))


@surrogate(alpha=0.5, primitive=_multi_gaussian_primitive, nonnegative=False,
           param_domains={"h": "nonnegative"})
def multi_gaussian(x: ArrayLike, alpha: ArrayLike = 0.5, *,
                   sigma: ArrayLike = 0.5, h: ArrayLike = 0.15,
                   s: ArrayLike = 6.0) -> Array:
    r"""Heaviside forward with a Gaussian derivative minus two wide side Gaussians.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \alpha \left[(1 + h)\,\mathcal{N}(x; 0, \sigma)
               - h\,\mathcal{N}(x; \sigma, s\sigma)
               - h\,\mathcal{N}(x; -\sigma, s\sigma)\right]

    The multi-Gaussian of Yin et al. (2021). braintools
    ``MultiGaussianGrad`` (scale alpha 0.5, sigma 0.5, h 0.15, s 6: the
    defaults here); Sinabs ``MultiGaussian`` is the same with scale 1
    (preset ``"sinabs.multi_gaussian"``). g is negative away from 0 (the side
    lobes). Primitive: the same combination of
    :math:`\tfrac12\mathrm{erf}((x - \mu)/(\sqrt2\,\text{std}))` terms, zero at 0.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: overall scale (> 0), scalar or broadcastable to ``x``.
            Default 0.5.
        sigma: standard deviation of the centre Gaussian and offset of the
            side ones (> 0). Default 0.5.
        h: weight of the side Gaussians (>= 0). Default 0.15.
        s: width factor of the side Gaussians (> 0). Default 6.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> g = jax.grad(lambda x: js.multi_gaussian(x).sum())(jnp.array([0.0, 2.0]))
        >>> bool(g[0] > 0 and g[1] < 0)
        True

    Reference:
        B. Yin, F. Corradi and S. M. Bohté, "Accurate and efficient
        time-domain classification with adaptive spiking recurrent neural
        networks", Nature Machine Intelligence 3, 2021.
    """
    return alpha * ((1 + h) * _normal(x, 0.0, sigma)
                    - h * _normal(x, sigma, s * sigma)
                    - h * _normal(x, -sigma, s * sigma))


# --------------------------------------------------------------------------
# Piecewise-linear and compact shapes


def _piecewise_quadratic_primitive(x, alpha):
    c = jnp.clip(x, -1 / alpha, 1 / alpha)
    return alpha * c - alpha ** 2 * c * jnp.abs(c) / 2


@surrogate(alpha=1.0, primitive=_piecewise_quadratic_primitive)
def piecewise_quadratic(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area triangle derivative (half-width 1/alpha).

    .. math::
        f(x) = H(x), \qquad g(x) = \max(0,\ \alpha - \alpha^2 |x|)

    SpikingJelly ``PiecewiseQuadratic`` and braintools ``PiecewiseQuadratic``
    (alpha 1). Peak alpha, zero for :math:`|x| \ge 1/\alpha`. Compare
    :func:`triangle` (height alpha, width 1) and :func:`triangular` (height
    1). Primitive :math:`S(x) = \alpha c - \alpha^2 c|c|/2`,
    :math:`c = \mathrm{clip}(x, -1/\alpha, 1/\alpha)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: peak and inverse half-width (> 0), scalar or broadcastable to
            ``x``. Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.piecewise_quadratic(x).sum())(jnp.array([0.0, 0.5, 1.0]))
        Array([1. , 0.5, 0. ], dtype=float32)

    Reference:
        S. K. Esser et al., "Convolutional networks for fast, energy-efficient
        neuromorphic computing", PNAS 113(41), 2016; Y. Wu et al.,
        "Spatio-temporal backpropagation for training high-performance spiking
        neural networks", Frontiers in Neuroscience 12, 2018.
    """
    return jnp.maximum(0, alpha - alpha ** 2 * jnp.abs(x))


def _triangular_primitive(x, alpha):
    c = jnp.clip(x, -1 / alpha, 1 / alpha)
    return c - alpha * c * jnp.abs(c) / 2


@surrogate(alpha=2.0, primitive=_triangular_primitive)
def triangular(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with a triangle derivative of height 1, half-width 1/alpha.

    .. math::
        f(x) = H(x), \qquad g(x) = \max(0,\ 1 - |\alpha x|)

    spyx ``triangular(k)`` with alpha = k (default 2). Not snnTorch
    ``triangular``, which is a sign-flipped step (a bug). Primitive
    :math:`S(x) = c - \alpha c|c|/2`,
    :math:`c = \mathrm{clip}(x, -1/\alpha, 1/\alpha)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: inverse half-width (> 0), scalar or broadcastable to ``x``.
            Default 2.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.triangular(x).sum())(jnp.array([0.0, 0.25, 1.0]))
        Array([1. , 0.5, 0. ], dtype=float32)

    Reference:
        S. K. Esser et al., "Convolutional networks for fast, energy-efficient
        neuromorphic computing", PNAS 113(41), 2016.
    """
    return jnp.maximum(0, 1 - jnp.abs(alpha * x))


def _rectangle_primitive(x, alpha):
    return alpha * jnp.clip(x, -0.5 / alpha, 0.5 / alpha)


@surrogate(alpha=1.0, primitive=_rectangle_primitive)
def rectangle(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area rectangular (boxcar) derivative.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \alpha \cdot \mathbb{1}\left[|x| < \tfrac{1}{2\alpha}\right]

    SpikingJelly ``Rect`` (alpha 1): strict inequality, so g = 0 exactly at
    :math:`|x| = 1/(2\alpha)`. spyx ``boxcar`` and snnax ``piecewise`` are
    parameterised by width and height instead (presets ``"spyx.boxcar"``,
    ``"snnax.piecewise"``). Primitive
    :math:`S(x) = \alpha\,\mathrm{clip}(x, -\tfrac{1}{2\alpha}, \tfrac{1}{2\alpha})`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: height and 1/width (> 0), scalar or broadcastable to ``x``.
            Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.rectangle(x).sum())(jnp.array([0.0, 0.5]))
        Array([1., 0.], dtype=float32)

    Reference:
        Y. Wu et al., "Spatio-temporal backpropagation for training
        high-performance spiking neural networks", Frontiers in Neuroscience
        12, 2018.
    """
    inside = jnp.abs(x) < 0.5 / alpha
    return nan_where_nan(x, jnp.where(inside, alpha, jnp.zeros_like(x * alpha)))


def _piecewise_leaky_relu_primitive(x, *, w=1.0, c=0.01):
    inner = jnp.clip(x, -w, w)
    return inner / (2 * w) + c * (x - inner)


@surrogate(alpha=None, primitive=_piecewise_leaky_relu_primitive,
           param_domains={"c": "nonnegative"})
def piecewise_leaky_relu(x: ArrayLike, *, w: ArrayLike = 1.0,
                         c: ArrayLike = 0.01) -> Array:
    r"""Heaviside forward with a box derivative of area 1 and a leaky floor c.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \begin{cases} \frac{1}{2w}, & |x| < w \\ c, & |x| \ge w \end{cases}

    SpikingJelly ``PiecewiseLeakyReLU`` (w 1, c 0.01; its strict
    :math:`|x| < w`, after SpikingJelly #412 fixed :math:`1/w` to
    :math:`1/(2w)`). braintools ``PiecewiseLeakyRelu`` uses
    :math:`|x| \le w` (preset ``"braintools.piecewise_leaky_relu"``). No
    alpha. Primitive :math:`S(x) = \frac{\mathrm{clip}(x,-w,w)}{2w} + c\,(x - \mathrm{clip}(x,-w,w))`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        w: half-width of the box (> 0). Default 1.0.
        c: the gradient outside the box (>= 0). Default 0.01.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.piecewise_leaky_relu(x).sum())(jnp.array([0.0, 1.0]))
        Array([0.5 , 0.01], dtype=float32)

    Reference:
        Y. Wu et al., "Spatio-temporal backpropagation for training
        high-performance spiking neural networks", Frontiers in Neuroscience
        12, 2018; S. Yin et al., "Algorithm and hardware design of
        discrete-time spiking neural networks based on back propagation with
        binary activations", BioCAS 2017.
    """
    inside = jnp.abs(x) < w
    return nan_where_nan(x, jnp.where(inside, 1 / (2 * w), c * jnp.ones_like(x)))


def _leaky_k_relu_primitive(x, *, leak=0.0, k=1.0):
    return jnp.where(x >= 0, k * x, leak * x)


@surrogate(alpha=None, primitive=_leaky_k_relu_primitive, symmetric=False,
           param_domains={"leak": "nonnegative", "k": "nonnegative"})
def leaky_k_relu(x: ArrayLike, *, leak: ArrayLike = 0.0,
                 k: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with the derivative of a leaky ReLU: leak below 0, k above.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \begin{cases} k, & x \ge 0 \\ \mathrm{leak}, & x < 0 \end{cases}

    SpikingJelly ``LeakyKReLU`` (leak 0, k 1: the defaults here); braintools
    ``LeakyRelu`` is the same with alpha = leak = 0.1, beta = k = 1 (preset
    ``"braintools.leaky_relu"``). At :math:`x = -0` the gradient is k
    (:math:`-0 \ge 0`). Not symmetric. No alpha. Primitive
    :math:`S(x) = k x` for :math:`x \ge 0`, :math:`\mathrm{leak}\,x` below.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        leak: the gradient for negative x (>= 0). Default 0.0.
        k: the gradient for non-negative x (>= 0). Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.leaky_k_relu(x).sum())(jnp.array([-1.0, 1.0]))
        Array([0., 1.], dtype=float32)

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.LeakyKReLU``.
    """
    return nan_where_nan(x, jnp.where(x >= 0, k, leak) * jnp.ones_like(x))


def _log_tailed_relu_primitive(x, alpha):
    tail = jnp.where(x > 1, x, 1.0)
    return jnp.where(x > 1, 1 + jnp.log(tail),
                     jnp.where(x > 0, x, alpha * x))


@surrogate(alpha=0.0, primitive=_log_tailed_relu_primitive,
           alpha_domain="nonnegative", symmetric=False)
def log_tailed_relu(x: ArrayLike, alpha: ArrayLike = 0.0) -> Array:
    r"""Heaviside forward with the derivative of a log-tailed ReLU.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \begin{cases} \alpha, & x \le 0 \\ 1, & 0 < x \le 1 \\
               1/x, & x > 1 \end{cases}

    SpikingJelly ``LogTailedReLU`` and braintools ``LogTailedRelu`` (alpha 0).
    SpikingJelly's gradient is 1 at NaN inputs (its masks miss NaN); ours is
    NaN. Not symmetric. Primitive: :math:`\alpha x`, :math:`x`,
    :math:`1 + \log x` on the three pieces.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: the gradient for :math:`x \le 0` (>= 0), scalar or
            broadcastable to ``x``. Default 0.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.log_tailed_relu(x).sum())(jnp.array([-1.0, 0.5, 4.0]))
        Array([0.  , 1.  , 0.25], dtype=float32)

    Reference:
        Z. Cai et al., "Deep learning with low precision by half-wave Gaussian
        quantization", CVPR 2017.
    """
    tail = jnp.where(x > 1, x, 1.0)
    g = jnp.where(x > 1, 1 / tail, jnp.where(x > 0, 1.0, alpha * jnp.ones_like(x)))
    return nan_where_nan(x, g)


# --------------------------------------------------------------------------
# Exponential and power-law shapes


def _piecewise_exp_primitive(x, alpha):
    return jnp.sign(x) * -jnp.expm1(-alpha * jnp.abs(x)) / 2


@surrogate(alpha=1.0, primitive=_piecewise_exp_primitive)
def piecewise_exp(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area Laplace (two-sided exponential) derivative.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{\alpha}{2} e^{-\alpha |x|}

    SpikingJelly ``PiecewiseExp`` and braintools ``PiecewiseExp`` (alpha 1);
    lava-dl SLAYER's exponential with :math:`\alpha = 1/\tau` (preset
    ``"slayer.exponential"``). Peak :math:`\alpha/2`. Primitive
    :math:`S(x) = \mathrm{sign}(x)\,(1 - e^{-\alpha|x|})/2`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: inverse width (> 0), scalar or broadcastable to ``x``.
            Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
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
    return jnp.sign(x) * -jnp.expm1(-alpha * jnp.abs(x)) / alpha


@surrogate(alpha=1.0, primitive=_slayer_primitive)
def slayer_exponential(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with an exponential derivative of peak 1.

    .. math::
        f(x) = H(x), \qquad g(x) = e^{-\alpha |x|}

    braintools ``SlayerGrad`` (alpha 1). lava-dl SLAYER itself scales by
    :math:`\alpha/2` (that is :func:`piecewise_exp`). Primitive
    :math:`S(x) = \mathrm{sign}(x)\,(1 - e^{-\alpha|x|})/\alpha`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: decay rate (> 0), scalar or broadcastable to ``x``.
            Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.slayer_exponential(x).sum())(jnp.array([0.0, 1.0]))
        Array([1.        , 0.36787945], dtype=float32)

    Reference:
        S. B. Shrestha and G. Orchard, "SLAYER: Spike layer error reassignment
        in time", NeurIPS 2018.
    """
    return jnp.exp(-alpha * jnp.abs(x))


def _single_exponential_primitive(x, *, width=0.5, scale=1.0):
    return scale * jnp.sign(x) * -jnp.expm1(-jnp.abs(x) / width)


@surrogate(alpha=None, primitive=_single_exponential_primitive)
def single_exponential(x: ArrayLike, *, width: ArrayLike = 0.5,
                       scale: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with an exponential derivative of width w and scale s.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{s}{w} e^{-|x| / w}

    Sinabs ``SingleExponential`` (grad_width 0.5, grad_scale 1: the defaults
    here), Sinabs' default surrogate; Sinabs multiplies the width by the
    threshold, which is this with threshold 1. Area 2s. No alpha. Primitive
    :math:`S(x) = s\,\mathrm{sign}(x)\,(1 - e^{-|x|/w})`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        width: w, the decay length (> 0). Default 0.5.
        scale: s, the scale (> 0). Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.single_exponential(x).sum())(jnp.array([0.0]))
        Array([2.], dtype=float32)

    Reference:
        Sinabs, ``sinabs.activation.SingleExponential``; S. B. Shrestha and
        G. Orchard, "SLAYER: Spike layer error reassignment in time",
        NeurIPS 2018.
    """
    return scale / width * jnp.exp(-jnp.abs(x) / width)


def _soft_sign_primitive(x, alpha):
    ax = alpha * x
    return ax / (2 * (1 + jnp.abs(ax)))


@surrogate(alpha=2.0, primitive=_soft_sign_primitive)
def soft_sign(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the derivative of a soft sign.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{\alpha}{2 (1 + \alpha |x|)^2}

    SpikingJelly ``SoftSign`` (alpha 2, the default here), braintools
    ``SoftSign`` (alpha 1). Unit area, peak :math:`\alpha/2`. Primitive
    :math:`S(x) = \tfrac12\,\alpha x / (1 + \alpha|x|)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: steepness (> 0), scalar or broadcastable to ``x``. Default 2.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.soft_sign(x).sum())(jnp.array([0.0, 0.5]))
        Array([1.  , 0.25], dtype=float32)

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.SoftSign``.
    """
    return alpha / (2 * (1 + alpha * jnp.abs(x)) ** 2)


def _nonzero_sign_log_abs_primitive(x, alpha):
    return jnp.sign(x) * jnp.log1p(alpha * jnp.abs(x))


@surrogate(alpha=1.0, primitive=_nonzero_sign_log_abs_primitive)
def nonzero_sign_log_abs(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with the derivative of sign(x)·log(1 + alpha|x|).

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{1}{1/\alpha + |x|}
             = \frac{\alpha}{1 + \alpha |x|}

    SpikingJelly ``NonzeroSignLogAbs`` and braintools ``NonzeroSignLog``
    (alpha 1). Heavy tail (not integrable). Primitive
    :math:`S(x) = \mathrm{sign}(x) \log(1 + \alpha |x|)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: peak (> 0), scalar or broadcastable to ``x``. Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.nonzero_sign_log_abs(x).sum())(jnp.array([0.0, 1.0]))
        Array([1. , 0.5], dtype=float32)

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.NonzeroSignLogAbs``.
    """
    return alpha / (1 + alpha * jnp.abs(x))


def _fake_numerical_gradient_primitive(x, alpha):
    r = alpha * jnp.abs(x)
    return jnp.sign(x) * jnp.where(r > 1, 1 + jnp.log(jnp.maximum(r, 1)), r)


@surrogate(alpha=0.3, primitive=_fake_numerical_gradient_primitive)
def fake_numerical_gradient(x: ArrayLike, alpha: ArrayLike = 0.3) -> Array:
    r"""Heaviside forward with the "fake numerical gradient" min(1/|x|, alpha).

    .. math::
        f(x) = H(x), \qquad g(x) = \min\left(\frac{1}{|x|},\ \alpha\right)

    SpikingJelly ``FakeNumericalGradient`` (alpha 0.3): the secant slope of
    the step, capped at alpha. SpikingJelly computes ``sign(x)/x`` with
    sign(-0) = -1 and returns :math:`-\infty` at :math:`x = -0` (a bug);
    here g = alpha at both zeros. Computed as
    :math:`\alpha / \max(\alpha|x|, 1)`, with no infinities. Primitive
    :math:`S(x) = \mathrm{sign}(x)\,\alpha|x|` for :math:`|x| \le 1/\alpha`,
    :math:`\mathrm{sign}(x)\,(1 + \log(\alpha|x|))` beyond.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: the cap (> 0), scalar or broadcastable to ``x``. Default 0.3.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.fake_numerical_gradient(x).sum())(jnp.array([0.0, 10.0]))
        Array([0.3, 0.1], dtype=float32)

    Reference:
        Y. Guo et al., "Real spike: Learning real-valued spikes for spiking
        neural networks", ECCV 2022 (as cited by SpikingJelly).
    """
    return alpha / jnp.maximum(alpha * jnp.abs(x), 1)


def _q_pseudo_spike_primitive(x, alpha):
    base = 1 + 2 * jnp.abs(x) / (alpha - 1)
    return jnp.sign(x) * -jnp.expm1((1 - alpha) * jnp.log(base)) / 2


@surrogate(alpha=2.0, primitive=_q_pseudo_spike_primitive, alpha_domain="above_one")
def q_pseudo_spike(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with the q-PseudoSpike (power-law tailed) derivative.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \left(1 + \frac{2|x|}{\alpha - 1}\right)^{-\alpha}

    SpikingJelly ``QPseudoSpike`` (alpha 2), as in Herranz-Celotti & Rouat;
    alpha controls the tail fatness and must be > 1 (at alpha <= 1 the
    formula is infinite or NaN, and alpha <= 1 is refused). Unit area,
    peak 1. braintools >= 0.2 divides by :math:`\alpha + 1` instead (preset
    ``"braintools.q_pseudo_spike"``). Primitive
    :math:`S(x) = \mathrm{sign}(x)\,\bigl(1 - (1 + 2|x|/(\alpha-1))^{1-\alpha}\bigr)/2`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: tail exponent (> 1), scalar or broadcastable to ``x``.
            Default 2.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.q_pseudo_spike(x).sum())(jnp.array([0.0, 0.5]))
        Array([1.  , 0.25], dtype=float32)

    Reference:
        L. Herranz-Celotti and J. Rouat, "Surrogate gradients design",
        arXiv:2202.00282, 2022.
    """
    return (1 + 2 * jnp.abs(x) / (alpha - 1)) ** (-alpha)


def _s2nn_primitive(x, alpha, *, beta=1.0):
    pos = jnp.where(x < 0, 0.0, x)
    return jnp.where(x < 0, jax.nn.sigmoid(alpha * x) - 0.5, beta * jnp.log1p(pos))


@surrogate(alpha=4.0, primitive=_s2nn_primitive, symmetric=False)
def s2nn(x: ArrayLike, alpha: ArrayLike = 4.0, *, beta: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with S2NN's derivative: sigmoid below 0, 1/(x+1) above.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \begin{cases} \alpha\,\sigma(\alpha x)(1 - \sigma(\alpha x)), & x < 0 \\
               \frac{\beta}{x + 1}, & x \ge 0 \end{cases}

    SpikingJelly ``S2NN`` and braintools ``S2NN`` (alpha 4, beta 1). Not
    symmetric; at 0 the gradient is beta (the right branch). Primitive
    :math:`S(x) = \sigma(\alpha x) - \tfrac12` below 0,
    :math:`\beta\log(1 + x)` above.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: steepness of the negative side (> 0), scalar or broadcastable
            to ``x``. Default 4.0.
        beta: scale of the positive side (> 0). Default 1.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.s2nn(x).sum())(jnp.array([0.0, 1.0]))
        Array([1. , 0.5], dtype=float32)

    Reference:
        K. Suetake et al., "S2NN: Time step reduction of spiking surrogate
        gradients for training energy efficient single-step spiking neural
        networks", Neural Networks 159, 2023 (arXiv:2201.10879).
    """
    pos = jnp.where(x < 0, 0.0, x)
    return jnp.where(x < 0, _logistic_slope(x, alpha), beta / (pos + 1))


def _spike_rate_escape_primitive(x, alpha, *, slope=25.0):
    d = x - 1
    return slope / alpha * (jnp.sign(d) * -jnp.expm1(-alpha * jnp.abs(d))
                            - jnp.expm1(-alpha))


@surrogate(alpha=1.0, primitive=_spike_rate_escape_primitive, symmetric=False)
def spike_rate_escape(x: ArrayLike, alpha: ArrayLike = 1.0, *,
                      slope: ArrayLike = 25.0) -> Array:
    r"""Heaviside forward with an escape-rate (Boltzmann) derivative centred at x = 1.

    .. math::
        f(x) = H(x), \qquad g(x) = s\, e^{-\alpha |x - 1|}

    snnTorch ``spike_rate_escape`` with alpha = beta (1) and s = slope (25).
    Its peak is at x = 1, not at the threshold, as snnTorch codes it. Not
    symmetric. Primitive
    :math:`S(x) = \tfrac{s}{\alpha}\bigl[\mathrm{sign}(x-1)(1 - e^{-\alpha|x-1|}) + 1 - e^{-\alpha}\bigr]`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha: decay rate beta (> 0), scalar or broadcastable to ``x``.
            Default 1.0.
        slope: the scale s (> 0). Default 25.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.spike_rate_escape(x).sum())(jnp.array([1.0]))
        Array([25.], dtype=float32)

    Reference:
        W. Gerstner and W. M. Kistler, "Spiking neuron models: Single neurons,
        populations, plasticity", Cambridge University Press, 2002.
    """
    return slope * jnp.exp(-alpha * jnp.abs(x - 1))


def _squarewave_terms(x, n, period, term):
    """Sums term(c, omega * r) over c = 1, 3, ..., 2n - 1, r = x mod period."""
    x = jnp.asarray(x)
    r = lax.rem(x, jnp.asarray(period, x.dtype))  # exact; the terms have period T
    omega = 2 * math.pi / period
    count = jnp.floor(n)

    def body(i, acc):
        c = 2.0 * i + 1.0
        return acc + jnp.where(i < count, term(c, c * omega * r), 0.0)

    steps = jnp.max(count).astype(jnp.int32)
    acc = lax.fori_loop(0, steps, body, jnp.zeros_like(r))
    return acc


def _odd_cosine_sum(x, n, period):
    """Sum of cos((2i - 1) w x) over i = 1..floor(n), w = 2 pi / T, in closed form.

    The sum is sin(2m theta) / (2 sin theta) (m = floor(n)). With theta
    reduced to phi = theta - k pi in [-pi/2, pi/2] it is
    (-1)^k sin(2m phi) / (2 sin phi), whose only removable singularity,
    phi = 0, gives m. Loop-free, so it can be differentiated again.
    """
    m = jnp.floor(n)
    x = jnp.asarray(x)
    finite_x = jnp.where(jnp.isinf(x), 0.0, x)
    r = lax.rem(finite_x, jnp.asarray(period, x.dtype))  # exact
    theta = (2 * math.pi / period) * r  # |theta| < 2 pi
    k = jnp.round(theta / math.pi)
    phi = theta - k * math.pi
    sign = 1 - 2 * (jnp.abs(k) % 2)
    pole = phi == 0
    ratio = jnp.sin(2 * m * phi) / (2 * jnp.sin(jnp.where(pole, 1.0, phi)))
    return sign * jnp.where(pole, m, ratio)


def _squarewave_primitive(x, *, n=2.0, period=8.0):
    s = _squarewave_terms(x, n, period, lambda c, phase: jnp.sin(phase) / c)
    return 2 / math.pi * s


@surrogate(alpha=None, primitive=_squarewave_primitive, nonnegative=False)
def squarewave_fourier_series(x: ArrayLike, *, n: ArrayLike = 2.0,
                              period: ArrayLike = 8.0) -> Array:
    r"""Heaviside forward with the derivative of a square wave's Fourier partial sum.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \frac{4}{T} \sum_{i=1}^{n} \cos\bigl((2i - 1)\,\omega x\bigr),
        \quad \omega = \frac{2\pi}{T}

    braintools ``SquarewaveFourierSeries`` (n 2, T = t_period 8): n terms.
    SpikingJelly's sums only n − 1 terms, as its docs say (preset
    ``"spikingjelly.squarewave_fourier_series"``). Periodic and negative in
    places; n counts whole terms (its floor is used); at ±inf, where the sum
    has no limit, g is 0. No alpha. Primitive
    :math:`S(x) = \frac{2}{\pi}\sum_{i=1}^n \frac{\sin((2i-1)\omega x)}{2i-1}`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        n: the number of terms (>= 1). Default 2.
        period: the period T of the square wave (> 0). Default 8.0.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.squarewave_fourier_series(x).sum())(jnp.array([0.0]))
        Array([1.], dtype=float32)

    Reference:
        braintools, ``braintools.surrogate.SquarewaveFourierSeries``.
    """
    g = 4 / period * _odd_cosine_sum(x, n, period)
    return jnp.where(jnp.isinf(x), 0.0, g)


# --------------------------------------------------------------------------
# Pass-through shapes


def _identity_primitive(x):
    return x


@surrogate(alpha=None, primitive=_identity_primitive)
def straight_through(x: ArrayLike) -> Array:
    r"""Heaviside forward with the straight-through (identity) derivative.

    .. math::
        f(x) = H(x), \qquad g(x) = 1

    snnTorch ``straight_through_estimator`` (H(0) = 0) and SpikingJelly
    ``DeterministicPass`` (H(0) = 1). The gradient is NaN at NaN inputs. No
    alpha. Primitive :math:`S(x) = x`.

    Args:
        x: membrane potential minus threshold, any floating dtype.

    Returns:
        Spikes ``x > 0``, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.straight_through(x).sum())(jnp.array([-5.0, 3.0]))
        Array([1., 1.], dtype=float32)

    Reference:
        Y. Bengio, N. Léonard and A. Courville, "Estimating or propagating
        gradients through stochastic neurons for conditional computation",
        arXiv:1308.3432, 2013.
    """
    return nan_where_nan(x, jnp.ones_like(x))


def _poisson_probability(x):
    return x


@surrogate(alpha=None, probability=_poisson_probability,
           primitive=_identity_primitive)
def poisson_pass(x: ArrayLike) -> Array:
    r"""Stochastic spikes, Bernoulli with probability x; straight-through derivative.

    .. math::
        f(x) \sim \mathrm{Bernoulli}(\mathrm{clip}(x, 0, 1)), \qquad g(x) = 1

    SpikingJelly ``PoissonPass``: x is read as a firing probability (values
    outside [0, 1] act as 0 or 1 here; torch raises for them). The draw comes
    from the explicit ``key``. No alpha. Primitive :math:`S(x) = x`.

    Args:
        x: firing probabilities, any floating dtype.
        key: a PRNG key (``jax.random.key(seed)``); required.

    Returns:
        Random spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> s = js.poisson_pass(jnp.full(10_000, 0.25), key=jax.random.key(0))
        >>> bool(abs(s.mean() - 0.25) < 0.03)
        True

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.PoissonPass``.
    """
    return nan_where_nan(x, jnp.ones_like(x))


CATALOGUE: list = [
    (sigmoid, ()),
    (atan, ("arctan",)),
    (erf, ()),
    (gaussian, ()),
    (multi_gaussian, ()),
    (piecewise_quadratic, ()),
    (triangular, ()),
    (rectangle, ("rect",)),
    (piecewise_leaky_relu, ()),
    (leaky_k_relu, ()),
    (log_tailed_relu, ()),
    (piecewise_exp, ("laplace",)),
    (slayer_exponential, ()),
    (single_exponential, ()),
    (soft_sign, ()),
    (nonzero_sign_log_abs, ("nonzero_sign_log",)),
    (fake_numerical_gradient, ()),
    (q_pseudo_spike, ()),
    (s2nn, ()),
    (spike_rate_escape, ()),
    (squarewave_fourier_series, ()),
    (straight_through, ("straight_through_estimator", "ste",
                        "deterministic_pass")),
    (poisson_pass, ()),
]
