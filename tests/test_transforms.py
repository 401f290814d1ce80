"""The JAX AD matrix for every registered name and preset.

grad, jit, vmap, grad-of-grad, lax.scan, jax.checkpoint, forward mode (jvp,
jacfwd, hessian), one compilation for many alphas, vmap over alpha, per-neuron
alpha arrays, and the dtype contract. Values, compilation and dtypes are
checked for every name and preset; jit-equals-eager (the suite's one pass of
eager kernels) and the transforms (vmap, grad-of-grad, scan, checkpoint,
forward mode) for every maths and one preset of each library
(``tests.helpers.every_maths``): a preset changes only constants and H(0).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import FLOATS, derivative_of, every_maths, grad_of, own_maths, spike_call

ALL = [*js.names(), *js.presets()]
# The transforms' properties are the mechanism's: every maths, one preset per library.
MATHS = every_maths()
WITH_ALPHA = [n for n in ALL if js.get(n).declaration.alpha is not None]
X = np.array([-2.5, -1.0, -0.4, -0.05, 0.0, 0.03, 0.3, 0.7, 1.0, 1.7, 4.0])


def alphas_of(fn):
    """Three alphas inside the shape's domain (at or above the default)."""
    default = fn.declaration.alpha
    if default > 0:
        return [default, 1.5 * default, 2.0 * default]
    return [default, 0.5, 1.0]


def kwargs_of(fn):
    return {"key": jax.random.key(0)} if fn.declaration.stochastic else {}


def _jitted_spikes_grads_and_derivatives(x):
    return [(spike_call(js.get(n), x), grad_of(js.get(n), x), derivative_of(js.get(n), x))
            for n in ALL]


# One compiled program for every name (a program per name costs far more).
_JITTED = jax.jit(_jitted_spikes_grads_and_derivatives)


def test_grad_equals_derivative_for_every_name():
    x = jnp.asarray(X, jnp.float64)
    for name, (_, g, derivative) in zip(ALL, _JITTED(x)):
        np.testing.assert_array_equal(g, derivative, err_msg=name)


def test_jit_equals_eager():
    # Eager calls compile a kernel per name and dtype: every maths, one preset
    # per library (the kernels are built alike; a preset differs in constants).
    x = jnp.asarray(X, jnp.float64)
    jitted = dict(zip(ALL, _JITTED(x)))
    for name in MATHS:
        fn = js.get(name)
        jitted_out, jitted_g, _ = jitted[name]
        g = grad_of(fn, x)
        np.testing.assert_array_equal(g, derivative_of(fn, x), err_msg=name)
        np.testing.assert_array_equal(jitted_out, spike_call(fn, x), err_msg=name)
        np.testing.assert_array_equal(jitted_g, g, err_msg=name)


# The tests below compile one program for every name at once (the checks
# are per name): a program per name would cost four times the time.


def test_vmap_over_x():
    x = jnp.asarray(np.stack([X, -X, 2 * X]), jnp.float64)
    rows, each = jax.jit(lambda x: (
        [jax.vmap(lambda v: grad_of(js.get(n), v))(x) for n in MATHS],
        [[grad_of(js.get(n), x[i]) for i in range(3)] for n in MATHS]))(x)
    for name, by_vmap, one_by_one in zip(MATHS, rows, each):
        for i in range(3):
            np.testing.assert_array_equal(by_vmap[i], one_by_one[i], err_msg=name)


