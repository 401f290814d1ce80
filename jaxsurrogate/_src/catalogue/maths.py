"""Numerically careful pieces that several shapes share."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

SQRT_2PI = math.sqrt(2.0 * math.pi)


def odd(x, magnitude):
    """``sign(x) * magnitude`` for a magnitude computed from ``|x|``.

    Unlike ``jnp.sign(x) * m``, whose derivative at 0 is 0, this has the
    derivative of ``m`` at both zeros, so that dS/dx = g holds at x = 0 too.
    """
    return jnp.where(x < 0, -magnitude, magnitude)


def logistic_slope(x, alpha):
    """alpha * sigma(alpha x) * (1 - sigma(alpha x)), without overflow."""
    ax = alpha * x
    return alpha * jax.nn.sigmoid(ax) * jax.nn.sigmoid(-ax)


def normal_density(x, mu, s):
    """The Gaussian density N(x; mu, s); 0 (not NaN) at +-inf."""
    z = (x - mu) / s
    return jnp.exp(-0.5 * z * z) / (SQRT_2PI * s)


def sech2(x, alpha):
    """sech^2(alpha x) with one exp, accurate in the tails.

    Norse writes 1 - tanh(ax)**2, which cancels: in float32 it is off by up to
    1.2e-7 absolute, i.e. wholly wrong in the tails. 4e/(1+e)^2 with
    e = exp(-2|z|) is the same value to a few ulp everywhere, needs one exp
    (1/cosh^2 needs two), and e only underflows, to 0.
    """
    e = jnp.exp(-2 * jnp.abs(alpha * x))
    return 4 * e / (1 + e) ** 2


def square_wave_sine_sum(x, n, period):
    """(2/pi) sum of sin(c w r)/c over c = 1, 3, ..., 2 floor(n) - 1, r = x mod T.

    The Fourier partial sum of a square wave of period T, w = 2 pi / T.
    """
    x = jnp.asarray(x)
    r = lax.rem(x, jnp.asarray(period, x.dtype))  # exact; the terms have period T
    omega = 2 * math.pi / period
    if isinstance(n, (int, float)):
        # A compiled-in n: a loop of fixed length, which reverse mode can differentiate.
        count = steps = math.floor(n)
    else:
        count = jnp.floor(n)
        steps = jnp.max(count).astype(jnp.int32)

    def add_term(i, total):
        c = 2 * i.astype(r.dtype) + 1
        return total + jnp.where(i < count, jnp.sin(c * omega * r) / c, 0.0)

    return 2 / math.pi * lax.fori_loop(0, steps, add_term, jnp.zeros_like(r))


def odd_cosine_sum(x, n, period):
    """Sum of cos((2i - 1) w x) over i = 1..floor(n), w = 2 pi / T, in closed form.

    The sum is sin(2m theta) / (2 sin theta) (m = floor(n)). With theta
    reduced to phi = theta - k pi in [-pi/2, pi/2] it is
    (-1)^k sin(2m phi) / (2 sin phi), whose only removable singularity,
    phi = 0, gives m. Loop-free, so it can be differentiated again. At
    +-inf, where the sum has no limit, it is 0.
    """
    m = jnp.floor(n)
    x = jnp.asarray(x)
    infinite = jnp.isinf(x)
    r = lax.rem(jnp.where(infinite, 0.0, x), jnp.asarray(period, x.dtype))  # exact
    theta = (2 * math.pi / period) * r  # |theta| < 2 pi
    k = jnp.round(theta / math.pi)
    phi = theta - k * math.pi
    sign = 1 - 2 * (jnp.abs(k) % 2)
    pole = phi == 0
    ratio = jnp.sin(2 * m * phi) / (2 * jnp.sin(jnp.where(pole, 1.0, phi)))
    return jnp.where(infinite, 0.0, sign * jnp.where(pole, m, ratio))


def piecewise_leaky_relu_primitive(x, *, w, c):
    """The primitive of a box of height 1/(2w) on |x| <= w with a leaky floor c."""
    inner = jnp.clip(x, -w, w)
    return inner / (2 * w) + c * (x - inner)
