"""No NaN where the maths is finite, for every name and preset, in every dtype.

Grid checks at the edges of each float type, then hypothesis properties over
all names: spikes are the documented values, g >= 0 where the shape is
non-negative, symmetric shapes are symmetric, derivative(f) == grad, and jit
equals eager bit for bit.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxsurrogate as js
from tests.helpers import (
    FLOATS,
    derivative_of,
    grad_of,
    grid,
    is_nonnegative,
    is_symmetric,
    spike_call,
    spikes_are_valid,
)

ALL = [*js.names(), *js.presets()]


@pytest.mark.parametrize("name", ALL)
def test_finite_everywhere_but_nan(name):
    fn = js.get(name)
    xs = [jnp.asarray(grid(dtype)) for dtype in FLOATS]
    # One compiled program for the four dtypes.
    results = jax.jit(lambda xs: [(spike_call(fn, x), grad_of(fn, x)) for x in xs])(xs)
    for dtype, x, (out, g) in zip(FLOATS, xs, results):
        nan = np.isnan(np.asarray(x, np.float64))
        assert out.dtype == dtype and g.dtype == dtype
        out64, g64 = np.asarray(out, np.float64), np.asarray(g, np.float64)
        assert spikes_are_valid(fn, out64), (dtype, out64)
        assert np.isfinite(g64[~nan]).all(), (dtype, x[~np.isfinite(g64) & ~nan])
        # A NaN input propagates into the gradient instead of being hidden.
        assert np.isnan(g64[nan]).all(), dtype


STEPS = [n for n in ALL if js.get(n).declaration.forward is None
         and not js.get(n).declaration.stochastic]


@pytest.mark.parametrize("name", STEPS)
def test_nan_forward_is_documented_value(name):
    # The step is 0 at NaN (strict comparisons), whatever H(0) is.
    out = js.get(name)(jnp.array([jnp.nan], jnp.float32))
    np.testing.assert_array_equal(out, [0.0])


@pytest.mark.parametrize("name", [n for n in ALL if js.get(n).declaration.learnable])
def test_learnable_alpha_cotangent_is_finite(name):
    fn = js.get(name)
    # Documented scope: the alpha cotangent is d/dalpha of S in the compute
    # dtype, finite for |x| up to 1e4 here; at +-inf and +-max it may not be.
    x = jnp.asarray(grid(jnp.float32))
    x = x[jnp.abs(x) <= 1e4]
    ga = jax.grad(lambda a: spike_call(fn, x, a, learn_alpha=True).sum())(
        jnp.float32(fn.declaration.alpha or 0.5))
    assert ga.dtype == jnp.float32 and bool(jnp.isfinite(ga))


def _finite_floats():
    return st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


PROPERTY = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", ALL)
@PROPERTY
@given(values=st.lists(_finite_floats(), min_size=16, max_size=16))
def test_properties(name, values):
    fn = js.get(name)
    x = jnp.asarray(values, jnp.float32)
    out = spike_call(fn, x)
    g = grad_of(fn, x)
    assert spikes_are_valid(fn, out)
    np.testing.assert_array_equal(derivative_of(fn, x), g)
    if is_nonnegative(fn):
        assert (np.asarray(g) >= 0).all()
    if is_symmetric(fn):
        np.testing.assert_allclose(grad_of(fn, -x), g, rtol=1e-6, atol=1e-30)
    # jit equals eager, bit for bit, forward and backward.
    jit_out, jit_g = _jitted(name)(x)
    np.testing.assert_array_equal(jit_out, out)
    np.testing.assert_array_equal(jit_g, g)


_JITTED = {}


def _jitted(name):
    if name not in _JITTED:
        fn = js.get(name)
        _JITTED[name] = jax.jit(lambda v: (spike_call(fn, v), grad_of(fn, v)))
    return _JITTED[name]