def test_grad_of_grad_is_derivative_of_g():
    x = jnp.asarray(X, jnp.float64)
    second, want = jax.jit(lambda x: (
        [jax.grad(lambda v: grad_of(js.get(n), v).sum())(x) for n in MATHS],
        [jax.grad(lambda v: derivative_of(js.get(n), v).sum())(x) for n in MATHS]))(x)
    for name, got, expected in zip(MATHS, second, want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


def _lif_loss(fn, weights, inputs, checkpoint):
    def step(v, current):
        v = 0.9 * v + current * weights
        spikes = spike_call(fn, v - 1.0)
        return v * (1 - spikes), spikes

    if checkpoint:
        step = jax.checkpoint(step)
    _, spikes = jax.lax.scan(step, jnp.zeros_like(weights), inputs)
    return (spikes.sum(0) - 3.0).__pow__(2).sum()


def _lif_loss_unrolled(fn, weights, inputs):
    v, total = jnp.zeros_like(weights), jnp.zeros_like(weights)
    for current in inputs:
        v = 0.9 * v + current * weights
        spikes = spike_call(fn, v - 1.0)
        v, total = v * (1 - spikes), total + spikes
    return ((total - 3.0) ** 2).sum()


def test_scan_over_time_and_checkpoint():
    rng = np.random.default_rng(0)
    # Three steps: the state carries a reset into two later steps.
    inputs = jnp.asarray(rng.uniform(0.3, 1, (3, 5)), jnp.float64)
    weights = jnp.asarray(rng.uniform(0.6, 1.5, 5), jnp.float64)
    # The unrolled loop and the checkpointed scan of every maths (a preset's
    # H(0) plays no part in a gradient: the presets of a shape are left out).
    # A checkpointed scan's gradient is the scan's (its transpose) with the
    # step recomputed: a wrong scan rule shows here too, and the plain scan
    # of "super" is checked below and in tests/test_lif_scan.py.
    names = own_maths()
    grads = jax.jit(lambda w: [[
        jax.grad(lambda w: _lif_loss_unrolled(js.get(n), w, inputs))(w),
        jax.grad(lambda w: _lif_loss(js.get(n), w, inputs, True))(w)]
        for n in names])(weights)
    for name, (want, got) in zip(names, grads):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)
    plain = jax.jit(jax.grad(lambda w: _lif_loss(js.get("super"), w, inputs, False)))(weights)
    np.testing.assert_allclose(plain, grads[names.index("superspike")][0], rtol=1e-12,
                               atol=1e-12)


def test_forward_mode():
    x = jnp.asarray(X, jnp.float64)

    def modes(fn, x):
        twin, kw = js.forward_mode(fn), kwargs_of(fn)
        out, tangent = jax.jvp(lambda v: twin(v, **kw), (x,), (jnp.full_like(x, 3.0),))
        return dict(
            out=out, tangent=tangent, spikes=spike_call(fn, x), g=derivative_of(fn, x),
            jac=jax.jacfwd(lambda v: twin(v, **kw))(x),
            reverse=jax.grad(lambda v: twin(v, **kw).sum())(x),
            hess=jax.hessian(lambda v: twin(v, **kw).sum())(x),
            want=jax.grad(lambda v: derivative_of(fn, v).sum())(x))

    results = jax.jit(lambda x: [modes(js.get(n), x) for n in MATHS])(x)
    for name, m in zip(MATHS, results):
        twin = js.forward_mode(js.get(name))
        assert twin.mode == "forward" and twin.declaration is js.get(name).declaration
        np.testing.assert_array_equal(m["out"], m["spikes"], err_msg=name)
        np.testing.assert_allclose(m["tangent"], 3.0 * m["g"], rtol=1e-15, err_msg=name)
        np.testing.assert_allclose(m["jac"], jnp.diag(m["g"]), rtol=1e-15, err_msg=name)
        # Reverse mode through the twin agrees with the custom_vjp.
        np.testing.assert_allclose(m["reverse"], m["g"], rtol=1e-15, err_msg=name)
        np.testing.assert_allclose(jnp.diag(m["hess"]), m["want"], rtol=1e-12, atol=1e-12,
                                   err_msg=name)


def test_one_compilation_for_many_alphas():
    fns = [js.get(name) for name in WITH_ALPHA]
    traces = []

    @jax.jit
    def grad_at(x, alphas):
        traces.append(None)  # runs once per trace, not per call
        return [grad_of(fn, x, alpha) for fn, alpha in zip(fns, alphas)]

    # The references: every name's declared derivative, in one program of its own.
    derivatives = jax.jit(lambda x, alphas: [derivative_of(fn, x, alpha)
                                             for fn, alpha in zip(fns, alphas)])
    x = jnp.asarray(X, jnp.float64)
    for i in range(3):
        # Array alphas (every name's i-th): one compilation of the derivatives too.
        alphas = [np.float64(alphas_of(fn)[i]) for fn in fns]
        for name, g, want in zip(WITH_ALPHA, grad_at(x, alphas), derivatives(x, alphas)):
            np.testing.assert_allclose(g, want, rtol=1e-14, err_msg=name)
    assert len(traces) == 1


