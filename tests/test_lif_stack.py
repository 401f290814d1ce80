"""``lif_feed_forward_stack_scan``: feed-forward LIF layers in one scan.

References: the same layers run one after another with ``lif_feed_forward_scan``
(bit for bit, forward), and plain autodiff of a Python loop of
``lif_feed_forward_step`` over steps and layers (gradients to rounding; with
``stop_gradient`` on each layer's starting state for ``"sltt"``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsurrogate import neurons as n
from tests.test_lif_scan import P  # the scans' test parameters
from tests.test_sltt import _assert_trees_close

T, B, N_IN, SIZES = 7, 3, 4, (5, 6, 2)


def _data(dtype=jnp.float64):
    rng = np.random.default_rng(2)
    xs = jnp.asarray(rng.uniform(0, 1, (T, B, N_IN)), dtype)
    fan_in = (N_IN, *SIZES[:-1])
    ws = tuple(jnp.asarray(rng.normal(1.0, 1.5, (m, k)), dtype) for m, k in zip(SIZES, fan_in))
    return xs, ws


def _starts(dtype):
    return tuple(n.LIFFeedForwardState(jnp.zeros((B, m), dtype), jnp.zeros((B, m), dtype))
                 for m in SIZES)


def _ps():
    # Per layer: Python numbers, a float64 scalar, a per-neuron alpha.
    return (P, P._replace(v_th=jnp.float64(0.25)), P._replace(alpha=jnp.full(SIZES[2], 5.0)))


def _loss(zs, states):
    ramp = jnp.arange(1, len(zs) + 1, dtype=zs.dtype)[:, None, None]
    return (zs * ramp).sum() + sum((s.v ** 2).sum() + jnp.cos(s.i).sum() for s in states)


def _loop(xs, ws, ps, cut=False, key=None):
    """The definition: steps in a Python loop, each running every layer."""
    states, zs = _starts(xs.dtype), []
    keys = [None] * len(xs) if key is None else jax.random.split(key, len(xs))
    for x, k in zip(xs, keys):
        layer_keys = [None] * len(ws) if k is None else jax.random.split(k, len(ws))
        new = []
        for s, w, p, kl in zip(states, ws, ps, layer_keys):
            if cut:
                s = jax.tree.map(jax.lax.stop_gradient, s)
            x, s = n.lif_feed_forward_step(x @ w.T, s, p, key=kl)
            new.append(s)
        states = tuple(new)
        zs.append(x)
    return jnp.stack(zs), states


def _stack(xs, ws, ps, policy, key=None):
    return n.lif_feed_forward_stack_scan(xs, _starts(xs.dtype), ws, ps, policy=policy, key=key)


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_the_stack_is_the_layers_one_after_another_bit_for_bit(dtype):
    xs, ws = _data(dtype)
    ps = _ps()

    def layer_by_layer(xs, ws):
        states = []
        for s, w, p in zip(_starts(dtype), ws, ps):
            xs, s = n.lif_feed_forward_scan(xs, s, p, input_weights=w)
            states.append(s)
        return xs, tuple(states)

    want = jax.jit(layer_by_layer)(xs, ws)
    assert 0 < float(want[0].mean()) < 1, "the last layer spikes, not always"
    for policy in ("full", "checkpoint", "sltt"):
        got = jax.jit(_stack, static_argnums=3)(xs, ws, ps, policy)
        for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
            np.testing.assert_array_equal(g, e, err_msg=policy)


def _loss_of(fn):
    return lambda xs, ws, ps: _loss(*fn(xs, ws, ps))


@functools.cache
def _loop_gradients(cut):
    """The loop's gradients (BPTT's, or SLTT's with ``cut``), computed once."""
    xs, ws = _data()
    return jax.jit(jax.grad(_loss_of(functools.partial(_loop, cut=cut)), (0, 1, 2)))(
        xs, ws, _ps())


@pytest.mark.parametrize("policy", ["full", "checkpoint", "sltt"])
def test_gradients_are_the_loop_s(policy):
    xs, ws = _data()
    got = jax.jit(jax.grad(_loss_of(functools.partial(_stack, policy=policy)), (0, 1, 2)))(
        xs, ws, _ps())
    _assert_trees_close(got, _loop_gradients(cut=policy == "sltt"))
    if policy == "sltt":  # an approximation: not BPTT's gradient
        assert not np.allclose(got[1][0], _loop_gradients(cut=False)[1][0])


