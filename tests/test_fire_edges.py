"""``fire`` at the edges: second derivatives, infinities, saturated residuals,
spike counts, and the checks at the call.

References: the same step written as a plain ``jax.numpy`` composition with
``stop_gradient`` (``tests/test_fire.py``'s), closed-form limits, and
SpikingJelly 2.0.0's I-LIF neuron itself.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import jaxsurrogate as js
from tests.test_fire import POLICIES, composition

MODES = ("reverse", "forward")
V = jnp.array([0.3, 1.05, 0.6, 2.5], jnp.float64)


def _steps(reset, detach, mode):
    spike = js.superspike if mode == "reverse" else js.forward_mode(js.superspike)

    def ours(v, v_th):
        return js.fire(v, v_th, alpha=2.0, reset=reset, detach_reset=detach, mode=mode)

    def theirs(v, v_th):
        return composition(spike, v, v_th, 0.0, reset, detach, alpha=2.0)

    return ours, theirs


def _loss(step):
    def loss(v, v_th):
        z, v_next = step(v, v_th)
        return jnp.sin(v_next).sum() + (z * jnp.arange(1.0, 5.0)).sum()
    return loss


@pytest.mark.parametrize("mode", MODES)
def test_second_derivatives_equal_the_composition_s(mode):
    def derivatives(f, v, v_th):
        if mode == "reverse":
            return (jax.grad(lambda v: jax.grad(f)(v, v_th).sum())(v),
                    jax.grad(lambda t: jax.grad(f)(v, t).sum())(v_th))
        return jax.hessian(f)(v, v_th), None

    # Every policy, ours and the composition, in one compiled program.
    results = jax.jit(lambda v, v_th: [
        [derivatives(_loss(s), v, v_th) for s in _steps(reset, detach, mode)]
        for reset, detach in POLICIES])(V, jnp.float64(1.0))
    for (reset, detach), (ours, theirs) in zip(POLICIES, results):
        what = f"{reset} detach_reset={detach} mode={mode}"
        for got, want in zip(ours, theirs):  # the second derivative; the mixed one
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=what)


def test_detached_reset_has_no_second_order_term():
    # The case: d2/dv2 sin(v_next) with v_next = (1 - sg(z)) v is
    # -sin(v) (1 - z)^2: -sin(0.3) below threshold, 0 after a spike.
    v = jnp.array([0.3, 1.05], jnp.float64)
    f = lambda v: jnp.sin(js.fire(v, 1.0, alpha=2.0, detach_reset=True)[1]).sum()  # noqa: E731
    second = jax.grad(lambda v: jax.grad(f)(v).sum())(v)
    np.testing.assert_allclose(second, [-np.sin(0.3), 0.0], atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
def test_infinite_potentials_give_the_limits_not_nan(mode):
    v = jnp.array([np.inf, -np.inf, 0.5, 1.5], jnp.float64)
    for reset, detach in POLICIES:
        what = f"{reset} detach_reset={detach} mode={mode}"
        f = lambda v: js.fire(v, 1.0, reset=reset, detach_reset=detach, mode=mode)  # noqa: E731
        z, v_next = f(v)
        np.testing.assert_array_equal(z, [1, 0, 0, 1], err_msg=what)
        # A spike at +inf resets to v_reset = 0; -inf stays where it is.
        want = {"zero": [0, -np.inf, 0.5, 0], "subtract": [np.inf, -np.inf, 0.5, 0.5],
                "none": [np.inf, -np.inf, 0.5, 1.5]}[reset]
        np.testing.assert_array_equal(v_next, want, err_msg=what)
        # The spikes' gradient is g(+-inf) = 0, as for the spike function.
        g_z = jax.grad(lambda v: f(v)[0].sum())(v)
        np.testing.assert_array_equal(g_z[:2], [0, 0], err_msg=what)
        np.testing.assert_array_equal(g_z[2:], jax.grad(lambda v: js.superspike(v - 1).sum())(
            v[2:]), err_msg=what)
        # d v_next / dv: the reset's term g(x) (v_reset - v) has the limit 0.
        g_v = jax.grad(lambda v: f(v)[1].sum())(v)
        assert np.isfinite(g_v).all(), (what, g_v)
        keep = {"zero": [0.0, 1.0], "subtract": [1.0, 1.0], "none": [1.0, 1.0]}[reset]
        np.testing.assert_array_equal(g_v[:2], keep, err_msg=what)


def test_infinite_thresholds_are_accepted_eagerly_and_under_jit_alike():
    v = jnp.array([0.5, 2.0], jnp.float32)
    for v_th in (np.inf, -np.inf, jnp.float32(np.inf)):
        for reset in ("zero", "subtract", "none"):
            eager = js.fire(v, v_th, reset=reset)
            jitted = jax.jit(lambda v, t: js.fire(v, t, reset=reset))(v, jnp.float32(v_th))
            np.testing.assert_array_equal(eager[0], jitted[0])
            np.testing.assert_array_equal(eager[1], jitted[1])
            assert not np.isnan(eager[1]).any(), (v_th, reset, eager)
            g = jax.grad(lambda v: js.fire(v, v_th, reset=reset)[1].sum())(v)
            assert np.isfinite(g).all(), (v_th, reset, g)
    # +inf: a neuron that never fires; -inf: one that always does.
    np.testing.assert_array_equal(js.fire(v, np.inf, reset="subtract")[1], v)
    np.testing.assert_array_equal(js.fire(v, -np.inf)[0], [1, 1])
    with pytest.raises(ValueError, match="fire: v_th must be a number .*not NaN, got nan"):
        js.fire(v, np.nan)


def test_a_saturated_residual_keeps_gradients_finite():
    # |v - v_th| beyond float16's 65504: saved as +-65504, not +-inf.
    v = jnp.array([-1e6, -7e4, 0.3, 1.2, 7e4, 1e6], jnp.float32)
    for reset, detach in POLICIES:
        def grads(dtype):
            return jax.grad(lambda v: sum(o.sum() for o in js.fire(
                v, 1.0, reset=reset, detach_reset=detach, residual_dtype=dtype)))(v)

        half, full = grads(jnp.float16), grads(jnp.float32)
        assert np.isfinite(half).all(), (reset, detach, half)
        # Far from the threshold g(x) (v_reset - v) is ~1e-9 either way.
        np.testing.assert_allclose(half, full, rtol=2e-3, atol=1e-8, err_msg=f"{reset} {detach}")


def test_residual_dtype_is_one_of_the_four_floats_and_reverse_mode_only():
    v = jnp.ones(3, jnp.float32)
    for dtype in (ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2, jnp.int8):
        with pytest.raises(TypeError, match="fire: residual_dtype must be a floating dtype "
                                            r"\(float16, bfloat16, float32 or float64\)"):
            js.fire(v, residual_dtype=dtype)
    with pytest.raises(ValueError, match="fire: residual_dtype is for mode='reverse'"):
        js.fire(v, residual_dtype=jnp.bfloat16, mode="forward")


@pytest.mark.parametrize("spike", ["multispike", "spikingjelly.multi_level_spike_count"])
def test_spike_counts_refuse_the_zero_reset(spike):
    v = jnp.array([0.5, 9.0], jnp.float32)
    for given in (spike, js.get(spike)):
        with pytest.raises(ValueError, match="fire: reset='zero' needs 0/1 spikes.*"
                                             "reset='subtract'"):
            js.fire(v, spike=given)
    z, v_next = js.fire(v, 1.0, spike=spike, reset="subtract")
    np.testing.assert_array_equal(z, [0, 4])
    np.testing.assert_array_equal(v_next, [0.5, 5.0])


def test_an_alpha_that_does_not_fit_v_is_named():
    v = jnp.ones((2, 4), jnp.float32)
    with pytest.raises(ValueError, match=r"fire: alpha of shape \(3,\) is not broadcastable "
                                         r"to v of shape \(2, 4\)"):
        js.fire(v, alpha=jnp.ones(3, jnp.float32))
    with pytest.raises(ValueError, match=r"fire: alpha of shape \(3,\) is not broadcastable"):
        jax.jit(lambda v, a: js.fire(v, alpha=a))(v, jnp.ones(3, jnp.float32))


def test_the_integer_lif_recipe_is_spikingjelly_s_ilif():
    torch = pytest.importorskip("torch", reason="SpikingJelly parity needs torch==2.13.0")
    neuron = pytest.importorskip("spikingjelly.activation_based.neuron",
                                 reason="needs `pip install --no-deps spikingjelly==2.0.0`")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 3.5, (12, 2, 5))
    tau, v_th = 4.0 / 3.0, 0.8

    node = neuron.ILIFNode(tau=tau, v_threshold=v_th, step_mode="m")
    xt = torch.tensor(x, requires_grad=True)
    counts = node(xt)
    counts.sum().backward()

    def ours(x):  # the recipe in js.multispike's docstring
        def step(v, x_t):
            h = (1 - 1 / tau) * v + x_t
            z = js.multispike(h / v_th)
            return h - z * v_th, z
        return jax.lax.scan(step, jnp.zeros_like(x[0]), x)[1]

    xj = jnp.asarray(x)
    np.testing.assert_array_equal(ours(xj), counts.detach().numpy())
    np.testing.assert_allclose(jax.grad(lambda x: ours(x).sum())(xj), xt.grad.numpy(),
                               rtol=1e-12, atol=1e-12)
