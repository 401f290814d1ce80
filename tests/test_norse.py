"""Norse's functions against closed-form float64 maths, written here in numpy."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests._grid import grid, grad_of


def _step(x):
    return (x > 0).astype(np.float64)


def _nan_at_nan(x, g):
    return np.where(np.isnan(x), np.nan, g)


with np.errstate(all="ignore"):
    # Closed forms; errstate because inf/inf etc. are fixed below by the limits.
    REFERENCES = {
        "superspike": lambda x, a: 1.0 / (a * np.abs(x) + 1.0) ** 2,
        "triangle": lambda x, a: a * np.maximum(0.0, 1.0 - np.abs(x)),
        "heavi_tanh": lambda x, a: 1.0 / np.cosh(a * x) ** 2,
        "heavi_erfc": lambda x, a: 2.0 / math.sqrt(math.pi) * np.exp(-(a * x) ** 2),
        "heavi_circ": lambda x, a: np.where(
            np.isinf(x), 0.0, a**3 / (a**2 + np.asarray(x, np.float64) ** 2) ** 1.5),
        "heaviside": lambda x, a: np.zeros_like(x),
    }
    REFERENCES["logistic"] = REFERENCES["heavi_tanh"]
    REFERENCES["circ_dist"] = REFERENCES["heavi_circ"]

DEFAULT_ALPHA = {"superspike": 100.0, "triangle": 0.3, "heavi_tanh": 1.0,
                 "heavi_erfc": 1.0, "heavi_circ": 1.0, "logistic": 1.0,
                 "circ_dist": 1.0, "heaviside": None}
ALPHAS = (0.3, 1.0, 2.5, 100.0)


def reference_grad(name, x, alpha):
    with np.errstate(all="ignore"):
        g = REFERENCES[name](x.astype(np.float64), alpha)
    return _nan_at_nan(x, np.nan_to_num(g, nan=0.0))


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
    want = reference_grad(name, x, alpha)
    # XLA on CPU treats subnormal inputs as 0: compare those with g(0).
    sub = np.abs(x) < np.finfo(np.float64).tiny
    want[sub] = reference_grad(name, np.zeros(1), alpha)[0]
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
                                      _step(x.astype(np.float64)))


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


@pytest.mark.parametrize("method,name", [
    ("super", "superspike"), ("triangle", "triangle"), ("tanh", "heavi_tanh"),
    ("circ", "heavi_circ"), ("heavi_erfc", "heavi_erfc"), ("heaviside", "heaviside")])
def test_threshold_dispatch(method, name):
    x = jnp.asarray(grid(jnp.float64))
    for alpha in ALPHAS:
        got = grad_of(lambda v, **k: js.threshold(v, method, alpha), x)
        want = reference_grad(name, np.asarray(x), alpha)
        want[np.abs(np.asarray(x)) < np.finfo(np.float64).tiny] = \
            reference_grad(name, np.zeros(1), alpha)[0]
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
        np.testing.assert_array_equal(js.threshold(x, method, alpha),
                                      _step(np.asarray(x)))


def test_threshold_defaults_are_norse_neuron_defaults():
    x = jnp.array([0.01, -0.02], jnp.float64)
    np.testing.assert_allclose(grad_of(lambda v: js.threshold(v), x),
                               1 / (100 * np.abs(np.asarray(x)) + 1) ** 2, rtol=1e-15)


def test_sign_is_two_threshold_minus_one():
    x = jnp.asarray(grid(jnp.float64))
    s = np.asarray(js.sign(x, "triangle", 0.5))
    np.testing.assert_array_equal(s, 2 * _step(np.asarray(x)) - 1)
    assert s[0] == -1 and s[-1] == -1  # -1 at 0 and at NaN, as Norse
    g = np.asarray(grad_of(lambda v: js.sign(v, "triangle", 0.5), x))
    want = 2 * reference_grad("triangle", np.asarray(x), 0.5)
    want[np.abs(np.asarray(x)) < np.finfo(np.float64).tiny] = 1.0
    np.testing.assert_allclose(g, want, rtol=1e-15)


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
        reference_grad("superspike", np.asarray(x), 1.0), rtol=1e-15)
