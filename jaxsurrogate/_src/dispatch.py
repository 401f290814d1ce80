"""Norse's ``threshold`` and ``sign`` dispatch by method string."""

from __future__ import annotations

from jax.typing import ArrayLike

from jaxsurrogate._src import validation
from jaxsurrogate._src.catalogue.norse import METHODS
from jaxsurrogate._src.mechanism import Array
from jaxsurrogate._src.registry import unknown


def threshold(x: ArrayLike, method: str = "super", alpha: ArrayLike = 100.0) -> Array:
    r"""Spikes ``x > 0`` with the surrogate gradient named by Norse's ``method``.

    .. math::
        f(x) = H(x), \qquad \frac{\partial f}{\partial x} := g_{\text{method}}(x, \alpha)

    Args:
        x: membrane potential minus threshold, any floating dtype.
        method: one of Norse's ``"heaviside"``, ``"super"``, ``"triangle"``,
            ``"tanh"``, ``"circ"``, ``"heavi_erfc"``. Default ``"super"``.
        alpha: the method's parameter (ignored by ``"heaviside"``). Default
            100.0, Norse's neuron default.

    Returns:
        Spikes, 0 or 1, in ``x``'s dtype.

    Raises:
        ValueError: (also a ``KeyError``) an unknown method; the message lists
            the closest valid ones.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> jax.grad(lambda x: js.threshold(x, "triangle", 0.5).sum())(jnp.zeros(2))
        Array([0.5, 0.5], dtype=float32)

    Reference:
        Norse, ``norse.torch.functional.threshold.threshold``.
    """
    fn = METHODS.get(method) if isinstance(method, str) else None
    if fn is None:
        raise unknown(method, METHODS, "threshold method")
    if fn.declaration.alpha is None:
        # Norse ignores alpha here; it is still checked like every other alpha.
        x = validation.floating_array(x, "threshold")
        validation.parameter(alpha, "alpha", x, "threshold", "real")
        return fn(x)
    return fn(x, alpha)


def sign(x: ArrayLike, method: str = "super", alpha: ArrayLike = 100.0) -> Array:
    r"""Signed spikes, :math:`2\,\mathrm{threshold}(x) - 1`, so -1 or +1.

    .. math::
        f(x) = 2 H(x) - 1, \qquad \frac{\partial f}{\partial x} := 2 g_{\text{method}}(x, \alpha)

    Gives -1 at 0 and at NaN, like Norse.

    Args:
        x: membrane potential minus threshold, any floating dtype.
        method: as for :func:`threshold`.
        alpha: as for :func:`threshold`.

    Returns:
        -1 or +1 in ``x``'s dtype.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> js.sign(jnp.array([-1.0, 0.0, 1.0]))
        Array([-1., -1.,  1.], dtype=float32)

    Reference:
        Norse, ``norse.torch.functional.threshold.sign``.
    """
    spikes = threshold(x, method, alpha)
    return 2 * spikes - 1
