"""Norse's LIF and LI steps at the edges: integer parameters, integer inputs,
a learnable alpha, shapes that do not fit, forward mode and ``jax.export``.

References: Norse's Euler step and SuperSpike's primitive written here in
float64 (closed form), and the reverse mode's own Jacobian for forward mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import jaxsurrogate as js
from jaxsurrogate import neurons as n

STEPS = ("lif_feed_forward_step", "lif_step", "li_feed_forward_step", "li_step")


def _euler(v, i, x, tau_mem_inv, tau_syn_inv, v_leak=0.0, dt=1e-3):
    """Norse's Euler step of v and i, in float64."""
    i_jump = i + x
    return v + dt * tau_mem_inv * ((v_leak - v) + i_jump), i_jump - dt * tau_syn_inv * i_jump


# Integer time constants every way a user may write them: Python, NumPy, JAX.
INTEGERS = [(100, 200), (np.int64(100), np.int64(200)), (jnp.int32(100), jnp.int32(200))]


@pytest.mark.parametrize("dt", [1e-3, np.float32(1e-3), "traced"], ids=["float", "numpy", "jit"])
def test_integer_time_constants_integrate(dt):
    x = jnp.array([5.0, 2.0], jnp.float32)
    want_v, want_i = _euler(np.array([0.2, 0.0]), np.array([1.0, 0.0]), np.array([5.0, 2.0]),
                            100.0, 200.0)
    for tau_mem_inv, tau_syn_inv in INTEGERS:
        lif = n.LIFParameters(tau_mem_inv=tau_mem_inv, tau_syn_inv=tau_syn_inv,
                              v_th=np.int32(10), v_reset=0, v_leak=np.int64(0))
        li = n.LIParameters(tau_mem_inv=tau_mem_inv, tau_syn_inv=tau_syn_inv, v_leak=0)

        v, i = jnp.array([0.2, 0.0], jnp.float32), jnp.array([1.0, 0.0], jnp.float32)

        def both(x, dt):
            ff = n.lif_feed_forward_step(x, n.LIFFeedForwardState(v, i), lif, dt)
            leaky = n.li_feed_forward_step(x, n.LIState(v, i), li, dt)
            return ff[1].v, ff[1].i, leaky[1].v, leaky[1].i

        got = jax.jit(both)(x, jnp.float32(1e-3)) if dt == "traced" else both(x, dt)
        for value, want in zip(got, (want_v, want_i, want_v, want_i)):
            assert value.dtype == jnp.float32
            np.testing.assert_allclose(value, want, rtol=1e-6, err_msg=str(type(tau_mem_inv)))


@pytest.mark.parametrize("step", STEPS)
def test_integer_inputs_and_states_are_refused_alike(step):
    f = getattr(n, step)
    ints, floats = jnp.ones((2, 3), jnp.int32), jnp.ones((2, 3), jnp.float32)
    weights = jnp.ones((3, 3), jnp.float32)

    def call(x, s):
        if step == "lif_feed_forward_step":
            return f(x, n.LIFFeedForwardState(s, s), n.LIFParameters())
        if step == "lif_step":
            return f(x, n.LIFState(s, s, s), weights, weights, n.LIFParameters())
        if step == "li_feed_forward_step":
            return f(x, n.LIState(s, s))
        return f(x, n.LIState(s, s), weights)

    arg = "input_tensor" if "feed_forward" in step else "input_spikes"
    with pytest.raises(TypeError, match=rf"{step}: {arg} must have a floating dtype .*got int32"):
        call(ints, floats)
    with pytest.raises(TypeError, match=rf"{step}: state\.\w must have a floating dtype"):
        call(floats, ints)


def test_alpha_is_learnable_through_the_lif_steps():
    # d/dalpha of the spikes is dS/dalpha, SuperSpike's S(x) = x / (alpha |x| + 1):
    # -x |x| / (alpha |x| + 1)^2 at x = v_decayed - v_th.
    x_in = jnp.array([[5.0, 9.0, 14.0, 20.0]], jnp.float64)
    w = jnp.array([1.0, -2.0, 3.0, 0.5], jnp.float64)
    v_decayed, _ = _euler(np.zeros(4), np.zeros(4), np.asarray(x_in[0]), 100.0, 200.0)
    x = v_decayed - 1.0
    for alpha in (2.0, 30.0):
        want = np.sum(np.asarray(w) * -x * np.abs(x) / (alpha * np.abs(x) + 1) ** 2)
        zeros = jnp.zeros((1, 4), jnp.float64)

        def parameters(a):  # float64 numbers: the product dt * tau in double, as above
            return n.LIFParameters(tau_mem_inv=100.0, tau_syn_inv=200.0, v_th=1.0, alpha=a)

        def ff(a):
            p = parameters(a)
            return (n.lif_feed_forward_step(x_in, n.LIFFeedForwardState(zeros, zeros), p)[0]
                    * w).sum()

        def recurrent(a):
            p = parameters(a)
            state = n.LIFState(zeros, zeros, zeros)
            return (n.lif_step(jnp.ones((1, 1), jnp.float64), state, x_in.T,
                               jnp.zeros((4, 4), jnp.float64), p)[0] * w).sum()

        for f in (ff, recurrent):
            np.testing.assert_allclose(jax.grad(f)(jnp.float64(alpha)), want, rtol=1e-12)
            np.testing.assert_allclose(jax.jit(jax.grad(f))(jnp.float64(alpha)), want,
                                       rtol=1e-12)


