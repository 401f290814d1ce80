"""``lif_feed_forward_scan(policy="sltt")``: SLTT's gradient, against its definition.

The reference is plain autodiff of a Python loop of ``lif_feed_forward_step``
with ``stop_gradient`` on the state each step starts from (Meng et al.'s
``self.v.detach()``, here for both of Norse's carries): the scan must give
the full policy's values bit for bit, that loop's gradients (inputs, weights,
every parameter) to rounding, keep nothing per step, and differ from BPTT.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsurrogate import neurons as n
from tests.test_lif_scan import P  # the scans' test parameters

T, B, N_IN, N = 9, 3, 4, 5


def _data(dtype=jnp.float64):
    rng = np.random.default_rng(1)
    xs = jnp.asarray(rng.uniform(0, 1, (T, B, N_IN)), dtype)
    w = jnp.asarray(rng.normal(1.5, 2.0, (N, N_IN)), dtype)
    return xs, w


def _start(dtype):
    return n.LIFFeedForwardState(v=jnp.zeros((B, N), dtype), i=jnp.zeros((B, N), dtype))


def _loss(zs, vs, last):
    """Reaches every step's spikes and potentials and the final state."""
    ramp = jnp.arange(1, T + 1, dtype=zs.dtype)[:, None, None]
    return ((zs * ramp).sum() + (jnp.sin(3 * vs) * ramp).sum() + (last.v ** 2).sum()
            + (jnp.cos(last.i)).sum())


def _cut_loop(xs, w, p, key=None):
    """The definition: a loop whose carried state passes no gradient back."""
    s, zs, vs = _start(xs.dtype), [], []
    keys = [None] * T if key is None else jax.random.split(key, T)
    for x, k in zip(xs, keys):
        s = jax.tree.map(jax.lax.stop_gradient, s)
        z, s = n.lif_feed_forward_step(x if w is None else x @ w.T, s, p, key=k)
        zs.append(z)
        vs.append(s.v)
    return _loss(jnp.stack(zs), jnp.stack(vs), s)


def _scan(xs, w, p, policy="sltt", key=None):
    zs, last, vs = n.lif_feed_forward_scan(xs, _start(xs.dtype), p, policy=policy,
                                           potentials=True, input_weights=w, key=key)
    return _loss(zs, vs, last)


def _assert_trees_close(got, want):
    """To the rounding of each leaf's dtype (sums over the steps in another order)."""
    for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        tol = 1e-12 if g.dtype == jnp.float64 else 1e-5
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("inside", [False, True], ids=["currents", "input_weights"])
def test_sltt_is_the_cut_loop(inside):
    xs, w = _data()
    if not inside:
        xs, w = xs @ w.T, None
    # Python numbers and float64 arrays among the parameters: each gets its gradient.
    p = P._replace(v_th=jnp.float64(0.3), alpha=jnp.full(N, 10.0))
    argnums = (0, 1, 2) if inside else (0, 2)
    want_value, want = jax.jit(jax.value_and_grad(_cut_loop, argnums))(xs, w, p)
    value, got = jax.jit(jax.value_and_grad(_scan, argnums))(xs, w, p)
    np.testing.assert_allclose(value, want_value, rtol=1e-14)
    _assert_trees_close(got, want)
    # The forward pass is the full policy's (the loop's: tests/test_lif_scan.py), bit for bit.
    outputs = jax.jit(lambda xs, w, p: [n.lif_feed_forward_scan(
        xs, _start(xs.dtype), p, policy=policy, potentials=True, input_weights=w)
        for policy in ("sltt", "full")])(xs, w, p)
    for a, b in zip(*map(jax.tree.leaves, outputs), strict=True):
        np.testing.assert_array_equal(a, b)
    # An approximation: BPTT's gradient is another.
    full = jax.grad(_scan, argnums)(xs, w, p, "full")
    assert not np.allclose(full[0], got[0])
    # The spikes reach later steps only through the cut state, so some
    # gradient is nonzero: SLTT learns.
    assert np.abs(got[0]).max() > 0 and np.abs(got[-1].alpha).max() > 0


def test_sltt_in_float32_under_vmap_with_a_stochastic_method():
    xs, w = _data(jnp.float32)
    p = P._replace(method="logistic", alpha=0.1)
    keys = jax.random.split(jax.random.key(3), 2)
    batch = jnp.stack([xs, 0.5 * xs])
    got = jax.jit(jax.vmap(jax.grad(_scan, 1), (0, None, None, None, 0)),
                  static_argnums=3)(batch, w, p, "sltt", keys)
    reference = jax.jit(jax.grad(_cut_loop, 1))
    for b in range(2):
        want = reference(batch[b], w, p, keys[b])
        assert got[b].dtype == jnp.float32
        np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-5)


def test_sltt_keeps_nothing_per_step():
    # Memory of the policy itself (loss on the final state: no sequence of
    # outputs): the same at 20 and 400 steps; BPTT's grows with T.
    p = P

    def temp(policy, steps):
        def loss(w, xs):
            _, last = n.lif_feed_forward_scan(xs, _start(xs.dtype), p, policy=policy,
                                              input_weights=w)
            return (last.v ** 2).sum()
        args = (jax.ShapeDtypeStruct((N, N_IN), jnp.float32),
                jax.ShapeDtypeStruct((steps, B, N_IN), jnp.float32))
        compiled = jax.jit(jax.grad(loss)).lower(*args).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    assert temp("sltt", 400) == temp("sltt", 20)
    assert temp("full", 400) > 10 * temp("full", 20)


def test_sltt_is_refused_where_it_cannot_learn_and_takes_no_checkpoint_options():
    xs, w = _data()
    state = n.LIFState(*3 * [jnp.zeros((B, N))])
    with pytest.raises(ValueError, match="lif_scan: policy='sltt' is for lif_feed_forward_scan"):
        n.lif_scan(xs, state, w, jnp.zeros((N, N)), P, policy="sltt")
    with pytest.raises(ValueError, match="li_feed_forward_scan: policy='sltt'"):
        n.li_feed_forward_scan(xs, n.LIState(jnp.zeros(N_IN), jnp.zeros(N_IN)), policy="sltt")
    for option in (dict(every=3), dict(checkpoint_policy=jax.checkpoint_policies.everything_saveable)):
        with pytest.raises(ValueError, match="policy='sltt' keeps no step"):
            n.lif_feed_forward_scan(xs, _start(xs.dtype), P, policy="sltt", input_weights=w,
                                    **option)


def test_parameters_given_as_python_numbers_get_gradients():
    # jax.grad makes the numbers of LIFParameters() weakly typed scalars; the
    # spike's backward pass takes their shapes from jnp.shape, not .shape.
    xs, w = _data()
    grads = jax.grad(lambda p: _scan(xs, w, p, "full"))(P)
    assert all(np.isfinite(g) for g in jax.tree.leaves(grads))
    assert grads.alpha != 0 and grads.v_th != 0
