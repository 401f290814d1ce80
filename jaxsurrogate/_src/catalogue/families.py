r"""Parameterised families of surrogates from the literature: Dspike."""

from __future__ import annotations

import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxsurrogate._src.catalogue import maths
from jaxsurrogate._src.mechanism import Array, nan_where_nan
from jaxsurrogate._src.spike import surrogate

# Below this alpha the closed forms lose everything to subnormals (alpha/2 and
# alpha*x underflow in float32); the series is exact to O(alpha^4) there.
_SMALL_ALPHA = 1e-4


def _dspike_peak(alpha):
    """alpha / (2 tanh(alpha/2)), written so that no intermediate is subnormal.

    Equal to alpha (1 + e^-alpha) / (-2 expm1(-alpha)): 1 as alpha -> 0 (the
    width-1 rectangle), alpha/2 for large alpha, finite for every float alpha.
    """
    return alpha * (1 + jnp.exp(-alpha)) / (-2 * jnp.expm1(-alpha))


def _dspike_primitive(x, alpha):
    c = jnp.clip(x, -0.5, 0.5)
    small = alpha < _SMALL_ALPHA
    a = jnp.where(small, 1.0, alpha)  # a safe operand for the branch not taken
    exact = jnp.tanh(a * c) / (2 * jnp.tanh(a / 2))
    series = c * (1 + alpha * alpha * (1 / 12 - c * c / 3))
    return jnp.where(small, series, exact)


@surrogate(primitive=_dspike_primitive)
def dspike(x: ArrayLike, alpha: ArrayLike = 3.0) -> Array:
    r"""Heaviside forward with the Dspike derivative: a tempered sech² on |x| ≤ 1/2.

    .. math::
        g(x) = \begin{cases} \frac{\alpha}{2\tanh(\alpha/2)}\,
               \operatorname{sech}^2(\alpha x), & |x| \le \tfrac12 \\
               0, & |x| > \tfrac12 \end{cases}

    The Dspike family of Li et al. (2021) with temperature alpha, centred at
    the threshold. Unit area for every alpha; alpha → 0 gives the width-1
    rectangle, a large alpha a sharp peak of height alpha/2; the support stays
    :math:`|x| \le 1/2` (both ends included) and g jumps there from
    :math:`\alpha/\sinh\alpha` to 0. The maths, the inclusive support, the
    strict forward (H(0) = 0) and alpha 3 are those of the authors' straight-
    through function as co-author Y. Guo's code has it
    (``yfguo91/IM-Loss-Information-Maximization-Loss-for-Spiking-Neural-Networks``
    @ ``c12bca3``, ``models/spike_layer.py``: ``spike_activation`` and
    ``LIFAct.temp = 3.0``; the same lines in ``yfguo91/MPBN`` @ ``149379d``),
    where x = mem/V_th − 1/2; no code from the paper's release was found and
    the paper's own default temperature and its finite-difference update of it
    were not verified. SpikingJelly's ``DSpike`` (SpikeDHS model) is the same g
    with H(0) = 1. Primitive
    :math:`S(x) = \tanh(\alpha c) / (2\tanh(\alpha/2))`,
    :math:`c = \mathrm{clip}(x, -\tfrac12, \tfrac12)`.

    Args:
        alpha: temperature (sharpness inside the fixed support).

    Example:
        >>> jax.grad(lambda x: js.dspike(x).sum())(jnp.array([0.0, 0.5, 1.0]))
        Array([1.657187 , 0.2994647, 0.       ], dtype=float32)

    Reference:
        Y. Li, Y. Guo, S. Zhang, S. Deng, Y. Hai and S. Gu, "Differentiable
        spike: Rethinking gradient-descent for training spiking neural
        networks", NeurIPS 2021.
    """
    inside = jnp.abs(x) <= 0.5
    g = _dspike_peak(alpha) * maths.sech2(x, alpha)
    return nan_where_nan(x, jnp.where(inside, g, jnp.zeros_like(g)))

