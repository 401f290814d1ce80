"""Parity of ``jaxsurrogate.neurons`` with Norse 1.1.0 and SpikingJelly 2.0.0 themselves.

Multi-step sequences through each library's own neuron code and ours, in
float32 and float64: the same spikes, and the same weight (or input)
gradients to rounding. The inputs are 0/1 spikes and the weights multiples of
1/8, so the matrix products are exact in both libraries and every difference
would come from the neuron maths. Skips, saying why, where torch, Norse or
SpikingJelly are absent; CI installs them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from jaxsurrogate import neurons

torch = pytest.importorskip("torch", reason="parity needs torch==2.13.0 (pip install '.[parity]')")

T, BATCH, N_IN, N_HIDDEN, N_OUT = 8, 4, 6, 5, 3
DTYPES = {"float32": (jnp.float32, torch.float32), "float64": (jnp.float64, torch.float64)}
TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-12, atol=1e-12)}
# Norse 1.1.0's SuperSpike ignores alpha (computes 1): compare it at alpha 1.
NORSE_METHODS = [("super", 1.0), ("tanh", 2.0), ("triangle", 0.3), ("circ", 1.5),
                 ("heavi_erfc", 1.0), ("heaviside", 100.0)]


def data(seed=0):
    rng = np.random.default_rng(seed)
    spikes = (rng.random((T, BATCH, N_IN)) < 0.5).astype(np.float64)
    w_in = rng.integers(-8, 40, (N_HIDDEN, N_IN)) / 8  # (out, in), as Norse
    w_rec = rng.integers(-16, 16, (N_HIDDEN, N_HIDDEN)) / 8
    w_out = rng.integers(-8, 16, (N_OUT, N_HIDDEN)) / 8
    readout = rng.integers(1, 9, (T, BATCH, N_OUT)) / 8  # weights of the loss
    return spikes, w_in, w_rec, w_out, readout


def _norse():
    lif = pytest.importorskip(
        "norse.torch.functional.lif",
        reason="Norse parity needs `pip install --no-deps norse==1.1.0 nir nirtorch`")
    li = pytest.importorskip("norse.torch.functional.leaky_integrator",
                             reason="Norse parity needs norse==1.1.0")
    return lif, li


def norse_network(recurrent, method, alpha, dtype_name):
    """Norse's own steps: LIF layer (recurrent or fed by a linear map), LI readout."""
    lif, li = _norse()
    tdtype = DTYPES[dtype_name][1]
    spikes, w_in, w_rec, w_out, readout = data()
    spikes_t = torch.tensor(spikes, dtype=tdtype)
    ws = [torch.tensor(w, dtype=tdtype, requires_grad=True) for w in (w_in, w_rec, w_out)]
    p = lif.LIFParameters(method=method, alpha=torch.as_tensor(alpha))  # float32, as Norse's
    zeros = torch.zeros(BATCH, N_HIDDEN, dtype=tdtype)
    state = (lif.LIFState(zeros, zeros, zeros) if recurrent
             else lif.LIFFeedForwardState(zeros, zeros))
    li_state = li.LIState(torch.zeros(BATCH, N_OUT, dtype=tdtype),
                          torch.zeros(BATCH, N_OUT, dtype=tdtype))
    zs, loss = [], 0
    for t in range(T):
        if recurrent:
            z, state = lif.lif_step(spikes_t[t], state, ws[0], ws[1], p)
        else:
            z, state = lif.lif_feed_forward_step(
                torch.nn.functional.linear(spikes_t[t], ws[0]), state, p)
        v, li_state = li.li_step(z, li_state, ws[2], li.LIParameters())
        loss = loss + (v * torch.tensor(readout[t], dtype=tdtype)).sum() + z.sum() / 8
        zs.append(z.detach().numpy())
    loss.backward()
    grads = [w.grad.numpy() if w.grad is not None else np.zeros(w.shape) for w in ws]
    return np.stack(zs), grads


