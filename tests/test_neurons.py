"""Norse's LIF and LI steps in ``jaxsurrogate.neurons``, without Norse installed.

References are Norse 1.1.0's equations written here in float64 NumPy (with
its float32 coefficients), and finite differences where the maths is smooth
(the leaky integrator). ``tests/test_neurons_parity.py`` runs Norse itself.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import codeblocks
import jaxsurrogate as js
from jaxsurrogate import neurons

ROOT = Path(__file__).resolve().parents[1]
F32_RATE_MEM = float(np.float32(np.float32(0.001) * np.float32(100.0)))  # Norse: dt * tau_mem_inv
F32_RATE_SYN = float(np.float32(np.float32(-0.001) * np.float32(200.0)))


def norse_feed_forward_reference(currents, v_th=1.0, v_reset=0.0, v_leak=0.0):
    """Norse's lif_feed_forward_step over a sequence, float64 NumPy."""
    v = np.zeros(currents.shape[1:])
    i = np.zeros(currents.shape[1:])
    zs, vs = [], []
    for current in currents:
        i = i + current
        v = v + F32_RATE_MEM * ((v_leak - v) + i)
        i = i + F32_RATE_SYN * i
        z = (v - v_th > 0).astype(np.float64)
        v = (1 - z) * v + z * v_reset
        zs.append(z)
        vs.append(v)
    return np.stack(zs), np.stack(vs), i


def run_feed_forward(currents, p, **kw):
    zeros = jnp.zeros(currents.shape[1:], currents.dtype)

    def step(state, current):
        z, state = neurons.lif_feed_forward_step(current, state, p, **kw)
        return state, (z, state.v)

    state, (zs, vs) = jax.lax.scan(step, neurons.LIFFeedForwardState(zeros, zeros), currents)
    return zs, vs, state


