"""Norse's functions against closed-form float64 maths, written here in numpy."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import grad_of, grid, norse_reference_grad, np_step


DEFAULT_ALPHA = {"superspike": 100.0, "triangle": 0.3, "heavi_tanh": 1.0,
                 "heavi_erfc": 1.0, "heavi_circ": 1.0, "logistic": 1.0,
                 "circ_dist": 1.0, "heaviside": None}
ALPHAS = (0.3, 1.0, 2.5, 100.0)


@pytest.mark.parametrize("name", sorted(DEFAULT_ALPHA))
def test_default_alpha(name):
    fn = getattr(js, name)
    assert fn.declaration.alpha == DEFAULT_ALPHA[name]


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", sorted(set(DEFAULT_ALPHA) - {"heaviside"}))
def test_gradient_matches_closed_form_float64(name, alpha):
    fn = getattr(js, name)
    x = grid(jnp.float64)
    got = np.asarray(grad_of(fn, jnp.asarray(x), alpha))
    want = norse_reference_grad(name, x, alpha)
    # XLA on CPU treats subnormal inputs as 0: compare those with g(0).
    sub = np.abs(x) < np.finfo(np.float64).tiny
    want[sub] = norse_reference_grad(name, np.zeros(1), alpha)[0]
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    assert got.dtype == np.float64


@pytest.mark.parametrize("name", sorted(set(DEFAULT_ALPHA) - {"logistic", "circ_dist"}))
def test_forward_is_strict_step(name):
    fn = getattr(js, name)
    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64):
        x = grid(dtype)
        out = fn(jnp.asarray(x))
        assert out.dtype == dtype
        # Strict >: 0 at ±0 and NaN, 1 at +inf and at the smallest subnormal.
        np.testing.assert_array_equal(np.asarray(out, np.float64),
                                      np_step(x.astype(np.float64)))


def test_heaviside_gradient_is_zero_except_nan():
    x = grid(jnp.float64)
    g = np.asarray(grad_of(js.heaviside, jnp.asarray(x)))
    np.testing.assert_array_equal(g, np.where(np.isnan(x), np.nan, 0.0))


def test_peaks_at_zero():
    zero = jnp.zeros(1, jnp.float64)
    for name, peak in [("superspike", 1.0), ("heavi_tanh", 1.0), ("logistic", 1.0),
                       ("heavi_circ", 1.0), ("circ_dist", 1.0),
                       ("heavi_erfc", 2 / math.sqrt(math.pi)), ("triangle", 0.3)]:
        for alpha in ALPHAS:
            fn = getattr(js, name)
            want = alpha if name == "triangle" else peak
            np.testing.assert_allclose(grad_of(fn, zero, alpha), [want], rtol=1e-15)


def test_triangle_is_exactly_zero_at_kinks():
    x = jnp.array([-1.0, 1.0], jnp.float64)
    np.testing.assert_array_equal(grad_of(js.triangle, x, 0.7), [0.0, 0.0])


@pytest.mark.parametrize("name,p", [
    ("logistic", lambda x, a: 0.5 + 0.5 * np.tanh(a * x)),
    ("circ_dist", lambda x, a: 0.5 + 0.5 * x / np.sqrt(x**2 + a**2))])
def test_stochastic_mean_matches_probability(name, p):
    fn = getattr(js, name)
    n = 40_000
    for xv, alpha in [(0.0, 1.0), (0.3, 1.0), (-0.5, 2.0), (1.0, 0.5)]:
        x = jnp.full((n,), xv, jnp.float32)
        mean = float(fn(x, alpha, key=jax.random.key(7)).mean())
        prob = p(xv, alpha)
        # 5 standard errors: fails with probability < 1e-6.
        assert abs(mean - prob) < 5 * math.sqrt(prob * (1 - prob) / n) + 1e-9


@pytest.mark.parametrize("name", ["logistic", "circ_dist"])
def test_stochastic_same_key_same_spikes(name):
    fn = getattr(js, name)
    x = jnp.linspace(-2, 2, 1000, dtype=jnp.float32)
    a = fn(x, key=jax.random.key(3))
    np.testing.assert_array_equal(a, fn(x, key=jax.random.key(3)))
    np.testing.assert_array_equal(a, jax.jit(lambda v, k: fn(v, key=k))(x, jax.random.key(3)))
    assert not np.array_equal(a, fn(x, key=jax.random.key(4)))
    # Certain at the extremes.
    ends = fn(jnp.array([-1e30, 1e30, -jnp.inf, jnp.inf, -3e38, 3e38], jnp.float32),
              key=jax.random.key(0))
    np.testing.assert_array_equal(ends, [0.0, 1.0] * 3)


@pytest.mark.parametrize("name", ["logistic", "circ_dist"])
def test_stochastic_under_vmap_and_sharding(name):
    fn = getattr(js, name)
    keys = jax.random.split(jax.random.key(0), 4)
    x = jnp.linspace(-1, 1, 64, dtype=jnp.float32)
    batched = jax.vmap(lambda k: fn(x, key=k))(keys)
    for i in range(4):
        np.testing.assert_array_equal(batched[i], fn(x, key=keys[i]))
    devices = np.array(jax.devices())
    mesh = jax.sharding.Mesh(devices, ("d",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("d"))
    xs = jax.device_put(jnp.tile(x, len(devices)), sharding)
    out = jax.jit(lambda v, k: fn(v, key=k))(xs, jax.random.key(1))
    assert out.sharding.is_equivalent_to(sharding, 1)
    np.testing.assert_array_equal(out, fn(jnp.tile(x, len(devices)), key=jax.random.key(1)))
    g = jax.jit(jax.grad(lambda v: fn(v, key=jax.random.key(1)).sum()))(xs)
    np.testing.assert_allclose(g, jnp.tile(grad_of(fn, x), len(devices)), rtol=1e-6)


def test_superspike_alpha_one_is_norse_1_1_0():
    x = jnp.asarray(grid(jnp.float64))
    np.testing.assert_allclose(
        grad_of(js.superspike, x, 1.0),
        norse_reference_grad("superspike", np.asarray(x), 1.0), rtol=1e-15)