def our_loss(recurrent, p, spikes, readout):
    """The same network with jaxsurrogate.neurons, time unrolled with lax.scan."""
    jdtype = spikes.dtype

    def loss(ws):
        w_in, w_rec, w_out = ws
        zeros = jnp.zeros((BATCH, N_HIDDEN), jdtype)
        state = (neurons.LIFState(zeros, zeros, zeros) if recurrent
                 else neurons.LIFFeedForwardState(zeros, zeros))
        li_state = neurons.LIState(*(jnp.zeros((BATCH, N_OUT), jdtype),) * 2)

        def step(carry, inputs):
            state, li_state = carry
            x, r = inputs
            if recurrent:
                z, state = neurons.lif_step(x, state, w_in, w_rec, p)
            else:
                z, state = neurons.lif_feed_forward_step(x @ w_in.T, state, p)
            v, li_state = neurons.li_step(z, li_state, w_out)
            return (state, li_state), ((v * r).sum() + z.sum() / 8, z)

        _, (terms, zs) = jax.lax.scan(step, (state, li_state), (spikes, readout))
        return terms.sum(), zs

    return loss


def our_networks(recurrent, dtype_name):
    """Spikes and weight gradients for every method, in one compiled function."""
    jdtype = DTYPES[dtype_name][0]
    spikes, w_in, w_rec, w_out, readout = (jnp.asarray(a, jdtype) for a in data())

    def all_methods(ws):
        out = {}
        for method, alpha in NORSE_METHODS:
            p = neurons.LIFParameters(method=method, alpha=np.float32(alpha))
            grads, zs = jax.grad(our_loss(recurrent, p, spikes, readout), has_aux=True)(ws)
            out[method] = (zs, grads)
        return out

    return jax.jit(all_methods)((w_in, w_rec, w_out))


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("recurrent", [False, True], ids=["feed_forward", "recurrent"])
def test_lif_and_li_steps_match_norse(recurrent, dtype_name):
    ours = our_networks(recurrent, dtype_name)
    for method, alpha in NORSE_METHODS:
        z_norse, g_norse = norse_network(recurrent, method, alpha, dtype_name)
        z_ours, g_ours = ours[method]
        assert 0.1 < z_norse.mean() < 0.9, z_norse.mean()  # spikes happen, not always
        np.testing.assert_array_equal(z_ours, z_norse, err_msg=method)
        tol = dict(TOL[dtype_name])
        if method == "heavi_erfc" and dtype_name == "float64":
            # Norse's float32 sqrt(pi) (3e-8 relative), through the whole network.
            tol = dict(rtol=1e-6, atol=1e-6)
        for name, a, b in zip(("w_in", "w_rec", "w_out"), g_ours, g_norse):
            scale = np.abs(b).max() + 1
            np.testing.assert_allclose(a, b, rtol=tol["rtol"], atol=tol["atol"] * scale,
                                       err_msg=f"{method} {name}")
        if method != "heaviside":
            assert np.abs(g_norse[0]).max() > 0  # the surrogate really flows


def _spikingjelly():
    neuron = pytest.importorskip(
        "spikingjelly.activation_based.neuron",
        reason="SpikingJelly parity needs `pip install --no-deps spikingjelly==2.0.0` and loguru")
    surrogate = pytest.importorskip("spikingjelly.activation_based.surrogate",
                                    reason="SpikingJelly parity needs spikingjelly==2.0.0")
    return neuron, surrogate


SJ_TAU = 2.0
SJ_SURROGATES = [("Sigmoid", "spikingjelly.sigmoid"), ("ATan", "spikingjelly.atan")]
SJ_POLICIES = [(v_reset, detach) for v_reset in (0.0, -0.5, None) for detach in (False, True)]


def sj_inputs(dtype):
    rng = np.random.default_rng(1)
    return rng.uniform(0.0, 3.5, (T, BATCH, N_HIDDEN)).astype(dtype), rng.uniform(
        0.5, 1.5, (T, BATCH, N_HIDDEN)).astype(dtype)


def sj_run(surrogate_name, v_reset, detach, dtype):
    """SpikingJelly's own multi-step LIFNode: spikes and the input gradient."""
    neuron, surrogate = _spikingjelly()
    x, weights = sj_inputs(dtype)
    node = neuron.LIFNode(tau=SJ_TAU, decay_input=True, v_threshold=1.0, v_reset=v_reset,
                          surrogate_function=getattr(surrogate, surrogate_name)(),
                          detach_reset=detach, step_mode="m")
    xt = torch.tensor(x, requires_grad=True)
    spikes = node(xt)
    (spikes * torch.tensor(weights)).sum().backward()
    return spikes.detach().numpy(), xt.grad.numpy()