def test_a_stochastic_method_under_jit_and_vmap_draws_a_key_per_step_and_layer():
    xs, ws = _data(jnp.float32)
    xs = xs[:3]  # three steps of three layers: nine draws to compare
    ps = tuple(p._replace(method="logistic", alpha=0.1) for p in _ps())
    keys = jax.random.split(jax.random.key(3), 2)
    got = jax.jit(jax.vmap(lambda k: _stack(xs, ws, ps, "checkpoint", key=k)))(keys)
    want = jax.jit(jax.vmap(lambda k: _loop(xs, ws, ps, key=k)))(keys)
    for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(got[0][0], got[0][1]), "two keys, two draws"


def test_no_sequence_is_kept_between_layers():
    # Two layers of 64 over T = 256: run one after another, the first layer's
    # spikes and their cotangent, two [T, B, 64] arrays, live through the
    # backward pass; in one scan they do not exist.
    steps, batch, width = 256, 8, 64
    p = P._replace(alpha=10.0)
    starts = [n.LIFFeedForwardState(jnp.zeros((batch, width)), jnp.zeros((batch, width)))] * 2

    def per_layer(ws, xs):
        for s, w in zip(starts, ws):
            xs, _ = n.lif_feed_forward_scan(xs, s, p, policy="checkpoint", input_weights=w)
        return xs.sum()

    def stacked(ws, xs):
        return n.lif_feed_forward_stack_scan(xs, starts, ws, p, policy="checkpoint")[0].sum()

    ws = [jax.ShapeDtypeStruct((width, width), jnp.float32)] * 2
    xs = jax.ShapeDtypeStruct((steps, batch, width), jnp.float32)

    def temp(loss):
        compiled = jax.jit(jax.grad(loss)).lower(ws, xs).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    sequence = steps * batch * width * 4
    assert temp(stacked) <= temp(per_layer) - 1.5 * sequence

    # Every layer's step keeps fire's residual in residual_dtype: under "full",
    # two layers' float32 residuals become bfloat16, a sequence less in all.
    def full(residual_dtype):
        return lambda ws, xs: n.lif_feed_forward_stack_scan(
            xs, starts, ws, p, residual_dtype=residual_dtype)[0].sum()

    assert temp(full(jnp.bfloat16)) <= temp(full(None)) - 0.9 * sequence


def test_errors_name_the_layer_and_what_was_expected():
    xs, ws = _data()
    starts = _starts(xs.dtype)
    with pytest.raises(TypeError, match="lif_feed_forward_stack_scan: states and input_weights "
                                        "must be sequences"):
        n.lif_feed_forward_stack_scan(xs, starts[0], ws[0])
    with pytest.raises(ValueError, match="one entry per layer, at least one, got 3 states and "
                                         "2 weights"):
        n.lif_feed_forward_stack_scan(xs, starts, ws[:2])
    with pytest.raises(TypeError, match="states and input_weights must be sequences, one entry "
                                        "per layer, got LIFFeedForwardState and list"):
        n.lif_feed_forward_stack_scan(xs, starts[0], [ws[0]])  # one state alone
    with pytest.raises(TypeError, match=r"each of states must be a LIFFeedForwardState\(v, i\), "
                                        r"got \['LIFFeedForwardState', 'ArrayImpl'"):
        n.lif_feed_forward_stack_scan(xs, [starts[0], starts[1].v], ws[:2])
    with pytest.raises(ValueError, match=r"inputs must be time-major \[T, ...\] with T >= 1"):
        n.lif_feed_forward_stack_scan(xs[:0], starts, ws)
    with pytest.raises(ValueError, match="one entry per layer, at least one, got 0"):
        n.lif_feed_forward_stack_scan(xs, (), ())
    with pytest.raises(TypeError, match="p must be one LIFParameters for every layer or a "
                                        "sequence of 3"):
        n.lif_feed_forward_stack_scan(xs, starts, ws, (P, P))
    wrong = (ws[0], ws[1].T, ws[2])
    with pytest.raises(ValueError, match=r"input_weights\[1\] of shape \(5, 6\) does not fit: "
                                         r"Norse's layout is \(out, in\), here \(6, 5\)"):
        n.lif_feed_forward_stack_scan(xs, starts, wrong)
    with pytest.raises(TypeError, match=r"input_weights\[2\] must have a floating dtype"):
        n.lif_feed_forward_stack_scan(xs, starts, (*ws[:2], ws[2].astype(jnp.int32)))
    with pytest.raises(ValueError, match="policy='sltt' keeps no step"):
        n.lif_feed_forward_stack_scan(xs, starts, ws, policy="sltt", every=3)
