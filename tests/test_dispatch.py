"""Norse's ``threshold`` and ``sign``: the method strings, alpha, and their errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import grad_of, grid, norse_reference_grad, np_step

ALPHAS = (0.3, 1.0, 2.5, 100.0)
X = jnp.linspace(-1, 1, 8, dtype=jnp.float32)


@pytest.mark.parametrize("method", list(js.NORSE_METHODS))
def test_threshold_dispatch(method):
    name = js.NORSE_METHODS[method].__name__
    x = jnp.asarray(grid(jnp.float64))
    for alpha in ALPHAS:
        got = grad_of(lambda v, **k: js.threshold(v, method, alpha), x)
        want = norse_reference_grad(name, np.asarray(x), alpha)
        want[np.abs(np.asarray(x)) < np.finfo(np.float64).tiny] = \
            norse_reference_grad(name, np.zeros(1), alpha)[0]
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
        np.testing.assert_array_equal(js.threshold(x, method, alpha), np_step(np.asarray(x)))


def test_threshold_defaults_are_norse_neuron_defaults():
    x = jnp.array([0.01, -0.02], jnp.float64)
    np.testing.assert_allclose(grad_of(lambda v: js.threshold(v), x),
                               1 / (100 * np.abs(np.asarray(x)) + 1) ** 2, rtol=1e-15)


def test_sign_is_two_threshold_minus_one():
    x = jnp.asarray(grid(jnp.float64))
    s = np.asarray(js.sign(x, "triangle", 0.5))
    np.testing.assert_array_equal(s, 2 * np_step(np.asarray(x)) - 1)
    assert s[0] == -1 and s[-1] == -1  # -1 at 0 and at NaN, as Norse
    g = np.asarray(grad_of(lambda v: js.sign(v, "triangle", 0.5), x))
    want = 2 * norse_reference_grad("triangle", np.asarray(x), 0.5)
    want[np.abs(np.asarray(x)) < np.finfo(np.float64).tiny] = 1.0
    np.testing.assert_allclose(g, want, rtol=1e-15)


def test_unknown_methods_suggest_the_closest():
    with pytest.raises(ValueError, match="unknown threshold method 'supper'; did you mean 'super'"):
        js.threshold(X, "supper")
    with pytest.raises(ValueError, match="unknown threshold method 'SUPER'; did you mean 'super'"):
        js.threshold(X, "SUPER")
    with pytest.raises(ValueError, match="valid: circ, heavi_erfc, heaviside, super, tanh, triangle"):
        js.sign(X, "nope")
    with pytest.raises(KeyError):
        js.threshold(X, None)


@pytest.mark.parametrize("method", list(js.NORSE_METHODS))
def test_alpha_is_checked_for_every_method(method):
    # The same checks and messages as the spike functions, heaviside included
    # (which ignores alpha, as in Norse).
    for fn in (js.threshold, js.sign):
        with pytest.raises(TypeError, match="alpha must be a real number"):
            fn(X, method, "abc")
        with pytest.raises(ValueError, match=r"alpha of shape \(3,\) is not broadcastable"):
            fn(X, method, jnp.ones(3))
        with pytest.raises(ValueError, match="alpha must be finite"):
            fn(X, method, float("nan"))
        with pytest.raises(TypeError, match="x must have a floating dtype"):
            fn(jnp.arange(3), method)
    if method != "heaviside":
        with pytest.raises(ValueError, match="alpha must be finite and > 0, got -1.0"):
            js.threshold(X, method, -1.0)


def test_per_neuron_alpha_under_jit():
    alphas = jnp.array([1.0, 2.0, 3.0, 4.0], jnp.float32)
    x = jnp.linspace(-1, 1, 8, dtype=jnp.float32).reshape(2, 4)
    g = jax.jit(jax.grad(lambda v: js.threshold(v, "super", alphas).sum()))(x)
    np.testing.assert_allclose(g, 1 / (alphas * np.abs(np.asarray(x)) + 1) ** 2, rtol=1e-6)