def test_shapes_that_do_not_fit_are_named_at_the_call():
    p = n.LIFParameters()
    bad = [
        (lambda: n.lif_feed_forward_step(jnp.ones((2, 3)), n.LIFFeedForwardState(
            jnp.zeros((2, 4)), jnp.zeros((2, 4))), p),
         r"lif_feed_forward_step: the shapes of input_tensor \(2, 3\), state.v \(2, 4\)"),
        (lambda: n.li_feed_forward_step(jnp.ones((2, 3)), n.LIState(jnp.zeros((2, 4)),
                                                                    jnp.zeros((2, 4)))),
         r"li_feed_forward_step: the shapes of input_tensor \(2, 3\)"),
        (lambda: n.lif_feed_forward_step(jnp.ones((2, 3)), n.LIFFeedForwardState(
            jnp.zeros((2, 3)), jnp.zeros((2, 3))), n.LIFParameters(tau_mem_inv=jnp.ones(4))),
         r"lif_feed_forward_step: p.tau_mem_inv of shape \(4,\) is not broadcastable to the "
         r"state of shape \(2, 3\)"),
        (lambda: n.lif_step(jnp.ones((2, 3)), n.LIFState(*3 * [jnp.zeros((2, 4))]),
                            jnp.ones((4, 2)), jnp.ones((4, 4)), p),
         r"lif_step: input_weights of shape \(4, 2\) does not fit: Norse's layout is \(out, in\)"),
        (lambda: n.lif_step(jnp.ones((2, 3)), n.LIFState(*3 * [jnp.zeros((2, 4))]),
                            jnp.ones((4, 3)), jnp.ones((3, 3)), p),
         r"lif_step: recurrent_weights of shape \(3, 3\) does not fit"),
        (lambda: n.li_step(jnp.ones((2, 3)), n.LIState(jnp.zeros((2, 4)), jnp.zeros((2, 4))),
                           jnp.ones((5, 3))),
         r"li_step: input_weights of shape \(5, 3\) does not fit"),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()
        with pytest.raises(ValueError, match=message):  # shapes are static: the same under jit
            jax.jit(call)()


def test_an_infinite_threshold_never_fires_eagerly_and_under_jit():
    s = n.LIFFeedForwardState(jnp.zeros(2), jnp.zeros(2))
    x = jnp.array([5.0, 500.0])
    for v_th in (np.inf, jnp.float32(np.inf)):
        p = n.LIFParameters(v_th=v_th)
        eager = n.lif_feed_forward_step(x, s, p)
        jitted = jax.jit(lambda x, p: n.lif_feed_forward_step(x, s, p))(x, p)
        np.testing.assert_array_equal(eager[0], [0, 0])
        for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
            np.testing.assert_array_equal(a, b)
        g = jax.grad(lambda x: n.lif_feed_forward_step(x, s, p)[1].v.sum())(x)
        assert np.isfinite(g).all()


def _lif_run(mode):
    def run(x):
        p = n.LIFParameters(method="super", alpha=jnp.float64(5.0))
        zeros = jnp.zeros(3, jnp.float64)

        def step(state, x_t):
            z, state = n.lif_feed_forward_step(x_t, state, p, mode=mode)
            v, _ = n.li_feed_forward_step(z, n.LIState(state.v, state.i), mode=mode)
            return state, z + v

        return jax.lax.scan(step, n.LIFFeedForwardState(zeros, zeros), x)[1].sum(0)
    return run


def test_forward_mode_through_a_lif_scan_equals_reverse_mode():
    x = jnp.asarray(np.random.default_rng(1).uniform(0, 30, (6, 3)), jnp.float64)
    forward, reverse = _lif_run("forward"), _lif_run("reverse")
    scalar = lambda f: (lambda x: jnp.sin(f(x)).sum())  # noqa: E731
    # One compiled program; forward over forward for the second order (see the
    # next test for why not jax.hessian in a scan).
    jac_forward, jac_reverse, second_forward, second_reverse = jax.jit(lambda x: (
        jax.jacfwd(forward)(x), jax.jacrev(reverse)(x),
        jax.jacfwd(jax.jacfwd(scalar(forward)))(x), jax.jacrev(jax.grad(scalar(reverse)))(x)))(x)
    np.testing.assert_allclose(jac_forward, jac_reverse, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(second_forward, second_reverse, rtol=1e-10, atol=1e-12)


def test_jax_s_reverse_pass_of_a_scan_loses_a_custom_jvp_s_second_order_term():
    # A plain jax.custom_jvp step in a lax.scan, no jaxsurrogate: jax.hessian
    # (jacfwd of jacrev) differs from the unrolled loop's, jacfwd of jacfwd
    # does not. docs/semantics.md sends forward-mode users to jacfwd(jacfwd);
    # when this fails, JAX has fixed it and that advice can go.
    @jax.custom_jvp
    def step_fn(x):
        return (x > 0).astype(x.dtype)

    @step_fn.defjvp
    def _(primals, tangents):
        return step_fn(primals[0]), tangents[0] / (5 * jnp.abs(primals[0]) + 1) ** 2

    def run(scan):
        def body(v, x_t):
            v = v + 0.1 * (x_t - v)
            z = step_fn(v - 1.0)
            return (1 - z) * v, z + (1 - z) * v

        def f(x):
            if scan:
                ys = jax.lax.scan(body, jnp.zeros(2, x.dtype), x)[1]
            else:
                v, ys = jnp.zeros(2, x.dtype), []
                for x_t in x:
                    v, y = body(v, x_t)
                    ys.append(y)
            return jnp.sin(jnp.stack(ys).sum(0) if not scan else ys.sum(0)).sum()
        return f

    x = jnp.asarray(np.random.default_rng(1).uniform(0, 30, (3, 2)), jnp.float64)
    # Compiled (one program each, not op by op): the rules are the same.
    unrolled = jax.jit(jax.hessian(run(False)))(x)
    np.testing.assert_allclose(jax.jit(jax.jacfwd(jax.jacfwd(run(True))))(x), unrolled,
                               atol=1e-15)
    assert np.abs(jax.jit(jax.hessian(run(True)))(x) - unrolled).max() > 1e-3


def test_states_and_parameters_export_with_a_symbolic_batch():
    b, = export.symbolic_shape("b")
    state_of = jax.ShapeDtypeStruct((b, 3), jnp.float32)

    def network(x, lif_state, li_state, p, q):
        z, lif_state = n.lif_feed_forward_step(x, lif_state, p)
        v, li_state = n.li_feed_forward_step(z, li_state, q)
        return v, lif_state, li_state, n.LIFState(z, lif_state.v, lif_state.i)

    p = n.LIFParameters(method="super", alpha=np.float32(3.0))
    q = n.LIParameters()
    exported = export.export(jax.jit(network))(
        state_of, n.LIFFeedForwardState(state_of, state_of), n.LIState(state_of, state_of),
        p, q)
    restored = export.deserialize(exported.serialize())
    x = jnp.asarray(np.random.default_rng(2).uniform(0, 40, (5, 3)), jnp.float32)
    zeros = jnp.zeros((5, 3), jnp.float32)
    args = (x, n.LIFFeedForwardState(zeros, zeros), n.LIState(zeros, zeros), p, q)
    got, want = restored.call(*args), network(*args)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for a, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_array_equal(a, w)


def test_a_method_without_a_registry_name_can_t_be_serialized():
    own = js.preset(js.superspike, "mylab.steep", alpha=300.0)
    p = n.LIFParameters(method=own)
    f = export.export(jax.jit(lambda p: p.v_th * 2))(p)
    with pytest.raises(TypeError, match="LIFParameters.method .* has no registry name"):
        f.serialize()
    named = export.export(jax.jit(lambda p: p.v_th * 2))(n.LIFParameters(method=js.superspike))
    # A function is serialized as its name, which the restored call takes.
    assert export.deserialize(named.serialize()).call(n.LIFParameters(method="superspike")) == 2


def test_weights_are_cast_to_the_step_s_dtype_not_set_it():
    # As Norse's parameters: float64 weights in a float32 network keep it float32.
    s = n.LIFState(*3 * [jnp.zeros((2, 3), jnp.float32)])
    z, state = n.lif_step(jnp.ones((2, 4), jnp.float32), s, np.ones((3, 4)), np.zeros((3, 3)),
                          n.LIFParameters())
    v, li = n.li_step(jnp.ones((2, 4), jnp.float32), n.LIState(s.v, s.i), np.ones((3, 4)))
    assert z.dtype == state.v.dtype == v.dtype == li.i.dtype == jnp.float32
