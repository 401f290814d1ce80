r"""Piecewise shapes: triangles, boxes, leaky ReLUs, capped and pass-through derivatives."""

from __future__ import annotations

import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate


def _piecewise_quadratic_primitive(x, alpha):
    c = jnp.clip(x, -1 / alpha, 1 / alpha)
    return alpha * c * (1 - alpha * jnp.abs(c) / 2)


@surrogate(primitive=_piecewise_quadratic_primitive)
def piecewise_quadratic(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area triangle derivative (half-width 1/alpha).

    .. math::
        g(x) = \max(0,\ \alpha - \alpha^2 |x|)

    SpikingJelly ``PiecewiseQuadratic`` and braintools ``PiecewiseQuadratic``
    (alpha 1). Peak alpha, zero for :math:`|x| \ge 1/\alpha`. Compare
    :func:`triangle` (height alpha, width 1) and :func:`triangular` (height
    1). Primitive :math:`S(x) = \alpha c - \alpha^2 c|c|/2`,
    :math:`c = \mathrm{clip}(x, -1/\alpha, 1/\alpha)`.

    Args:
        alpha: peak and inverse half-width.

    Example:
        >>> jax.grad(lambda x: js.piecewise_quadratic(x).sum())(jnp.array([0.0, 0.5, 1.0]))
        Array([1. , 0.5, 0. ], dtype=float32)

    Reference:
        S. K. Esser et al., "Convolutional networks for fast, energy-efficient
        neuromorphic computing", PNAS 113(41), 2016; Y. Wu et al.,
        "Spatio-temporal backpropagation for training high-performance spiking
        neural networks", Frontiers in Neuroscience 12, 2018.
    """
    # alpha (1 - alpha |x|), not alpha - alpha^2 |x|: alpha^2 overflows first.
    return alpha * jnp.maximum(0, 1 - alpha * jnp.abs(x))


def _triangular_primitive(x, alpha):
    c = jnp.clip(x, -1 / alpha, 1 / alpha)
    return c - alpha * c * jnp.abs(c) / 2


@surrogate(primitive=_triangular_primitive)
def triangular(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with a triangle derivative of height 1, half-width 1/alpha.

    .. math::
        g(x) = \max(0,\ 1 - |\alpha x|)

    spyx ``triangular(k)`` with alpha = k (k = 2). Not snnTorch
    ``triangular``, which is a sign-flipped step (a bug). Primitive
    :math:`S(x) = c - \alpha c|c|/2`,
    :math:`c = \mathrm{clip}(x, -1/\alpha, 1/\alpha)`.

    Args:
        alpha: inverse half-width.

    Example:
        >>> jax.grad(lambda x: js.triangular(x).sum())(jnp.array([0.0, 0.25, 1.0]))
        Array([1. , 0.5, 0. ], dtype=float32)

    Reference:
        S. K. Esser et al., "Convolutional networks for fast, energy-efficient
        neuromorphic computing", PNAS 113(41), 2016.
    """
    return jnp.maximum(0, 1 - jnp.abs(alpha * x))


def _rectangle_primitive(x, alpha):
    return alpha * jnp.clip(x, -0.5 / alpha, 0.5 / alpha)


@surrogate(primitive=_rectangle_primitive, aliases=("rect",))
def rectangle(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with a unit-area rectangular (boxcar) derivative.

    .. math::
        g(x) = \alpha \cdot \mathbb{1}\left[|x| < \tfrac{1}{2\alpha}\right]

    SpikingJelly ``Rect`` (alpha 1): strict inequality, so g = 0 exactly at
    :math:`|x| = 1/(2\alpha)`. spyx ``boxcar`` and snnax ``piecewise`` are
    parameterised by width and height instead (presets ``"spyx.boxcar"``,
    ``"snnax.piecewise"``). Primitive
    :math:`S(x) = \alpha\,\mathrm{clip}(x, -\tfrac{1}{2\alpha}, \tfrac{1}{2\alpha})`.

    Args:
        alpha: height and 1/width.

    Example:
        >>> jax.grad(lambda x: js.rectangle(x).sum())(jnp.array([0.0, 0.5]))
        Array([1., 0.], dtype=float32)

    Reference:
        Y. Wu et al., "Spatio-temporal backpropagation for training
        high-performance spiking neural networks", Frontiers in Neuroscience
        12, 2018.
    """
    inside = jnp.abs(x) < 0.5 / alpha
    return nan_where_nan(x, jnp.where(inside, alpha, jnp.zeros_like(x * alpha)))


@surrogate(primitive=maths.piecewise_leaky_relu_primitive, domains={"c": "nonnegative"})
def piecewise_leaky_relu(x: ArrayLike, *, w: ArrayLike = 1.0,
                         c: ArrayLike = 0.01) -> Array:
    r"""Heaviside forward with a box derivative of area 1 and a leaky floor c.

    .. math::
        g(x) = \begin{cases} \frac{1}{2w}, & |x| < w \\ c, & |x| \ge w \end{cases}

    SpikingJelly ``PiecewiseLeakyReLU`` (w 1, c 0.01; its strict
    :math:`|x| < w`, after SpikingJelly #412 fixed :math:`1/w` to
    :math:`1/(2w)`). braintools ``PiecewiseLeakyRelu`` uses
    :math:`|x| \le w` (preset ``"braintools.piecewise_leaky_relu"``). No
    alpha. Primitive :math:`S(x) = \frac{\mathrm{clip}(x,-w,w)}{2w} + c\,(x - \mathrm{clip}(x,-w,w))`.

    Args:
        w: half-width of the box.
        c: the gradient outside the box.

    Example:
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


def _leaky_k_relu_primitive(x, *, leak, k):
    return jnp.where(x >= 0, k * x, leak * x)


@surrogate(primitive=_leaky_k_relu_primitive,
           domains={"leak": "nonnegative", "k": "nonnegative"})
def leaky_k_relu(x: ArrayLike, *, leak: ArrayLike = 0.0,
                 k: ArrayLike = 1.0) -> Array:
    r"""Heaviside forward with the derivative of a leaky ReLU: leak below 0, k above.

    .. math::
        g(x) = \begin{cases} k, & x \ge 0 \\ \mathrm{leak}, & x < 0 \end{cases}

    SpikingJelly ``LeakyKReLU`` (leak 0, k 1); braintools
    ``LeakyRelu`` is the same with alpha = leak = 0.1, beta = k = 1 (preset
    ``"braintools.leaky_relu"``). At :math:`x = -0` the gradient is k
    (:math:`-0 \ge 0`). Not symmetric. No alpha. Primitive
    :math:`S(x) = k x` for :math:`x \ge 0`, :math:`\mathrm{leak}\,x` below.

    Args:
        leak: the gradient for negative x.
        k: the gradient for non-negative x.

    Example:
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


@surrogate(primitive=_log_tailed_relu_primitive, domains={"alpha": "nonnegative"})
def log_tailed_relu(x: ArrayLike, alpha: ArrayLike = 0.0) -> Array:
    r"""Heaviside forward with the derivative of a log-tailed ReLU.

    .. math::
        g(x) = \begin{cases} \alpha, & x \le 0 \\ 1, & 0 < x \le 1 \\
               1/x, & x > 1 \end{cases}

    SpikingJelly ``LogTailedReLU`` and braintools ``LogTailedRelu`` (alpha 0).
    SpikingJelly's gradient is 1 at NaN inputs (its masks miss NaN); ours is
    NaN. Not symmetric. Primitive: :math:`\alpha x`, :math:`x`,
    :math:`1 + \log x` on the three pieces.

    Args:
        alpha: the gradient for :math:`x \le 0`.

    Example:
        >>> jax.grad(lambda x: js.log_tailed_relu(x).sum())(jnp.array([-1.0, 0.5, 4.0]))
        Array([0.  , 1.  , 0.25], dtype=float32)

    Reference:
        Z. Cai et al., "Deep learning with low precision by half-wave Gaussian
        quantization", CVPR 2017.
    """
    tail = jnp.where(x > 1, x, 1.0)
    g = jnp.where(x > 1, 1 / tail, jnp.where(x > 0, 1.0, alpha * jnp.ones_like(x)))
    return nan_where_nan(x, g)


def _fake_numerical_gradient_primitive(x, alpha):
    r = alpha * jnp.abs(x)
    return maths.odd(x, jnp.where(r > 1, 1 + jnp.log(jnp.maximum(r, 1)), r))


@surrogate(primitive=_fake_numerical_gradient_primitive)
def fake_numerical_gradient(x: ArrayLike, alpha: ArrayLike = 0.3) -> Array:
    r"""Heaviside forward with the "fake numerical gradient" min(1/|x|, alpha).

    .. math::
        g(x) = \min\left(\frac{1}{|x|},\ \alpha\right)

    SpikingJelly ``FakeNumericalGradient`` (alpha 0.3): the secant slope of
    the step, capped at alpha. SpikingJelly computes ``sign(x)/x`` with
    sign(-0) = -1 and returns :math:`-\infty` at :math:`x = -0` (a bug);
    here g = alpha at both zeros. Computed as
    :math:`\alpha / \max(\alpha|x|, 1)`, with no infinities. Primitive
    :math:`S(x) = \mathrm{sign}(x)\,\alpha|x|` for :math:`|x| \le 1/\alpha`,
    :math:`\mathrm{sign}(x)\,(1 + \log(\alpha|x|))` beyond.

    Args:
        alpha: the cap.

    Example:
        >>> jax.grad(lambda x: js.fake_numerical_gradient(x).sum())(jnp.array([0.0, 10.0]))
        Array([0.3, 0.1], dtype=float32)

    Reference:
        Y. Guo et al., "Real spike: Learning real-valued spikes for spiking
        neural networks", ECCV 2022 (as cited by SpikingJelly).
    """
    return alpha / jnp.maximum(alpha * jnp.abs(x), 1)


def _identity_primitive(x):
    return x


@surrogate(primitive=_identity_primitive,
           aliases=("straight_through_estimator", "ste", "deterministic_pass"))
def straight_through(x: ArrayLike) -> Array:
    r"""Heaviside forward with the straight-through (identity) derivative.

    .. math::
        g(x) = 1

    snnTorch ``straight_through_estimator`` (H(0) = 0) and SpikingJelly
    ``DeterministicPass`` (H(0) = 1). The gradient is NaN at NaN inputs. No
    alpha. Primitive :math:`S(x) = x`.

    Example:
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


@surrogate(probability=_poisson_probability, primitive=_identity_primitive)
def poisson_pass(x: ArrayLike) -> Array:
    r"""Stochastic spikes, Bernoulli with probability x; straight-through derivative.

    .. math::
        f(x) \sim \mathrm{Bernoulli}(\mathrm{clip}(x, 0, 1)), \qquad g(x) = 1

    SpikingJelly ``PoissonPass``: x is read as a firing probability (values
    outside [0, 1] act as 0 or 1 here; torch raises for them). The draw comes
    from the explicit ``key``. No alpha. Primitive :math:`S(x) = x`.

    Example:
        >>> s = js.poisson_pass(jnp.full(10_000, 0.25), key=jax.random.key(0))
        >>> bool(abs(s.mean() - 0.25) < 0.03)
        True

    Reference:
        SpikingJelly, ``spikingjelly.activation_based.surrogate.PoissonPass``.
    """
    return nan_where_nan(x, jnp.ones_like(x))
