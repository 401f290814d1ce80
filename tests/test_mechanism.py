"""The mechanism itself: what `surrogate` builds from a declaration."""

from __future__ import annotations

import inspect

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import grad_of

X = jnp.array([-3.0, -1.0, -0.2, 0.0, 0.2, 1.0, 3.0], jnp.float64)


def _bump_primitive(x, alpha, *, width):
    return jnp.tanh(alpha * x / width) * width / alpha


@js.surrogate(primitive=_bump_primitive)
def bump(x, alpha=2.0, *, width=1.0):
    """A test bump: sech^2(alpha x / width)."""
    return 1 / jnp.cosh(alpha * x / width) ** 2


def test_decorator_and_call_forms_make_the_same_function():
    called = js.surrogate(bump.declaration.derivative, name="bump_called")
    np.testing.assert_array_equal(grad_of(called, X), grad_of(bump, X))
    assert called.__name__ == "bump_called" and bump.__name__ == "bump"
    # The user's text first, then what the declaration knows: defaults, domains.
    assert bump.__doc__.startswith("A test bump: sech^2(alpha x / width).\n\nArgs:")
    words = " ".join(bump.__doc__.split())
    assert "alpha: a shape parameter (> 0), a scalar or an array broadcastable to ``x``. " \
           "Default 2.0." in words
    assert "width: a shape parameter (> 0), a scalar or an array broadcastable to ``x``. " \
           "Default 1.0." in words
    assert str(inspect.signature(bump)).startswith("(x, alpha=2.0, *, width=1.0, learn_alpha=False)")


def test_extra_parameters_are_traced_operands():
    want = 1 / np.cosh(2.0 * np.asarray(X) / 0.5) ** 2
    np.testing.assert_allclose(grad_of(bump, X, width=0.5), want, rtol=1e-14)
    traces = []

    @jax.jit
    def g(x, width):
        traces.append(None)
        return grad_of(bump, x, width=width)

    for width in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(g(X, width), 1 / np.cosh(2.0 * np.asarray(X) / width) ** 2,
                                   rtol=1e-14)
    assert len(traces) == 1


@pytest.mark.parametrize("at_zero", [0.0, 0.5, 1.0])
def test_at_zero_picks_h0(at_zero):
    f = js.preset(bump, f"test.bump_h{at_zero:g}".replace(".5", "_5"), at_zero=at_zero)
    for dtype in (jnp.bfloat16, jnp.float32, jnp.float64):
        x = jnp.array([-0.0, 0.0, -1.0, 1.0, jnp.nan], dtype)
        out = f(x)
        chex.assert_type(out, dtype)
        np.testing.assert_array_equal(np.asarray(out, np.float64),
                                      [at_zero, at_zero, 0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="at_zero must be 0, 0.5 or 1"):
        js.surrogate(lambda x, alpha=1.0: x, at_zero=0.3, name="bad")


def test_custom_deterministic_forward():
    @js.surrogate(forward=lambda x, alpha: jnp.floor(jnp.clip(x, 0, 3)))
    def multi_spike(x, alpha=1.0):
        """Up to three spikes per step, with a rectangle gradient."""
        return (jnp.abs(x - 1.5) < 1.5 * alpha).astype(x.dtype)

    x = jnp.array([-1.0, 0.5, 1.2, 2.7, 9.0], jnp.float32)
    np.testing.assert_array_equal(multi_spike(x), [0.0, 0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad_of(multi_spike, x), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_learnable_alpha_matches_finite_differences_of_s():
    ct = jnp.linspace(0.5, 1.5, X.size, dtype=jnp.float64)
    prim = js.primitive(bump)
    for alpha in (0.7, 2.0):
        got = jax.grad(lambda a: (ct * bump(X, a, learn_alpha=True)).sum())(alpha)
        h = 1e-6
        fd = ((ct * (prim(X, alpha + h) - prim(X, alpha - h))).sum()) / (2 * h)
        np.testing.assert_allclose(got, fd, rtol=1e-8)
        # Forward mode agrees.
        twin = js.forward_mode(bump)
        _, t = jax.jvp(lambda a: (ct * twin(X, a, learn_alpha=True)).sum(), (alpha,), (1.0,))
        np.testing.assert_allclose(t, got, rtol=1e-12)
    # Per-neuron alphas get per-neuron cotangents.
    alphas = jnp.linspace(0.5, 2.0, X.size, dtype=jnp.float64)
    per = jax.grad(lambda a: bump(X, a, learn_alpha=True).sum())(alphas)
    chex.assert_shape(per, X.shape)
    for i in (0, 3, 6):
        one = jax.grad(lambda a: bump(X[i:i + 1], a, learn_alpha=True).sum())(alphas[i])
        np.testing.assert_allclose(per[i], one, rtol=1e-14)


def test_primitive_derivative_is_g():
    g = jax.vmap(jax.grad(lambda x: js.primitive(bump)(x, 2.0)))(X)
    # jax.grad(tanh) is 1 - tanh^2: accurate to eps absolute, not relative.
    np.testing.assert_allclose(g, js.derivative(bump)(X, 2.0), rtol=1e-13, atol=1e-15)


def test_forward_mode_of_checked_stays_checked():
    twin = js.forward_mode(js.checked(js.superspike))
    assert twin.checked and twin.mode == "forward"


def test_not_a_spike_function():
    with pytest.raises(TypeError, match="not a jaxsurrogate spike function"):
        js.derivative(jnp.tanh)
    with pytest.raises(TypeError, match="derivative must be callable"):
        js.surrogate(3.0)
    with pytest.raises(TypeError, match="has no parameter"):
        js.preset(bump, "x.y", sigma=1.0)
