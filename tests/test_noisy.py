"""Surrogates that draw: LocalZO's random backward and ASGL's noisy forward.

References are the authors' formulas in float64 numpy; the means are compared
with their closed forms within a few standard errors.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from jaxsurrogate._src import mechanism
from tests.helpers import np_logistic_slope, np_normal, np_sigmoid

X = np.array([-2.0, -0.9, -0.5, -0.2, -0.05, 0.0, 0.05, 0.2, 0.5, 0.9, 2.0])


def _local_zo_grad(x, alpha, key, samples=5):
    return jax.grad(lambda v: js.local_zo(v, alpha, key=key, samples=samples).sum())(x)


def test_local_zo_is_the_two_point_estimate_of_its_draws():
    x = jnp.asarray(X, jnp.float64)
    key = jax.random.key(3)
    g = np.asarray(_local_zo_grad(x, 0.5, key))
    # The m = 5 normal draws of this call, as documented: the key's backward stream.
    z = np.asarray(jax.random.normal(jax.random.fold_in(key, 2), (5, X.size), jnp.float64))
    # (1/m) sum_k [H(x + a z_k) - H(x - a z_k)] z_k / (2a), with H(0) = 0 (x > 0)
    step = lambda v: (v > 0).astype(np.float64)  # noqa: E731
    two_point = np.mean([(step(X + 0.5 * zk) - step(X - 0.5 * zk)) * zk / (2 * 0.5)
                         for zk in z], axis=0)
    np.testing.assert_allclose(g, two_point, rtol=1e-14, atol=1e-15)
    assert (g >= 0).all() and (g[np.abs(X) >= 0.5 * np.abs(z).max(0)] == 0).all()


def test_local_zo_same_key_same_gradient_bit_for_bit():
    x = jnp.asarray(X, jnp.float32)
    a, b = _local_zo_grad(x, 0.5, jax.random.key(0)), _local_zo_grad(x, 0.5, jax.random.key(0))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, jax.jit(_local_zo_grad)(x, 0.5, jax.random.key(0)))
    assert not np.array_equal(a, _local_zo_grad(x, 0.5, jax.random.key(1)))
    np.testing.assert_array_equal(js.derivative(js.local_zo)(x, key=jax.random.key(0)), a)
    # The forward is the deterministic step (H(0) = 0), whatever the key.
    np.testing.assert_array_equal(js.local_zo(x, key=jax.random.key(5)), (X > 0).astype(float))


@pytest.mark.parametrize("alpha,samples", [(0.5, 5), (0.2, 1)])
def test_local_zo_mean_is_the_gaussian(alpha, samples):
    n = 20_000
    x = jnp.broadcast_to(jnp.asarray(X, jnp.float64), (n, X.size))
    g = np.asarray(_local_zo_grad(x, alpha, jax.random.key(11), samples))
    mean = g.mean(0)
    want = np_normal(X, 0.0, alpha)  # E[g] = phi(x / alpha) / alpha
    # Var g = (1/m) [2 (a phi(a) + 1 - Phi(a)) / (4 alpha^2) - (phi(a) / alpha)^2], a = |x|/alpha
    a = np.abs(X) / alpha
    phi = np.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    tail = 0.5 * np.array([math.erfc(v / math.sqrt(2)) for v in a])
    var = (2 * (a * phi + tail) / (4 * alpha ** 2) - (phi / alpha) ** 2) / samples
    central = a <= 2  # beyond, the variance rests on too few draws to check
    np.testing.assert_allclose(g.var(0)[central], var[central], rtol=0.1)
    z = np.abs(mean - want) / np.sqrt(var / n + 1e-300)
    assert (z < 5).all(), z  # 5 standard errors: fails with probability < 1e-5


def test_local_zo_samples_must_be_a_python_number():
    x = jnp.zeros(3, jnp.float32)
    with pytest.raises(ValueError, match="samples must be a whole number >= 1, got 2.5"):
        js.local_zo(x, key=jax.random.key(0), samples=2.5)
    with pytest.raises(TypeError, match="samples must be a Python number"):
        jax.grad(lambda v: js.local_zo(v, key=jax.random.key(0),
                                       samples=jnp.float32(3)).sum())(x)
    with pytest.raises(TypeError, match="key is required"):
        js.local_zo(x)


def test_asgl_mixes_the_step_with_the_sigmoid_at_rate_p():
    n = 40_000
    x = jnp.broadcast_to(jnp.asarray(X, jnp.float64), (n, X.size))
    for rate in (0.0, 0.2, 0.7, 1.0):
        out = np.asarray(js.asgl(x, 0.5, key=jax.random.key(2), rate=rate))
        smooth = np_sigmoid(X / 0.5)
        step = (X >= 0).astype(np.float64)  # H(0) = 1
        analog = out != step
        np.testing.assert_allclose(out[analog], np.broadcast_to(smooth, out.shape)[analog],
                                   rtol=1e-15)
        # E[f] = (1 - p) H(x) + p sigma(x / alpha); the analog share is p.
        frac = analog.mean()
        assert abs(frac - rate) < 5 * math.sqrt(rate * (1 - rate) / out.size) + 1e-9, frac
        np.testing.assert_allclose(out.mean(0), (1 - rate) * step + rate * smooth,
                                   atol=5 * math.sqrt(0.25 / n) + 1e-12)


def test_asgl_backward_is_the_sigmoid_derivative_whatever_the_mask():
    x = jnp.asarray(X, jnp.float64)
    for key in (jax.random.key(0), jax.random.key(1)):
        g = jax.grad(lambda v: js.asgl(v, 0.5, key=key, rate=0.5).sum())(x)
        np.testing.assert_allclose(g, np_logistic_slope(X, 1 / 0.5), rtol=1e-13)
    # d/dalpha of sigma(x / alpha) is -x / alpha^2 sigma (1 - sigma), for learn_alpha.
    shifted = X + 0.3  # not symmetric: the cotangent is not 0
    ga = jax.grad(lambda a: js.asgl(jnp.asarray(shifted), a, key=jax.random.key(0),
                                    learn_alpha=True).sum())(0.5)
    s = np_sigmoid(shifted / 0.5)
    np.testing.assert_allclose(ga, np.sum(-shifted / 0.25 * s * (1 - s)), rtol=1e-12)


def test_asgl_rate_is_scheduled_without_recompiling():
    kernel = mechanism.spike_kernel(js.asgl.declaration, "reverse", False)

    @jax.jit
    def step(x, rate, key):
        return jax.grad(lambda v: js.asgl(v, key=key, rate=rate).sum())(x)

    x = jnp.asarray(X, jnp.float32)
    for i, rate in enumerate(np.linspace(0.5, 0.0, 6, dtype=np.float32)):
        step(x, rate, jax.random.key(i))
    assert step._cache_size() == 1
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\], got 1.5"):
        js.asgl(x, key=jax.random.key(0), rate=1.5)
    assert kernel is not None
