"""The LIF and LI scans: a Python loop of the steps under every policy, and the policies' memory."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsurrogate import neurons as n

T, B, N_IN, N = 11, 3, 4, 5
# The checkpoint policy with a remainder segment (3 does not divide 11); its other
# segmentings give the same bits as "full" (test_the_policies_agree_bit_for_bit).
POLICIES = [("full", None), ("checkpoint", 3)]


def _data(dtype=jnp.float64):
    rng = np.random.default_rng(0)
    xs = jnp.asarray(rng.uniform(0, 1, (T, B, N_IN)) < 0.5, dtype)
    w_in = jnp.asarray(rng.normal(2.0, 2.0, (N, N_IN)), dtype)
    w_rec = jnp.asarray(rng.normal(0.0, 1.0, (N, N)), dtype)
    return xs, w_in, w_rec


P = n.LIFParameters(tau_syn_inv=200.0, tau_mem_inv=100.0, v_th=0.3, method="super", alpha=10.0)


def _losses(policy, every):
    """Each scan and its loop: the same loss of (spikes, potentials, final state)."""
    def ff(w_in, xs, v_th, loop):
        p = P._replace(v_th=v_th)
        s = n.LIFFeedForwardState(v=jnp.zeros((B, N), xs.dtype), i=jnp.zeros((B, N), xs.dtype))
        currents = xs @ w_in.T
        if loop:
            zs, vs = [], []
            for x in currents:
                z, s = n.lif_feed_forward_step(x, s, p)
                zs.append(z)
                vs.append(s.v)
            zs, vs = jnp.stack(zs), jnp.stack(vs)
        else:
            zs, s, vs = n.lif_feed_forward_scan(currents, s, p, policy=policy, every=every,
                                                potentials=True)
        return zs, vs, s

    def rec(w_in, xs, v_th, loop, w_rec):
        p = P._replace(v_th=v_th)
        s = n.LIFState(*3 * [jnp.zeros((B, N), xs.dtype)])
        if loop:
            zs = []
            for x in xs:
                z, s = n.lif_step(x, s, w_in, w_rec, p)
                zs.append(z)
            zs = jnp.stack(zs)
        else:
            zs, s = n.lif_scan(xs, s, w_in, w_rec, p, policy=policy, every=every)
        return zs, s

    def li(w_in, xs, v_th, loop):
        s = n.LIState(jnp.zeros((B, N), xs.dtype), jnp.zeros((B, N), xs.dtype))
        currents = xs @ w_in.T * v_th
        if loop:
            vs = []
            for x in currents:
                v, s = n.li_feed_forward_step(x, s)
                vs.append(v)
            return jnp.stack(vs), s
        return n.li_feed_forward_scan(currents, s, policy=policy, every=every)

    return {"lif_feed_forward_scan": ff, "lif_scan": rec, "li_feed_forward_scan": li}


def _loss(out):
    weights = [jnp.sin(jnp.arange(a.size, dtype=a.dtype)).reshape(a.shape)
               for a in jax.tree.leaves(out)]
    return sum((a * w).sum() for a, w in zip(jax.tree.leaves(out), weights))


@pytest.mark.parametrize("policy,every", POLICIES)
def test_every_scan_is_its_loop_bit_for_bit(policy, every):
    xs, w_in, w_rec = _data()
    v_th = jnp.float64(0.3)
    for name, fn in _losses(policy, every).items():
        extra = (w_rec,) if name == "lif_scan" else ()

        def outputs_and_grads(loop):
            out = fn(w_in, xs, v_th, loop, *extra)
            grads = jax.grad(lambda w, t: _loss(fn(w, xs, t, loop, *extra)), argnums=(0, 1))(
                w_in, v_th)
            return out, grads

        # One compiled program for the scan and the loop.
        (scan_out, scan_grads), (loop_out, loop_grads) = jax.jit(
            lambda: (outputs_and_grads(False), outputs_and_grads(True)))()
        what = f"{name} {policy} {every}"
        # The same spikes; potentials, states and gradients to rounding: XLA
        # compiles a scan's body and an unrolled loop into different kernels
        # (measured: 1e-16 absolute, 1e-14 relative at most, in float64).
        if name != "li_feed_forward_scan":
            np.testing.assert_array_equal(scan_out[0], loop_out[0], err_msg=what)
        for got, want in zip(jax.tree.leaves((scan_out, scan_grads)),
                             jax.tree.leaves((loop_out, loop_grads))):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=what)
        assert float(jnp.abs(scan_grads[0]).sum()) > 0, name
    spikes = _losses(policy, every)["lif_feed_forward_scan"](w_in, xs, v_th, False)[0]
    assert 0.05 < float(spikes.mean()) < 0.95


def test_a_stochastic_method_gets_a_key_per_step():
    xs, w_in, _ = _data(jnp.float32)
    p = P._replace(method="logistic", alpha=1.0)
    s = n.LIFFeedForwardState(v=jnp.zeros((B, N)), i=jnp.zeros((B, N)))
    key = jax.random.key(3)
    currents = xs @ w_in.T
    z_scan, _ = n.lif_feed_forward_scan(currents, s, p, key=key, policy="checkpoint")
    zs = []
    for x, k in zip(currents, jax.random.split(key, T)):
        z, s = n.lif_feed_forward_step(x, s, p, key=k)
        zs.append(z)
    np.testing.assert_array_equal(z_scan, jnp.stack(zs))


def test_checkpointing_keeps_less_memory():
    # The backward pass's temporary memory (compiled.memory_analysis, exact)
    # of 64 x 256 neurons, the loss on the final state: the full scan keeps
    # one residual per step (fire's x), growing as T; the checkpointed one
    # ~sqrt(T) states, growing as sqrt(T).
    def temp_bytes(policy, steps):
        s = n.LIFFeedForwardState(v=jnp.zeros((64, 256)), i=jnp.zeros((64, 256)))
        loss = lambda xs: n.lif_feed_forward_scan(xs, s, policy=policy)[1].v.sum()  # noqa: E731
        compiled = jax.jit(jax.grad(loss)).lower(jnp.ones((steps, 64, 256))).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    full = [temp_bytes("full", t) for t in (256, 1024)]
    checkpointed = [temp_bytes("checkpoint", t) for t in (256, 1024)]
    per_step = 64 * 256 * 4  # one float32 residual
    assert full[1] - full[0] >= 768 * per_step  # every step's residual
    assert checkpointed[1] < full[1] / 4
    assert checkpointed[1] / checkpointed[0] < 2.5  # sqrt(4) = 2, plus fixed costs


def test_scans_refuse_what_they_cannot_run():
    s = n.LIFFeedForwardState(v=jnp.zeros(2), i=jnp.zeros(2))
    with pytest.raises(ValueError, match="lif_feed_forward_scan: policy must be one of"):
        n.lif_feed_forward_scan(jnp.ones((3, 2)), s, policy="spikes")
    with pytest.raises(ValueError, match="every must be a whole number of steps >= 1, got 0"):
        n.lif_feed_forward_scan(jnp.ones((3, 2)), s, policy="checkpoint", every=0)
    with pytest.raises(ValueError, match="policy='full' keeps every step"):
        n.lif_feed_forward_scan(jnp.ones((3, 2)), s, every=2)
    with pytest.raises(ValueError, match=r"T >= 1, got shape \(0, 2\)"):
        n.lif_feed_forward_scan(jnp.ones((0, 2)), s)
    with pytest.raises(ValueError, match=r"T >= 1, got shape \(0, 3\)"):  # weighed inside
        n.lif_feed_forward_scan(jnp.ones((0, 3)), s, input_weights=jnp.ones((2, 3)))


@pytest.mark.parametrize("every", [None, 3, T])
def test_the_policies_agree_bit_for_bit(every):
    # The same scan body, recomputed or kept: the same bits.
    xs, w_in, _ = _data()
    full, checkpointed = (_losses(policy, e)["lif_feed_forward_scan"]
                          for policy, e in (("full", None), ("checkpoint", every)))
    grads = jax.jit(lambda: [jax.grad(lambda w: _loss(f(w, xs, 0.3, False)))(w_in)
                             for f in (full, checkpointed)])()
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("policy,every", POLICIES)
def test_weights_inside_the_step_are_the_dense_layer_outside(policy, every):
    xs, w_in, _ = _data()
    s = n.LIFFeedForwardState(v=jnp.zeros((xs.shape[1], w_in.shape[0])),
                              i=jnp.zeros((xs.shape[1], w_in.shape[0])))

    def loss(w, xs, p, inside):
        kw = dict(input_weights=w) if inside else {}
        z, last, v = n.lif_feed_forward_scan(xs if inside else xs @ w.T, s, p, policy=policy,
                                             every=every, potentials=True, **kw)
        return (z * jnp.arange(1, len(xs) + 1)[:, None, None]).sum() + (v**2).sum() + last.i.sum()

    grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)), static_argnums=3)
    outside, inside = grad(w_in, xs, P, False), grad(w_in, xs, P, True)
    for want, got in zip(jax.tree.leaves(outside), jax.tree.leaves(inside)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_weights_inside_keep_no_sequence_of_currents():
    # 784 -> 256, batch 64, T = 400, the loss on every step's spikes: with the
    # weights outside, the currents and their cotangent are [T, 64, 256]
    # arrays; inside a checkpointed scan, a segment's are recomputed.
    steps, batch, n_in, n_out = 400, 64, 784, 256
    s = n.LIFFeedForwardState(v=jnp.zeros((batch, n_out)), i=jnp.zeros((batch, n_out)))

    def temp_bytes(inside):
        def loss(w, xs):
            z, _ = (n.lif_feed_forward_scan(xs, s, policy="checkpoint", input_weights=w)
                    if inside else n.lif_feed_forward_scan(xs @ w.T, s, policy="checkpoint"))
            return jnp.mean((z.mean(0) - 0.05) ** 2)
        compiled = jax.jit(jax.grad(loss)).lower(
            jax.ShapeDtypeStruct((n_out, n_in), jnp.float32),
            jax.ShapeDtypeStruct((steps, batch, n_in), jnp.float32)).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    sequence = steps * batch * n_out * 4  # one float32 [T, 64, 256] array
    assert temp_bytes(True) < temp_bytes(False) - sequence


def test_input_weights_must_fit():
    s = n.LIFFeedForwardState(v=jnp.zeros(3), i=jnp.zeros(3))
    with pytest.raises(ValueError, match=r"input_weights of shape \(2, 3\) does not fit: "
                                         r"Norse's layout is \(out, in\), here \(3, 2\)"):
        n.lif_feed_forward_scan(jnp.ones((4, 2)), s, input_weights=jnp.ones((2, 3)))
    with pytest.raises(TypeError, match="input_weights"):
        n.lif_feed_forward_scan(jnp.ones((4, 2)), s, input_weights=jnp.ones((3, 2), jnp.int32))
