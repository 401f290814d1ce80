"""Bad input fails at the call, with an error that names the argument."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import jaxsurrogate as js
from tests.helpers import spike_call

ALL = [*js.names(), *js.presets()]
WITH_ALPHA = [n for n in ALL if js.get(n).declaration.alpha is not None]
X = jnp.linspace(-1, 1, 8, dtype=jnp.float32)

BAD_ALPHAS = {
    "positive": [0.0, -1.0, float("nan"), float("inf")],
    "nonnegative": [-0.5, float("nan"), float("-inf")],
    "above_one": [1.0, 0.5, float("nan")],
    "real": [float("nan"), float("inf")],
    "count": [0.0, 1.5, float("nan")],
    "bound": [float("nan")],
    "unit": [1.5, -0.1, float("nan")],
}


@pytest.mark.parametrize("name", ALL)
def test_integer_and_boolean_x_are_refused(name):
    fn = js.get(name)
    for bad in (jnp.arange(3), np.array([True, False]), 3):
        with pytest.raises(TypeError, match="x must .*floating"):
            spike_call(fn, bad)


@pytest.mark.parametrize("name", WITH_ALPHA)
def test_alpha_outside_its_domain(name):
    fn = js.get(name)
    alpha = fn.declaration.alpha_name  # "alpha", or the shape's own name for it
    for bad in BAD_ALPHAS[fn.declaration.domain("alpha")]:
        with pytest.raises(ValueError, match=rf"{alpha} must be .*got {re.escape(str(bad))}"):
            spike_call(fn, X, bad)
        # Also inside an array of per-neuron alphas.
        alphas = np.full(8, fn.declaration.alpha or 0.5)
        alphas[3] = bad
        with pytest.raises(ValueError, match=rf"{alpha} must be .*got {re.escape(str(bad))}"):
            spike_call(fn, X, alphas)


@pytest.mark.parametrize("name", WITH_ALPHA)
def test_alpha_of_wrong_type_or_shape(name):
    fn = js.get(name)
    alpha = fn.declaration.alpha_name
    for bad in ("fast", None, {"a": 1}, True):
        with pytest.raises(TypeError, match=f"{alpha} must be a real number"):
            spike_call(fn, X, bad)
    with pytest.raises(ValueError, match=rf"{alpha} of shape \(3,\) is not broadcastable to x "
                                         rf"of shape \(2, 4\)"):
        spike_call(fn, X.reshape(2, 4), jnp.ones(3))


@pytest.mark.parametrize("name", ALL)
def test_extra_parameters_are_checked(name):
    fn = js.get(name)
    decl = fn.declaration
    with pytest.raises(TypeError, match="unknown parameter"):
        spike_call(fn, X, no_such_parameter=1.0)
    for param in decl.params:
        bad = BAD_ALPHAS[decl.domain(param)][0]
        with pytest.raises(ValueError, match=rf"{param} must be .*got {re.escape(str(bad))}"):
            spike_call(fn, X, **{param: bad})


def test_alpha_less_shapes_refuse_alpha():
    with pytest.raises(TypeError, match="takes no alpha"):
        js.heaviside(X, 2.0)


@pytest.mark.parametrize("name", [n for n in ALL if js.get(n).declaration.stochastic])
def test_stochastic_without_key(name):
    fn = js.get(name)
    with pytest.raises(TypeError, match="key is required"):
        fn(X)
    with pytest.raises(TypeError, match="key must be a PRNG key"):
        fn(X, key=3)


def test_deterministic_with_key():
    with pytest.raises(TypeError, match="takes no key"):
        js.superspike(X, key=jax.random.key(0))


def test_learn_alpha_needs_a_primitive():
    @js.surrogate
    def no_primitive(x, alpha=1.0):
        return jnp.exp(-alpha * x * x)

    with pytest.raises(ValueError, match="learn_alpha=True needs a declared primitive"):
        no_primitive(X, learn_alpha=True)


def test_traced_alpha_is_checked_through_checkify():
    f = jax.jit(js.checked(js.superspike))
    err, _ = checkify.checkify(f)(X, -1.0)
    with pytest.raises(Exception, match="superspike: alpha must be finite and > 0, got -1.0"):
        err.throw()
    err, out = checkify.checkify(f)(X, 2.0)
    assert err.get() is None
    np.testing.assert_array_equal(out, js.superspike(X, 2.0))
    # The same message as the eager check.
    with pytest.raises(ValueError, match="superspike: alpha must be finite and > 0, got -1.0"):
        js.superspike(X, -1.0)
    # A per-neuron array: the first bad value is named.
    err, _ = checkify.checkify(f)(X, jnp.array([1.0, 2.0, jnp.nan, 1.0, 1, 1, 1, 1]))
    with pytest.raises(Exception, match="alpha must be finite and > 0, got nan"):
        err.throw()


def test_unchecked_traced_alpha_is_not_validated():
    # Documented: under jit alpha is traced; only the checked twin can see it.
    out = jax.jit(js.superspike)(X, -1.0)
    assert out.shape == X.shape


@pytest.mark.parametrize("name", ["superspike", "spikingjelly.atan"])
def test_forward_mode_autodiff_error_names_the_twin(name) -> None:
    f = js.get(name)
    with pytest.raises(TypeError, match=rf"js\.forward_mode\(js\.get\('{name}'\)\)"):
        jax.jacfwd(f)(jnp.ones(2))
    twin = jax.jacfwd(js.forward_mode(f))(jnp.ones(2))
    assert twin.shape == (2, 2)


def test_forward_mode_autodiff_error_of_fire_names_its_mode() -> None:
    with pytest.raises(TypeError, match=r'fire: .*fire\(\.\.\., mode="forward"\)'):
        jax.jacfwd(lambda v: js.fire(v)[0])(jnp.ones(2))
    assert jax.jacfwd(lambda v: js.fire(v, mode="forward")[0])(jnp.ones(2)).shape == (2, 2)


def test_surrogate_s_old_default_keywords_say_where_defaults_live() -> None:
    def g(x, alpha=1.0):
        return alpha / (1 + (alpha * x) ** 2)

    for call in (lambda: js.surrogate(g, alpha=2.0), lambda: js.surrogate(alpha=2.0)(g)):
        with pytest.raises(TypeError, match=r"surrogate: unexpected keyword argument\(s\) "
                                            r"alpha=2\.0: .*derivative's signature, e\.g\. "
                                            r"def g\(x, alpha=2\.0.*js\.preset"):
            call()