def our_sj_runs(dtype):
    """The same charge equation, then fire, for every surrogate and policy: one jit."""
    x, weights = (jnp.asarray(a) for a in sj_inputs(dtype))

    def loss(x, preset, v_reset, detach):
        reset_value = 0.0 if v_reset is None else v_reset

        def step(v, x_t):
            h = v + (x_t - (v - reset_value)) / SJ_TAU  # SpikingJelly's charge
            reset = "subtract" if v_reset is None else "zero"
            return js.fire(h, 1.0, spike=preset, reset=reset, v_reset=reset_value,
                           detach_reset=detach)[::-1]

        v0 = jnp.full(x.shape[1:], reset_value, x.dtype)  # SpikingJelly starts at v_reset (or 0)
        _, spikes = jax.lax.scan(step, v0, x)
        return (spikes * weights).sum(), spikes

    def all_runs(x):
        return {f"{preset} {v_reset} {detach}": jax.grad(loss, has_aux=True)(x, preset, v_reset, detach)
                for _, preset in SJ_SURROGATES for v_reset, detach in SJ_POLICIES}

    return jax.jit(all_runs)(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fire_matches_spikingjelly_lif_node(dtype):
    ours = our_sj_runs(dtype)
    for sj_name, preset in SJ_SURROGATES:
        for v_reset, detach in SJ_POLICIES:
            spikes, grad = sj_run(sj_name, v_reset, detach, dtype)
            our_grad, our_spikes = ours[f"{preset} {v_reset} {detach}"]
            what = f"{preset} v_reset={v_reset} detach_reset={detach}"
            assert 0.1 < spikes.mean() < 0.9, what
            np.testing.assert_array_equal(our_spikes, spikes, err_msg=what)
            tol = TOL["float32" if dtype == np.float32 else "float64"]
            np.testing.assert_allclose(our_grad, grad, rtol=tol["rtol"],
                                       atol=tol["atol"] * np.abs(grad).max(), err_msg=what)


SNN_BETA = 0.8


def snntorch_inputs():
    x, weights = sj_inputs(np.float32)
    return x * np.float32(0.4), weights  # no 1/tau in snnTorch's charge


def snntorch_run(reset_mechanism):
    """snnTorch's own Leaky over a sequence: spikes and the input gradient, float32."""
    snn = pytest.importorskip("snntorch", reason="snnTorch parity needs "
                              "`pip install --no-deps snntorch==1.0.0`")
    x, weights = snntorch_inputs()
    leaky = snn.Leaky(beta=SNN_BETA, threshold=1.0, reset_mechanism=reset_mechanism)
    xt = torch.tensor(x, requires_grad=True)
    mem = leaky.init_leaky()
    spikes = []
    for t in range(T):
        spk, mem = leaky(xt[t], mem)
        spikes.append(spk)
    spikes = torch.stack(spikes)
    (spikes * torch.tensor(weights)).sum().backward()
    return spikes.detach().numpy(), xt.grad.numpy()


def our_snntorch_runs():
    """snnTorch's order with fire: "zero" is fire's detached zero reset; "subtract"
    subtracts the previous step's detached spike after the decay, so fire only
    thresholds (reset="none")."""
    x, weights = (jnp.asarray(a) for a in snntorch_inputs())

    def zero(v, x_t):
        z, v = js.fire(SNN_BETA * v + x_t, 1.0, spike="snntorch.atan", reset="zero",
                       detach_reset=True)
        return v, z

    def subtract(carry, x_t):
        v, z_prev = carry
        v = SNN_BETA * v + x_t - jax.lax.stop_gradient(z_prev) * 1.0
        z, v = js.fire(v, 1.0, spike="snntorch.atan", reset="none")
        return (v, z), z

    def loss(x, body, init):
        _, spikes = jax.lax.scan(body, init, x)
        return (spikes * weights).sum(), spikes

    zeros = jnp.zeros(x.shape[1:], jnp.float32)
    return {"zero": jax.grad(loss, has_aux=True)(x, zero, zeros),
            "subtract": jax.grad(loss, has_aux=True)(x, subtract, (zeros, zeros))}


def test_fire_reproduces_snntorch_leaky_resets():
    ours = our_snntorch_runs()
    for mechanism in ("zero", "subtract"):
        spikes, grad = snntorch_run(mechanism)
        our_grad, our_spikes = ours[mechanism]
        assert 0.1 < spikes.mean() < 0.9, mechanism
        np.testing.assert_array_equal(our_spikes, spikes, err_msg=mechanism)
        np.testing.assert_allclose(our_grad, grad, rtol=2e-5, atol=2e-5 * np.abs(grad).max(),
                                   err_msg=mechanism)
