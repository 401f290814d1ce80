"""No NaN where the maths is finite, for every name and preset, in every dtype.

Grid checks at the edges of each float type, then hypothesis properties over
all names: spikes are the documented values, g >= 0 where the shape is
non-negative, symmetric shapes are symmetric and derivative(f) == grad (jit
equals eager: tests/test_transforms.py).
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


def test_finite_everywhere_but_nan():
    xs = [jnp.asarray(grid(dtype)) for dtype in FLOATS]
    # One compiled program for every name and the four dtypes.
    results = jax.jit(lambda xs: [[(spike_call(js.get(n), x), grad_of(js.get(n), x))
                                   for x in xs] for n in ALL])(xs)
    for name, per_dtype in zip(ALL, results):
        fn = js.get(name)
        for dtype, x, (out, g) in zip(FLOATS, xs, per_dtype):
            nan = np.isnan(np.asarray(x, np.float64))
            assert out.dtype == dtype and g.dtype == dtype, name
            out64, g64 = np.asarray(out, np.float64), np.asarray(g, np.float64)
            assert spikes_are_valid(fn, out64), (name, dtype, out64)
            assert np.isfinite(g64[~nan]).all(), (name, dtype, x[~np.isfinite(g64) & ~nan])
            # A NaN input propagates into the gradient instead of being hidden.
            assert np.isnan(g64[nan]).all(), (name, dtype)


STEPS = [n for n in ALL if js.get(n).declaration.forward is None
         and not js.get(n).declaration.stochastic]


@pytest.mark.parametrize("name", STEPS)
def test_nan_forward_is_documented_value(name):
    # The step is 0 at NaN (strict comparisons), whatever H(0) is.
    out = js.get(name)(jnp.array([jnp.nan], jnp.float32))
    np.testing.assert_array_equal(out, [0.0])


def test_learnable_alpha_cotangent_is_finite():
    # Documented scope: the alpha cotangent is d/dalpha of S in the compute
    # dtype, finite for |x| up to 1e4 here; at +-inf and +-max it may not be.
    x = jnp.asarray(grid(jnp.float32))
    x = x[jnp.abs(x) <= 1e4]
    learnable = [n for n in ALL if js.get(n).declaration.learnable]
    cotangents = jax.jit(lambda x: [
        jax.grad(lambda a: spike_call(js.get(n), x, a, learn_alpha=True).sum())(
            jnp.float32(js.get(n).declaration.alpha or 0.5)) for n in learnable])(x)
    for name, ga in zip(learnable, cotangents):
        assert ga.dtype == jnp.float32 and bool(jnp.isfinite(ga)), name


def _finite_floats():
    return st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


PROPERTY = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _all_properties(x):
    """Spikes, g, derivative(f) and g(-x) of every name, in one compiled program."""
    return [(spike_call(js.get(n), x), grad_of(js.get(n), x), derivative_of(js.get(n), x),
             grad_of(js.get(n), -x)) for n in ALL]


_ALL_PROPERTIES = jax.jit(_all_properties)


# Every name sees the same drawn values (ten draws, as ten per name did).
@PROPERTY
@given(values=st.lists(_finite_floats(), min_size=16, max_size=16))
def test_properties(values):
    x = jnp.asarray(values, jnp.float32)
    for name, (out, g, derivative, g_of_minus_x) in zip(ALL, _ALL_PROPERTIES(x)):
        fn = js.get(name)
        assert spikes_are_valid(fn, out), name
        np.testing.assert_array_equal(derivative, g, err_msg=name)
        if is_nonnegative(fn):
            assert (np.asarray(g) >= 0).all(), name
        if is_symmetric(fn):
            np.testing.assert_allclose(g_of_minus_x, g, rtol=1e-6, atol=1e-30, err_msg=name)
