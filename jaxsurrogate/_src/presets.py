r"""Presets: other libraries' maths exactly, named ``"<library>.<their name>"``.

``PRESETS`` maps each preset name to its spike function. A preset fixes the
library's default parameters and its value at zero, H(0): 0 in Norse,
snnTorch and spyx; 1 in SpikingJelly, braintools/BrainPy, slax, snnax, Sinabs
and lava-dl; 0.5 in jaxsnn. Where the maths is a canonical shape with other
defaults the preset is :func:`~jaxsurrogate.preset` of that shape; where the
library parameterises a shape differently it declares its own derivative.
Where a library's code is buggy the preset computes what the library
documents, and its docstring names the bug.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src import norse, shapes
from jaxsurrogate._src.mechanism import Array, nan_where_nan, preset, surrogate

_H = {0.0: "H(0) = 0 (spikes for x > 0)", 1.0: "H(0) = 1 (spikes for x >= 0)",
      0.5: "H(0) = 1/2"}


def _doc(name: str, summary: str, formula: str, text: str, at_zero: float,
         defaults: str, stochastic: bool) -> str:
    key = ", key=jax.random.key(0)" if stochastic else ""
    return (f"{summary}\n\n    .. math::\n        f(x) = H(x), \\qquad g(x) = {formula}\n\n"
            f"    {text}\n\n    Defaults: {defaults}; {_H[at_zero]}.\n\n"
            "    Args:\n        x: membrane potential minus threshold, any floating dtype.\n"
            "        alpha, **params: the library's parameters (defaults above), "
            "scalars or\n            arrays broadcastable to ``x``.\n\n"
            "    Returns:\n        Spikes, 0 or 1, in ``x``'s dtype.\n\n"
            "    Example:\n        >>> import jax, jax.numpy as jnp, jaxsurrogate as js\n"
            f"        >>> js.get({name!r})(jnp.array([-1e9, 1e9]){key})\n"
            "        Array([0., 1.], dtype=float32)\n")


PRESETS: dict = {}


def _add(base, name, doc_parts, *, alpha=None, at_zero, **params):
    summary, formula, text = doc_parts
    defaults = ", ".join(
        ([f"alpha={alpha}"] if alpha is not None else [])
        + [f"{k}={v}" for k, v in params.items()]) or "no parameters"
    kwargs = {} if alpha is None else {"alpha": alpha}
    doc = _doc(name, summary, formula, text, at_zero, defaults,
               base.declaration.stochastic)
    PRESETS[name] = preset(base, name, at_zero=at_zero, doc=doc, **kwargs, **params)


def _own(fn, name):
    """Registers a preset that declares its own derivative."""
    PRESETS[name] = fn


# --------------------------------------------------------------------------
# Norse (H(0) = 0)

_add(norse.superspike, "norse.super", (
    "Norse's ``super`` method (``SuperSpike`` / ``super_fn``), alpha 100.",
    r"\frac{1}{(\alpha |x| + 1)^2}",
    "Norse's neurons' default. Bug: ``norse==1.1.0`` ignores alpha and "
    "computes :math:`1/(|x| + 1)^2`; this preset uses alpha as Norse's docs "
    "and main branch do (pass ``alpha=1.0`` to reproduce 1.1.0)."),
    alpha=100.0, at_zero=0)
_add(norse.heavi_tanh, "norse.tanh", (
    "Norse's ``tanh`` method (``HeaviTanh``).",
    r"1 - \tanh^2(\alpha x)",
    "Norse's docstring names the derivative of 1/2 + tanh(alpha x)/2; its "
    "code computes this (peak 1). Norse has no default alpha."),
    alpha=1.0, at_zero=0)
_add(norse.heavi_circ, "norse.circ", (
    "Norse's ``circ`` method (``HeaviCirc``).",
    r"\frac{\alpha^3}{(\alpha^2 + x^2)^{3/2}}",
    "Bug: Norse's two-term formula cancels and overflows to NaN for large "
    "|x|; this computes the same value stably. Norse has no default alpha."),
    alpha=1.0, at_zero=0)
_add(norse.heavi_erfc, "norse.heavi_erfc", (
    "Norse's ``heavi_erfc`` method (``HeaviErfc``).",
    r"\frac{2}{\sqrt{\pi}} e^{-\alpha^2 x^2}",
    "No factor alpha, as Norse's code computes (its docstring names erfc). "
    "Norse divides by a float32 sqrt(pi); this uses full precision."),
    alpha=1.0, at_zero=0)
_add(norse.triangle, "norse.triangle", (
    "Norse's ``triangle`` method (``Triangle``).",
    r"\alpha \max(0, 1 - |x|)",
    "Height alpha, half-width 1."),
    alpha=0.3, at_zero=0)
_add(norse.heaviside, "norse.heaviside", (
    "Norse's ``heaviside``: the step with a zero gradient.",
    "0", "The gradient is NaN at NaN inputs."),
    at_zero=0)
_add(norse.logistic, "norse.logistic", (
    "Norse's ``Logistic``: Bernoulli(1/2 + tanh(alpha x)/2) spikes.",
    r"1 - \tanh^2(\alpha x)",
    "Stochastic; needs ``key``. Norse draws from torch's global RNG."),
    alpha=1.0, at_zero=0)
_add(norse.circ_dist, "norse.circ_dist", (
    "Norse's ``CircDist``: Bernoulli(1/2 + x/(2 sqrt(x^2 + alpha^2))) spikes.",
    r"\frac{\alpha^3}{(\alpha^2 + x^2)^{3/2}}",
    "Stochastic; needs ``key``."),
    alpha=1.0, at_zero=0)

# --------------------------------------------------------------------------
# snnTorch (H(0) = 0; snnTorch returns a float32 forward even for float64 x)

_add(shapes.atan, "snntorch.atan", (
    "snnTorch ``surrogate.atan`` (``ATan``).",
    r"\frac{\alpha / 2}{1 + (\frac{\pi}{2} \alpha x)^2}",
    "snnTorch's forward is float32 whatever the input dtype; here it is "
    "``x``'s dtype."),
    alpha=2.0, at_zero=0)
_add(norse.superspike, "snntorch.fast_sigmoid", (
    "snnTorch ``surrogate.fast_sigmoid`` (``FastSigmoid``), slope 25.",
    r"\frac{1}{(\alpha |x| + 1)^2}",
    "alpha is snnTorch's slope."),
    alpha=25.0, at_zero=0)
_add(shapes.sigmoid, "snntorch.sigmoid", (
    "snnTorch ``surrogate.sigmoid`` (``Sigmoid``), slope 25.",
    r"\alpha\,\sigma(\alpha x)(1 - \sigma(\alpha x))",
    "Bug: snnTorch's exponential form gives NaN (inf/inf) in float32 once "
    "slope * x < -88 (x < -3.5 at slope 25); this stable form gives the "
    "true, tiny value there and snnTorch's values elsewhere."),
    alpha=25.0, at_zero=0)
_add(shapes.straight_through, "snntorch.straight_through_estimator", (
    "snnTorch ``surrogate.straight_through_estimator``.",
    "1", "The gradient is NaN at NaN inputs."),
    at_zero=0)
_add(shapes.spike_rate_escape, "snntorch.spike_rate_escape", (
    "snnTorch ``surrogate.spike_rate_escape`` (``SpikeRateEscape``).",
    r"s\, e^{-\alpha |x - 1|}",
    "alpha is snnTorch's beta (1), s its slope (25); centred at x = 1 as "
    "snnTorch codes it."),
    alpha=1.0, slope=25.0, at_zero=0)

# --------------------------------------------------------------------------
# SpikingJelly (activation_based.surrogate; H(0) = 1)

_add(shapes.sigmoid, "spikingjelly.sigmoid", (
    "SpikingJelly ``Sigmoid``.",
    r"\alpha\,\sigma(\alpha x)(1 - \sigma(\alpha x))", ""),
    alpha=4.0, at_zero=1)
_add(shapes.atan, "spikingjelly.atan", (
    "SpikingJelly ``ATan``.",
    r"\frac{\alpha / 2}{1 + (\frac{\pi}{2} \alpha x)^2}", ""),
    alpha=2.0, at_zero=1)
_add(shapes.erf, "spikingjelly.erf", (
    "SpikingJelly ``Erf``.",
    r"\frac{\alpha}{\sqrt{\pi}} e^{-\alpha^2 x^2}", ""),
    alpha=2.0, at_zero=1)
_add(shapes.piecewise_quadratic, "spikingjelly.piecewise_quadratic", (
    "SpikingJelly ``PiecewiseQuadratic``.",
    r"\max(0, \alpha - \alpha^2 |x|)", ""),
    alpha=1.0, at_zero=1)
_add(shapes.piecewise_exp, "spikingjelly.piecewise_exp", (
    "SpikingJelly ``PiecewiseExp``.",
    r"\frac{\alpha}{2} e^{-\alpha |x|}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.soft_sign, "spikingjelly.soft_sign", (
    "SpikingJelly ``SoftSign``.",
    r"\frac{\alpha}{2 (1 + \alpha |x|)^2}", ""),
    alpha=2.0, at_zero=1)
_add(shapes.nonzero_sign_log_abs, "spikingjelly.nonzero_sign_log_abs", (
    "SpikingJelly ``NonzeroSignLogAbs``.",
    r"\frac{1}{1/\alpha + |x|}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.piecewise_leaky_relu, "spikingjelly.piecewise_leaky_relu", (
    "SpikingJelly ``PiecewiseLeakyReLU``.",
    r"\frac{1}{2w} \text{ if } |x| < w \text{ else } c",
    "Strict |x| < w: g = c exactly at |x| = w."),
    w=1.0, c=0.01, at_zero=1)
_add(shapes.q_pseudo_spike, "spikingjelly.q_pseudo_spike", (
    "SpikingJelly ``QPseudoSpike``.",
    r"\left(1 + \frac{2|x|}{\alpha - 1}\right)^{-\alpha}",
    "alpha must be > 1 (SpikingJelly divides by alpha - 1)."),
    alpha=2.0, at_zero=1)
_add(shapes.s2nn, "spikingjelly.s2nn", (
    "SpikingJelly ``S2NN``.",
    r"\alpha\sigma(\alpha x)(1 - \sigma(\alpha x)) \text{ for } x < 0, "
    r"\ \frac{\beta}{x + 1} \text{ for } x \ge 0", ""),
    alpha=4.0, beta=1.0, at_zero=1)
_add(shapes.fake_numerical_gradient, "spikingjelly.fake_numerical_gradient", (
    "SpikingJelly ``FakeNumericalGradient``.",
    r"\min\left(\frac{1}{|x|}, \alpha\right)",
    "Bug: SpikingJelly computes sign(x)/x with sign(-0) = -1 and returns "
    "-inf at x = -0.0; this gives alpha there, as the formula says."),
    alpha=0.3, at_zero=1)
_add(shapes.leaky_k_relu, "spikingjelly.leaky_k_relu", (
    "SpikingJelly ``LeakyKReLU``.",
    r"k \text{ for } x \ge 0, \ \mathrm{leak} \text{ for } x < 0", ""),
    leak=0.0, k=1.0, at_zero=1)
_add(shapes.log_tailed_relu, "spikingjelly.log_tailed_relu", (
    "SpikingJelly ``LogTailedReLU``.",
    r"\alpha \ (x \le 0), \ 1 \ (0 < x \le 1), \ 1/x \ (x > 1)",
    "SpikingJelly's gradient is 1 at NaN inputs; this one is NaN."),
    alpha=0.0, at_zero=1)
_add(shapes.rectangle, "spikingjelly.rect", (
    "SpikingJelly ``Rect``.",
    r"\alpha \cdot \mathbb{1}[|x| < \tfrac{1}{2\alpha}]", ""),
    alpha=1.0, at_zero=1)
_add(shapes.straight_through, "spikingjelly.deterministic_pass", (
    "SpikingJelly ``DeterministicPass``.", "1", ""),
    at_zero=1)
_add(shapes.poisson_pass, "spikingjelly.poisson_pass", (
    "SpikingJelly ``PoissonPass``: Bernoulli(x) spikes.", "1",
    "Stochastic; needs ``key``."),
    at_zero=1)


def _sj_superspike_primitive(x, alpha):
    return alpha * x / (1 + jnp.abs(x))


@surrogate(alpha=1.0, at_zero=1, name="spikingjelly.superspike",
           primitive=_sj_superspike_primitive)
def _sj_superspike(x: ArrayLike, alpha: ArrayLike = 1.0) -> Array:
    r"""SpikingJelly ``SuperSpike``: alpha is the height, not the slope.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{\alpha}{(|x| + 1)^2}

    Unlike :func:`superspike` (Norse, snnTorch, braintools), where alpha
    sets the width. Defaults: alpha=1.0; H(0) = 1 (spikes for x >= 0).
    Primitive :math:`S(x) = \alpha x / (1 + |x|)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('spikingjelly.superspike')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    return alpha / (jnp.abs(x) + 1) ** 2


_own(_sj_superspike, "spikingjelly.superspike")


def _sj_squarewave_primitive(x, *, n=2.0, period=8.0):
    s = shapes._squarewave_terms(x, n - 1, period,
                                 lambda c, phase: jnp.sin(phase) / c)
    return 2 / math.pi * s


@surrogate(alpha=None, at_zero=1, name="spikingjelly.squarewave_fourier_series",
           primitive=_sj_squarewave_primitive, nonnegative=False)
def _sj_squarewave(x: ArrayLike, *, n: ArrayLike = 2.0,
                   period: ArrayLike = 8.0) -> Array:
    r"""SpikingJelly ``SquarewaveFourierSeries``: n - 1 cosine terms.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \frac{4}{T} \sum_{i=1}^{n-1} \cos\bigl((2i - 1)\tfrac{2\pi}{T} x\bigr)

    SpikingJelly sums ``range(1, n)``, n - 1 terms, and documents its
    primitive with :math:`\sum_{i=1}^{n-1}`; braintools sums n terms
    (:func:`squarewave_fourier_series`). ``period`` is SpikingJelly's
    ``T_period``. At ±inf g is 0. Defaults: n=2, period=8.0; H(0) = 1
    (spikes for x >= 0).

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('spikingjelly.squarewave_fourier_series')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    g = 4 / period * shapes._odd_cosine_sum(x, n - 1, period)
    return jnp.where(jnp.isinf(x), 0.0, g)


_own(_sj_squarewave, "spikingjelly.squarewave_fourier_series")

# --------------------------------------------------------------------------
# spyx (spyx.axn; H(0) = 0)

_add(norse.superspike, "spyx.superspike", (
    "spyx ``axn.superspike(k)``.",
    r"\frac{1}{(\alpha |x| + 1)^2}", "alpha is spyx's k."),
    alpha=25.0, at_zero=0)
_add(shapes.triangular, "spyx.triangular", (
    "spyx ``axn.triangular(k)``.",
    r"\max(0, 1 - |\alpha x|)", "alpha is spyx's k."),
    alpha=2.0, at_zero=0)
_add(norse.heavi_tanh, "spyx.tanh", (
    "spyx ``axn.tanh(k)``.",
    r"\frac{4}{(e^{-\alpha x} + e^{\alpha x})^2} = 1 - \tanh^2(\alpha x)",
    "alpha is spyx's k; spyx's exponential form, computed here as sech²."),
    alpha=1.0, at_zero=0)


def _spyx_arctan_primitive(x, alpha):
    return jnp.arctan(alpha * math.pi * x) / (alpha * math.pi ** 2)


@surrogate(alpha=2.0, at_zero=0, name="spyx.arctan",
           primitive=_spyx_arctan_primitive)
def _spyx_arctan(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""spyx ``axn.arctan(k)``: not the atan of snnTorch/SpikingJelly.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{1}{\pi\,(1 + (\alpha \pi x)^2)}

    alpha is spyx's k; peak :math:`1/\pi` whatever k, area
    :math:`1/(\pi k)`. Defaults: alpha=2.0; H(0) = 0 (spikes for x > 0).
    Primitive :math:`S(x) = \arctan(\alpha\pi x)/(\alpha\pi^2)`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('spyx.arctan')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    return 1 / (math.pi * (1 + (alpha * math.pi * x) ** 2))


_own(_spyx_arctan, "spyx.arctan")


def _spyx_boxcar_primitive(x, *, width=2.0, height=0.5):
    return height * jnp.clip(x, -width / 2, width / 2)


@surrogate(alpha=None, at_zero=0, name="spyx.boxcar",
           primitive=_spyx_boxcar_primitive)
def _spyx_boxcar(x: ArrayLike, *, width: ArrayLike = 2.0,
                 height: ArrayLike = 0.5) -> Array:
    r"""spyx ``axn.boxcar(width, height)``.

    .. math::
        f(x) = H(x), \qquad g(x) = h \cdot \mathbb{1}[|x| < w/2]

    Strict inequality, as spyx's code computes (``heaviside(w/2 - |x|)`` with
    heaviside 0 at 0); spyx's docstring says :math:`|x| \le w/2` (a doc bug).
    With the defaults it equals :func:`rectangle` with alpha 0.5. Defaults:
    width=2.0, height=0.5; H(0) = 0 (spikes for x > 0).

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('spyx.boxcar')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    inside = jnp.abs(x) < width / 2
    return nan_where_nan(x, jnp.where(inside, height, 0.0) * jnp.ones_like(x))


_own(_spyx_boxcar, "spyx.boxcar")

# --------------------------------------------------------------------------
# braintools / BrainPy (braintools.surrogate; H(0) = 1)
# Importing braintools switches JAX's float64 mode off (brainstate does it).

_add(shapes.sigmoid, "braintools.sigmoid", (
    "braintools ``Sigmoid``.",
    r"\alpha\,\sigma(\alpha x)(1 - \sigma(\alpha x))", ""),
    alpha=4.0, at_zero=1)
_add(shapes.atan, "braintools.arctan", (
    "braintools ``Arctan``.",
    r"\frac{\alpha / 2}{1 + (\frac{\pi}{2} \alpha x)^2}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.slayer_exponential, "braintools.slayer_grad", (
    "braintools ``SlayerGrad``.", r"e^{-\alpha |x|}", ""),
    alpha=1.0, at_zero=1)
_add(norse.superspike, "braintools.inv_square_grad", (
    "braintools ``InvSquareGrad``.", r"\frac{1}{(\alpha |x| + 1)^2}", ""),
    alpha=100.0, at_zero=1)
_add(shapes.erf, "braintools.erf", (
    "braintools ``ERF``.", r"\frac{\alpha}{\sqrt{\pi}} e^{-\alpha^2 x^2}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.gaussian, "braintools.gaussian_grad", (
    "braintools ``GaussianGrad``.",
    r"\alpha\,\mathcal{N}(x; 0, \sigma)", ""),
    alpha=0.5, sigma=0.5, at_zero=1)
_add(shapes.multi_gaussian, "braintools.multi_gaussian_grad", (
    "braintools ``MultiGaussianGrad``.",
    r"\alpha[(1+h)\mathcal{N}(x;0,\sigma) - h\mathcal{N}(x;\sigma,s\sigma)"
    r" - h\mathcal{N}(x;-\sigma,s\sigma)]",
    "alpha is braintools' scale."),
    alpha=0.5, sigma=0.5, h=0.15, s=6.0, at_zero=1)
_add(shapes.piecewise_quadratic, "braintools.piecewise_quadratic", (
    "braintools ``PiecewiseQuadratic``.", r"\max(0, \alpha - \alpha^2 |x|)", ""),
    alpha=1.0, at_zero=1)
_add(shapes.piecewise_exp, "braintools.piecewise_exp", (
    "braintools ``PiecewiseExp``.", r"\frac{\alpha}{2} e^{-\alpha |x|}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.soft_sign, "braintools.soft_sign", (
    "braintools ``SoftSign``.", r"\frac{\alpha}{2 (1 + \alpha |x|)^2}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.nonzero_sign_log_abs, "braintools.nonzero_sign_log", (
    "braintools ``NonzeroSignLog``.", r"\frac{1}{1/\alpha + |x|}", ""),
    alpha=1.0, at_zero=1)
_add(shapes.squarewave_fourier_series, "braintools.squarewave_fourier_series", (
    "braintools ``SquarewaveFourierSeries``.",
    r"\frac{4}{T}\sum_{i=1}^{n} \cos((2i-1)\tfrac{2\pi}{T} x)",
    "n terms; ``period`` is braintools' ``t_period``."),
    n=2.0, period=8.0, at_zero=1)
_add(shapes.s2nn, "braintools.s2nn", (
    "braintools ``S2NN``.",
    r"\alpha\sigma(\alpha x)(1 - \sigma(\alpha x)) \text{ for } x < 0, "
    r"\ \frac{\beta}{x + 1} \text{ for } x \ge 0", ""),
    alpha=4.0, beta=1.0, at_zero=1)
_add(shapes.leaky_k_relu, "braintools.leaky_relu", (
    "braintools ``LeakyRelu``.",
    r"\beta \text{ for } x \ge 0, \ \alpha \text{ for } x < 0",
    "braintools' alpha is ``leak``, its beta is ``k``."),
    leak=0.1, k=1.0, at_zero=1)
_add(shapes.log_tailed_relu, "braintools.log_tailed_relu", (
    "braintools ``LogTailedRelu``.",
    r"\alpha \ (x \le 0), \ 1 \ (0 < x \le 1), \ 1/x \ (x > 1)", ""),
    alpha=0.0, at_zero=1)


def _bt_relu_grad_primitive(x, alpha, *, width=1.0):
    c = jnp.clip(x, -width, width)
    return alpha * (width * c - c * jnp.abs(c) / 2)


@surrogate(alpha=0.3, at_zero=1, name="braintools.relu_grad",
           primitive=_bt_relu_grad_primitive)
def _bt_relu_grad(x: ArrayLike, alpha: ArrayLike = 0.3, *,
                  width: ArrayLike = 1.0) -> Array:
    r"""braintools ``ReluGrad``: a triangle of height alpha·width, half-width width.

    .. math::
        f(x) = H(x), \qquad g(x) = \max(0, \alpha (w - |x|))

    With width 1 the maths of Norse's :func:`triangle`. Defaults: alpha=0.3,
    width=1.0; H(0) = 1 (spikes for x >= 0).

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('braintools.relu_grad')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    return jnp.maximum(0, alpha * (width - jnp.abs(x)))


_own(_bt_relu_grad, "braintools.relu_grad")


@surrogate(alpha=None, at_zero=1, name="braintools.piecewise_leaky_relu",
           primitive=shapes._piecewise_leaky_relu_primitive,
           param_domains={"c": "nonnegative"})
def _bt_piecewise_leaky_relu(x: ArrayLike, *, w: ArrayLike = 1.0,
                             c: ArrayLike = 0.01) -> Array:
    r"""braintools ``PiecewiseLeakyRelu``: box 1/(2w) on the closed |x| <= w.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \begin{cases} \frac{1}{2w}, & |x| \le w \\ c, & |x| > w \end{cases}

    Differs from SpikingJelly (strict :math:`|x| < w`) exactly at
    :math:`|x| = w`. braintools' docstring says :math:`1/w`; its code
    computes :math:`1/(2w)` (a doc bug; this follows the code, whose
    primitive the docs also give). Defaults: w=1.0, c=0.01; H(0) = 1
    (spikes for x >= 0).

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('braintools.piecewise_leaky_relu')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    inside = jnp.abs(x) <= w
    return nan_where_nan(x, jnp.where(inside, 1 / (2 * w), c * jnp.ones_like(x)))


_own(_bt_piecewise_leaky_relu, "braintools.piecewise_leaky_relu")


@surrogate(alpha=2.0, at_zero=1, name="braintools.q_pseudo_spike")
def _bt_q_pseudo_spike(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""braintools ``QPseudoSpike`` (>= 0.2): divides by alpha + 1.

    .. math::
        f(x) = H(x), \qquad
        g(x) = \left(1 + \frac{2|x|}{\alpha + 1}\right)^{-\alpha}

    Finite for every alpha > 0, unlike SpikingJelly's :math:`\alpha - 1`
    (:func:`q_pseudo_spike`); the two differ for the same alpha. Defaults:
    alpha=2.0; H(0) = 1 (spikes for x >= 0).

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('braintools.q_pseudo_spike')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    return (1 + 2 * jnp.abs(x) / (alpha + 1)) ** (-alpha)


_own(_bt_q_pseudo_spike, "braintools.q_pseudo_spike")

# --------------------------------------------------------------------------
# Sinabs (sinabs.activation; H(0) = 1: spikes when v >= threshold)

_add(shapes.single_exponential, "sinabs.single_exponential", (
    "Sinabs ``SingleExponential``, its default surrogate.",
    r"\frac{s}{w} e^{-|x| / w}",
    "Sinabs multiplies the width by the threshold; this is threshold 1."),
    width=0.5, scale=1.0, at_zero=1)
_add(shapes.gaussian, "sinabs.gaussian", (
    "Sinabs ``Gaussian`` (mu 0, sigma 0.5, grad_scale 1).",
    r"\alpha\,\mathcal{N}(x; 0, \sigma)",
    "Sinabs divides by sigma*sqrt(2*pi) with a float32 pi (up to 6e-8 "
    "relative in float64); this uses full precision."),
    alpha=1.0, sigma=0.5, at_zero=1)
_add(shapes.multi_gaussian, "sinabs.multi_gaussian", (
    "Sinabs ``MultiGaussian`` (sigma 0.5, h 0.15, s 6, grad_scale 1).",
    r"\alpha[(1+h)\mathcal{N}(x;0,\sigma) - h\mathcal{N}(x;\sigma,s\sigma)"
    r" - h\mathcal{N}(x;-\sigma,s\sigma)]",
    "Float32 pi in Sinabs as for ``sinabs.gaussian``; full precision here."),
    alpha=1.0, sigma=0.5, h=0.15, s=6.0, at_zero=1)

# --------------------------------------------------------------------------
# lava-dl SLAYER, slax, snnax, jaxsnn

_add(shapes.piecewise_exp, "slayer.exponential", (
    "lava-dl SLAYER's exponential surrogate, tau_grad 1, scale_grad 1.",
    r"\frac{s}{2\tau} e^{-|x| / \tau} = \frac{\alpha}{2} e^{-\alpha |x|}",
    "alpha = 1/tau with tau = tau_grad * threshold (threshold 1 here) and "
    "scale_grad 1."),
    alpha=1.0, at_zero=1)
_add(norse.superspike, "slax.fast_sigmoid", (
    "slax ``fast_sigmoid``.", r"\frac{1}{(\alpha |x| + 1)^2}", ""),
    alpha=25.0, at_zero=1)
_add(shapes.atan, "slax.atan", (
    "slax ``atan``.", r"\frac{\alpha / 2}{1 + (\frac{\pi}{2} \alpha x)^2}", ""),
    alpha=2.0, at_zero=1)
_add(norse.superspike, "jaxsnn.superspike", (
    "jaxsnn's SuperSpike.", r"\frac{1}{(\alpha |x| + 1)^2}", ""),
    alpha=80.0, at_zero=0.5)


def _snnax_superspike_primitive(x, alpha):
    return jnp.sign(x) * jnp.log1p(alpha * jnp.abs(x)) / alpha


@surrogate(alpha=10.0, at_zero=1, name="snnax.superspike",
           primitive=_snnax_superspike_primitive)
def _snnax_superspike(x: ArrayLike, alpha: ArrayLike = 10.0) -> Array:
    r"""snnax ``superspike_surrogate(beta)``: not squared.

    .. math::
        f(x) = H(x), \qquad g(x) = \frac{1}{\beta |x| + 1}

    alpha is snnax's beta. Unlike SuperSpike elsewhere
    (:func:`superspike`), snnax does not square the denominator. Defaults:
    alpha=10.0; H(0) = 1 (``jnp.heaviside(x, 1)``). Primitive
    :math:`S(x) = \mathrm{sign}(x)\log(1 + \beta|x|)/\beta`.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('snnax.superspike')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    return 1 / (alpha * jnp.abs(x) + 1)


_own(_snnax_superspike, "snnax.superspike")


def _snnax_piecewise_primitive(x, alpha):
    return jnp.clip(x, -alpha, alpha)


@surrogate(alpha=0.5, at_zero=1, name="snnax.piecewise",
           primitive=_snnax_piecewise_primitive)
def _snnax_piecewise(x: ArrayLike, alpha: ArrayLike = 0.5) -> Array:
    r"""snnax ``piecewise_surrogate(beta)``: a unit-height box of half-width beta.

    .. math::
        f(x) = H(x), \qquad g(x) = \mathbb{1}[-\beta < x < \beta]

    alpha is snnax's beta (0.5); with the default it equals
    :func:`rectangle` at alpha 1. Defaults: alpha=0.5; H(0) = 1.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        alpha, **params: the library's parameters (defaults above), scalars or
            arrays broadcastable to ``x``.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.get('snnax.piecewise')(jnp.array([-1e9, 1e9]))
        Array([0., 1.], dtype=float32)
    """
    inside = jnp.abs(x) < alpha
    return nan_where_nan(x, jnp.where(inside, 1.0, 0.0) * jnp.ones_like(x))


_own(_snnax_piecewise, "snnax.piecewise")