def test_feed_forward_sequence_against_norse_equations():
    currents = jnp.asarray(np.random.default_rng(0).uniform(0, 8, (12, 3, 5)))
    zs, vs, state = jax.jit(run_feed_forward, static_argnums=1)(currents, neurons.LIFParameters())
    z_ref, v_ref, i_ref = norse_feed_forward_reference(np.asarray(currents))
    assert 0.05 < z_ref.mean() < 0.95
    np.testing.assert_array_equal(zs, z_ref)
    np.testing.assert_allclose(vs, v_ref, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(state.i, i_ref, rtol=1e-14)


def test_parameters_are_pytrees_per_neuron_and_learnable():
    currents = jnp.asarray(np.random.default_rng(1).uniform(0, 8, (10, 4, 3)))
    v_th = jnp.asarray([0.8, 1.0, 1.3])

    def loss(p):
        zs, vs, _ = run_feed_forward(currents, p)
        return (zs * jnp.arange(3.0).reshape(1, 1, 3)).sum() + (vs ** 2).sum()

    p = neurons.LIFParameters(v_th=v_th, tau_mem_inv=jnp.asarray([90.0, 100.0, 110.0]),
                              method="tanh", alpha=2.0)
    grads = jax.jit(jax.grad(loss))(p)
    assert isinstance(grads, neurons.LIFParameters) and grads.method == "tanh"
    assert grads.v_th.shape == (3,) and grads.tau_mem_inv.shape == (3,)
    assert np.all(np.asarray(grads.v_th) != 0) and np.all(np.asarray(grads.tau_mem_inv) != 0)
    # Per-neuron spikes against the reference with each neuron's threshold.
    zs, _, _ = run_feed_forward(currents, p._replace(tau_mem_inv=np.float32(100.0)))
    z_ref = norse_feed_forward_reference(np.asarray(currents), v_th=np.asarray(v_th))[0]
    np.testing.assert_array_equal(zs, z_ref)
    with jax.numpy_rank_promotion("raise"):  # per-neuron values broadcast explicitly
        np.testing.assert_array_equal(jax.grad(loss)(p).v_th, grads.v_th)
    # vmap over a batch of parameter sets.
    batch = neurons.LIFParameters(v_th=jnp.asarray([0.5, 1.0, 2.0]))
    axes = neurons.LIFParameters(*[None] * 3, 0, None, "super", None)
    counts = jax.vmap(lambda p: run_feed_forward(currents, p)[0].sum(), in_axes=(axes,))(batch)
    assert counts[0] > counts[1] > counts[2]


def test_method_is_norse_string_registry_name_or_spike_function():
    currents = jnp.asarray(np.random.default_rng(2).uniform(0, 8, (6, 2, 4)))

    def grad(method, alpha):
        p = neurons.LIFParameters(method=method, alpha=alpha)
        return jax.grad(lambda c: run_feed_forward(c, p)[0].sum())(currents)

    methods = [("super", 5.0), (js.superspike, 5.0), ("super", 50.0), ("tanh", 2.0),
               ("heavi_tanh", 2.0), ("heaviside", 1.0), ("snntorch.atan", 2.0)]
    g = jax.jit(lambda: [grad(m, a) for m, a in methods])()
    # Norse's "super" is js.threshold's superspike with alpha (1.1.0 would ignore it).
    np.testing.assert_array_equal(g[0], g[1])
    assert not np.array_equal(g[0], g[2])
    np.testing.assert_array_equal(g[3], g[4])
    assert np.all(np.asarray(g[5]) == 0)
    assert np.any(np.asarray(g[6]) != 0)
    with pytest.raises(KeyError, match="unknown surrogate 'supper'"):
        grad("supper", 1.0)
    with pytest.raises(TypeError, match="LIFParameters.method must be"):
        grad(jnp.tanh, 1.0)


def test_stochastic_method_draws_from_the_key():
    p = neurons.LIFParameters(method="logistic", alpha=1.0)
    state = neurons.LIFFeedForwardState(jnp.zeros(64), jnp.zeros(64))
    z1, _ = neurons.lif_feed_forward_step(jnp.full(64, 9.0), state, p, key=jax.random.key(0))
    z2, _ = neurons.lif_feed_forward_step(jnp.full(64, 9.0), state, p, key=jax.random.key(0))
    z3, _ = neurons.lif_feed_forward_step(jnp.full(64, 9.0), state, p, key=jax.random.key(1))
    np.testing.assert_array_equal(z1, z2)
    assert not np.array_equal(z1, z3)
    with pytest.raises(TypeError, match="key is required"):
        neurons.lif_feed_forward_step(jnp.ones(2), neurons.LIFFeedForwardState(
            jnp.zeros(2), jnp.zeros(2)), p)


def test_recurrent_reset_is_detached_feed_forward_is_not():
    # One step from v just below threshold: d v_new / d input differs only by
    # the reset's gradient, (v_reset - v_decayed) * g(x), present in the
    # feed-forward step alone.
    p = neurons.LIFParameters(method="super", alpha=1.0)
    v0 = jnp.asarray([0.95])

    def ff(c):
        return neurons.lif_feed_forward_step(c, neurons.LIFFeedForwardState(v0, jnp.zeros(1)),
                                             p)[1].v.sum()

    def rec(c):
        s = neurons.LIFState(jnp.zeros(1), v0, jnp.zeros(1))
        return neurons.lif_step(c, s, jnp.eye(1), jnp.zeros((1, 1)), p)[1].v.sum()

    c = jnp.asarray([1.0])
    v_dec = 0.95 + F32_RATE_MEM * ((0 - 0.95) + 1.0)
    z = float(v_dec > 1.0)
    g = 1 / (abs(v_dec - 1.0) + 1) ** 2
    dv_dc = F32_RATE_MEM
    np.testing.assert_allclose(jax.grad(rec)(c), [(1 - z) * dv_dc], rtol=1e-6)
    np.testing.assert_allclose(jax.grad(ff)(c), [((1 - z) + (0 - v_dec) * g) * dv_dc], rtol=1e-6)


def test_leaky_integrator_parameter_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    spikes = jnp.asarray(rng.random((10, 2, 4)) < 0.5, jnp.float64)
    w = jnp.asarray(rng.normal(size=(3, 4)))

    def loss(tau_mem_inv, tau_syn_inv, v_leak):
        p = neurons.LIParameters(tau_syn_inv, tau_mem_inv, v_leak)

        def step(state, x):
            v, state = neurons.li_step(x, state, w, p)
            return state, v

        zeros = jnp.zeros((2, 3))
        _, vs = jax.lax.scan(step, neurons.LIState(zeros, zeros), spikes)
        return (vs ** 2).sum()

    loss = jax.jit(loss)
    args = (jnp.float64(100.0), jnp.float64(200.0), jnp.float64(0.1))
    grads = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(*args)
    for k, g in enumerate(grads):
        h = 1e-5 * max(1.0, abs(float(args[k])))
        up = [a + h if j == k else a for j, a in enumerate(args)]
        down = [a - h if j == k else a for j, a in enumerate(args)]
        np.testing.assert_allclose(g, (loss(*up) - loss(*down)) / (2 * h), rtol=1e-6)


def test_li_feed_forward_equals_li_step_with_identity_weights():
    x = jnp.asarray(np.random.default_rng(4).normal(size=(2, 3)))
    s = neurons.LIState(jnp.ones((2, 3)), jnp.ones((2, 3)))
    a = neurons.li_feed_forward_step(x, s)
    b = neurons.li_step(x, s, jnp.eye(3))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1].i, b[1].i)


def test_neurons_docstring_examples_run():
    # A fresh process: the examples show JAX's defaults (float32), this session runs float64.
    script = textwrap.dedent("""
        import doctest, sys
        import jaxsurrogate as js
        from jaxsurrogate import neurons
        finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        attempted = 0
        for name in neurons.__all__:
            for test in finder.find(getattr(neurons, name), name, globs={}):
                attempted += runner.run(test).attempted
        sys.exit(1 if runner.failures or attempted < 15 else 0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          env=codeblocks.readers_environment(), text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