# A random g draws one number per element of x: a slice of x gets other draws.
FIXED_G_WITH_ALPHA = [n for n in MATHS if js.get(n).declaration.alpha is not None
                      and "derivative" not in js.get(n).declaration.keyed]


def test_vmap_over_alpha_and_per_neuron_alpha():
    x = jnp.asarray(X, jnp.float64)
    # One alpha per neuron (the trailing axis), broadcast over the batch.
    batch = jnp.stack([x, -x])[..., None] * jnp.ones(3)  # (2, 11, 3)
    table = {n: jnp.asarray(alphas_of(js.get(n)), jnp.float64) for n in FIXED_G_WITH_ALPHA}

    def both(fn, a):
        return (jax.vmap(lambda al: grad_of(fn, x, al))(a), [grad_of(fn, x, ai) for ai in a],
                grad_of(fn, batch, a), [grad_of(fn, batch[..., i], a[i]) for i in range(3)])

    results = jax.jit(lambda table: {n: both(js.get(n), a) for n, a in table.items()})(table)
    for name, (by_vmap, each, per_neuron, each_neuron) in results.items():
        for i in range(3):
            np.testing.assert_allclose(by_vmap[i], each[i], rtol=1e-15, err_msg=name)
            np.testing.assert_allclose(per_neuron[..., i], each_neuron[i], rtol=1e-15,
                                       err_msg=name)


@pytest.mark.parametrize("name", ALL)
def test_dtype_contract(name):
    fn = js.get(name)
    alpha_dtypes = (jnp.float32, jnp.float64) if fn.declaration.alpha is not None else (None,)
    for dtype in FLOATS:
        x = jax.ShapeDtypeStruct(X.shape, dtype)
        for alpha_dtype in alpha_dtypes:
            # A per-neuron alpha array of another dtype must not promote.
            args = () if alpha_dtype is None else (jax.ShapeDtypeStruct(X.shape, alpha_dtype),)
            out, (value, g) = jax.eval_shape(
                lambda v, *a: (spike_call(fn, v, *a),
                               jax.value_and_grad(lambda u: spike_call(fn, u, *a).sum())(v)),
                x, *args)
            assert out.dtype == dtype and g.dtype == dtype, (dtype, alpha_dtype)
            assert value.dtype == dtype


def test_bfloat16_with_a_float32_alpha_array_runs_in_float32():
    # For real, every name in one compiled program: bfloat16 spikes and
    # gradients with a float32 alpha array, against the float32 derivative.
    def alpha_args(fn):
        return () if fn.declaration.alpha is None else (
            jnp.full(X.shape, fn.declaration.alpha, jnp.float32),)

    results = jax.jit(lambda x: [
        (spike_call(fn, x, *alpha_args(fn)), grad_of(fn, x, *alpha_args(fn)),
         derivative_of(fn, x.astype(jnp.float32), *alpha_args(fn)))
        for fn in map(js.get, ALL)])(jnp.asarray(X, jnp.bfloat16))
    for name, (out, g, want) in zip(ALL, results):
        assert out.dtype == g.dtype == jnp.bfloat16, name
        np.testing.assert_allclose(np.asarray(g, np.float32), want, rtol=1e-2, atol=1e-2,
                                   err_msg=name)


def test_alpha_gets_zero_cotangent_by_default():
    x = jnp.asarray(X, jnp.float64)
    fns = [js.get(name) for name in WITH_ALPHA]
    # One compiled program for all of them.
    cotangents = jax.jit(lambda x: [
        jax.grad(lambda a: spike_call(fn, x, a).sum())(jnp.float64(alphas_of(fn)[1]))
        for fn in fns])(x)
    for name, ga in zip(WITH_ALPHA, cotangents):
        assert ga == 0.0, name
