"""``fire``: the step's values and gradients, its one residual, transforms, errors.

References: closed-form float64 maths written here (the SuperSpike step and
its vector-Jacobian product), and, for every name and preset, the same step
written as a plain ``jax.numpy`` composition around the spike function: fire
must give the same spikes and potentials bit for bit, and the same gradients
to rounding.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import jaxsurrogate as js
from jaxsurrogate.neurons import RESIDUAL_NAME
from tests.helpers import every_maths

POLICIES = [(r, d) for r in ("zero", "subtract", "none") for d in (False, True)]
# Potentials around a threshold of 1 (after the -1: 0, +-0 edge, the SuperSpike
# kink scale, far values).
V = np.array([[-1.0, 0.7, 1.0, 1.001, 1.3, 2.0, 1.0 - 1e-9, 5.0]])
WEIGHT_Z = np.arange(1.0, 9.0)
WEIGHT_V = np.arange(8.0, 0.0, -1.0) / 4


def composition(fn, v, v_th, v_reset, reset, detach, **kw):
    """The step as users write it around a spike function."""
    z = fn(v - v_th, **kw)
    z_r = jax.lax.stop_gradient(z) if detach else z
    if reset == "zero":
        return z, (1 - z_r) * v + z_r * v_reset
    if reset == "subtract":
        return z, v - z_r * v_th
    return z, v


def loss_of(step):
    """A loss reaching both outputs, with the outputs as aux."""

    def loss(v, v_th, v_reset):
        z, v_next = step(v, v_th, v_reset)
        wz = jnp.asarray(WEIGHT_Z, v.dtype)
        wv = jnp.asarray(WEIGHT_V, v.dtype)
        return (z * wz).sum() + (v_next * v_next * wv).sum(), (z, v_next)

    return loss


def test_every_maths_matches_the_composition():
    names = every_maths()  # every shape's maths, and each library's H(0)

    def all_steps(v):
        out = {}
        for i, name in enumerate(names):
            fn = js.get(name)
            kw = {"key": jax.random.key(i)} if fn.declaration.stochastic else {}
            reset, detach = POLICIES[i % len(POLICIES)]

            def ours(v, t, r, mode):
                return js.fire(v, t, spike=name, reset=reset, v_reset=r, detach_reset=detach,
                               mode=mode, **kw)

            def theirs(v, t, r, mode):
                spike = js.forward_mode(fn) if mode == "forward" else fn
                return composition(spike, v, t, r, reset, detach, **kw)

            # Reverse mode, vmapped over the rows; forward mode through the twin.
            out[name] = [
                [jax.vmap(jax.grad(loss_of(lambda v, t, r: f(v, t, r, "reverse")),
                                   argnums=(0, 1, 2), has_aux=True), (0, None, None))(
                    v, 1.0, -0.25) for f in (ours, theirs)],
                [jax.jvp(lambda v, t: f(v, t, -0.25, "forward"), (v, 1.0), (v * 0.5, 0.25))
                 for f in (ours, theirs)]]
        return out

    # One program for all names; LLVM's optimisations would take most of the
    # test's time and both sides are compiled alike.
    fast_compile = {"xla_backend_optimization_level": 0}
    results = jax.jit(all_steps, compiler_options=fast_compile)(
        jnp.asarray(np.stack([V[0], V[0][::-1] * 0.9])))
    for name, (reverse, forward) in results.items():
        (g_ours, (z_ours, v_ours)), (g_ref, (z_ref, v_ref)) = reverse
        np.testing.assert_array_equal(z_ours, z_ref, err_msg=name)
        np.testing.assert_array_equal(v_ours, v_ref, err_msg=name)
        for a, b in zip(g_ours, g_ref):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)
        (out_ours, tangent_ours), (out_ref, tangent_ref) = forward
        for a, b in zip(out_ours, out_ref):
            np.testing.assert_array_equal(a, b, err_msg=name)
        for a, b in zip(tangent_ours, tangent_ref):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


def superspike_reference(v, v_th, v_reset, alpha, reset, detach):
    """Closed-form float64 SuperSpike step and its gradient for ``loss_of``."""
    v = v.astype(np.float64)
    x = v - v_th
    z = (x > 0).astype(np.float64)
    g = 1.0 / (alpha * np.abs(x) + 1.0) ** 2
    v_next = {"zero": (1 - z) * v + z * v_reset, "subtract": v - z * v_th, "none": v}[reset]
    ct_z, ct_v = WEIGHT_Z + 0 * v, 2 * v_next * WEIGHT_V
    d_next_dv = {"zero": 1 - z, "subtract": 1 + 0 * z, "none": 1 + 0 * z}[reset]
    d_next_dz = 0 * z if detach else {"zero": v_reset - v, "subtract": -v_th + 0 * z,
                                      "none": 0 * z}[reset]
    ct_x = (ct_z + ct_v * d_next_dz) * g
    grad_v = ct_v * d_next_dv + ct_x
    grad_th = -ct_x - (ct_v * z if reset == "subtract" else 0)
    grad_reset = ct_v * z if reset == "zero" else 0 * z
    # d/dalpha of S = x / (alpha |x| + 1): the total cotangent reaching z times it.
    grad_alpha = (ct_z + ct_v * d_next_dz) * (-x * np.abs(x) / (alpha * np.abs(x) + 1) ** 2)
    return z, v_next, grad_v, grad_th, grad_reset, grad_alpha


@pytest.mark.parametrize("reset,detach", POLICIES)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_superspike_step_against_closed_form(reset, detach, dtype):
    alpha = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 1.0, 3.0])  # per neuron
    v_th = np.linspace(0.8, 1.2, 8)
    v_reset = np.full(8, -0.25)
    v = (V + 0.1 * np.arange(3)[:, None]).astype(dtype)  # (3, 8), batch of 3

    def loss(v, v_th, v_reset, alpha):
        z, v_next = js.fire(v, v_th, spike=js.superspike, alpha=alpha, reset=reset,
                            v_reset=v_reset, detach_reset=detach, learn_alpha=True)
        return (z * WEIGHT_Z.astype(dtype)).sum() + (v_next ** 2 * WEIGHT_V.astype(dtype)).sum()

    args = [jnp.asarray(a, dtype) for a in (v, v_th, v_reset, alpha)]
    z, v_next = js.fire(args[0], args[1], alpha=args[3], reset=reset, v_reset=args[2],
                        detach_reset=detach)
    grads = jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)))(*args)
    ref = superspike_reference(np.asarray(args[0]), *(np.asarray(a, np.float64) for a in
                                                     (args[1], args[2], args[3])), reset, detach)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == jnp.float64 else dict(rtol=2e-6, atol=2e-6)
    np.testing.assert_array_equal(z, ref[0])
    np.testing.assert_allclose(v_next, ref[1], **tol)
    np.testing.assert_allclose(grads[0], ref[2], **tol)
    # Per-neuron operands: cotangents summed over the batch, in their own shapes.
    for got, want in zip(grads[1:], ref[3:]):
        assert got.shape == (8,) and got.dtype == dtype
        np.testing.assert_allclose(got, want.sum(0), **tol)


def test_forward_mode_twin_matches_the_closed_form():
    v = jnp.asarray(V[0], jnp.float64)
    for reset, detach in POLICIES:
        def out(v, v_th, reset=reset, detach=detach):
            return js.fire(v, v_th, alpha=2.0, reset=reset, v_reset=-0.25,
                           detach_reset=detach, mode="forward")

        ref = superspike_reference(np.asarray(v), 1.0, -0.25, 2.0, reset, detach)
        # jacfwd of the sum of both outputs against the reference's per-element terms.
        jz, jv = jax.jacfwd(out)(v, 1.0)
        z = ref[0]
        g = 1.0 / (2.0 * np.abs(np.asarray(v) - 1.0) + 1.0) ** 2
        np.testing.assert_allclose(np.diag(jz), g, rtol=1e-12)
        d_next_dz = 0 * z if detach else {"zero": -0.25 - np.asarray(v),
                                          "subtract": -1.0 + 0 * z, "none": 0 * z}[reset]
        d_next_dv = {"zero": 1 - z, "subtract": 1 + 0 * z, "none": 1 + 0 * z}[reset]
        np.testing.assert_allclose(np.diag(jv), d_next_dv + d_next_dz * g, rtol=1e-12)
        # Reverse mode through the twin agrees with the custom_vjp.
        f_rev = loss_of(lambda v, t, r: js.fire(v, t, alpha=2.0, reset=reset, v_reset=r,
                                                detach_reset=detach))
        f_fwd = loss_of(lambda v, t, r: js.fire(v, t, alpha=2.0, reset=reset, v_reset=r,
                                                detach_reset=detach, mode="forward"))
        for a, b in zip(jax.grad(f_rev, (0, 1, 2), has_aux=True)(v, 1.0, -0.25)[0],
                        jax.grad(f_fwd, (0, 1, 2), has_aux=True)(v, 1.0, -0.25)[0]):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_stochastic_spike_redraws_from_its_key():
    v = jnp.asarray(V[0], jnp.float64)
    key = jax.random.key(7)
    z, _ = js.fire(v, 1.0, spike="logistic", alpha=2.0, key=key)
    np.testing.assert_array_equal(z, js.logistic(v - 1.0, 2.0, key=key))
    ours = loss_of(lambda v, t, r: js.fire(v, t, spike="logistic", alpha=2.0, key=key, v_reset=r))
    ref = loss_of(lambda v, t, r: composition(js.logistic, v, t, r, "zero", False,
                                              alpha=2.0, key=key))
    for a, b in zip(jax.grad(ours, (0, 1, 2), has_aux=True)(v, 1.0, 0.0)[0],
                    jax.grad(ref, (0, 1, 2), has_aux=True)(v, 1.0, 0.0)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_stochastic_spike_with_traced_keys_in_a_jitted_scan():
    def loss(currents, key, step):
        def body(v, inputs):
            current, k = inputs
            z, v = step(v + current, k)
            return v, z

        keys = jax.random.split(key, currents.shape[0])
        _, zs = jax.lax.scan(body, jnp.zeros(currents.shape[1:]), (currents, keys))
        return (zs * jnp.arange(1.0, 5.0)).sum()

    currents = jnp.asarray(np.random.default_rng(0).uniform(0, 0.8, (6, 3, 4)))
    steps = {"fire": lambda v, k: js.fire(v, 1.0, spike="circ_dist", key=k),
             "forward": lambda v, k: js.fire(v, 1.0, spike="circ_dist", key=k, mode="forward"),
             "composition": lambda v, k: composition(js.circ_dist, v, 1.0, 0.0, "zero", False,
                                                     key=k)}
    grads = {name: jax.jit(jax.value_and_grad(loss), static_argnums=2)(
        currents, jax.random.key(3), step) for name, step in steps.items()}
    for name in ("fire", "forward"):
        assert grads[name][0] == grads["composition"][0]  # the same draws
        np.testing.assert_allclose(grads[name][1], grads["composition"][1], rtol=1e-12)


def scan_layer(step, dtype=jnp.float32, T=6, B=2, N=8):
    """A LIF-like recurrence over T steps driven by currents; loss of the spikes."""

    def loss(currents, v_th):
        def body(v, current):
            z, v = step(v + current, v_th)
            return v, z

        _, zs = jax.lax.scan(body, jnp.zeros((B, N), dtype), currents)
        return (zs * jnp.arange(T, dtype=dtype)[:, None, None]).sum()

    currents = jax.random.uniform(jax.random.key(0), (T, B, N), dtype, 0.0, 0.6)
    return loss, currents


def stacked_residuals(loss, *args):
    """The (T, ...) arrays the backward pass of a scan keeps."""
    _, pull = jax.vjp(loss, *args)
    return [a for a in jax.tree.leaves(pull)
            if getattr(a, "shape", None) == args[0].shape and a is not args[0]]


def test_one_residual_per_step_in_x_dtype_or_residual_dtype():
    comp = lambda v, t: composition(js.superspike, v, t, 0.0, "zero", False)  # noqa: E731
    for step, count, dtype in [
        (lambda v, t: js.fire(v, t), 1, jnp.float32),
        (lambda v, t: js.fire(v, t, residual_dtype=jnp.bfloat16), 1, jnp.bfloat16),
        (comp, 3, jnp.float32),  # what the composition keeps: x, the spikes, v
    ]:
        loss, currents = scan_layer(step)
        kept = stacked_residuals(loss, currents, jnp.float32(1.0))
        assert len(kept) == count, [(a.shape, a.dtype) for a in kept]
        assert all(a.dtype == dtype for a in kept)
    # The one kept array is x = v - v_th itself.
    loss, currents = scan_layer(lambda v, t: js.fire(v, t))
    (x,) = stacked_residuals(loss, currents, jnp.float32(1.0))
    v = np.zeros((2, 8), np.float32)
    for t in range(6):
        v = v + np.asarray(currents[t])
        np.testing.assert_array_equal(x[t], v - np.float32(1.0))
        v = np.where(v - 1 > 0, 0, v).astype(np.float32)


def test_bfloat16_residual_same_spikes_gradient_within_its_rounding():
    loss, currents = scan_layer(lambda v, t: js.fire(v, t, alpha=2.0))
    loss16, _ = scan_layer(lambda v, t: js.fire(v, t, alpha=2.0, residual_dtype=jnp.bfloat16))
    assert loss(currents, 1.0) == loss16(currents, 1.0)
    g, g16 = (jax.grad(f)(currents, 1.0) for f in (loss, loss16))
    # bfloat16 keeps 8 bits: x relative error 2^-9 per step, through g and v.
    np.testing.assert_allclose(g16, g, rtol=0.05, atol=0.05 * float(jnp.abs(g).max()))
    assert not np.array_equal(g16, g)  # it is really kept in bfloat16


def test_remat_policy_saves_or_recomputes_the_residual_by_name():
    save_x = jax.checkpoint_policies.save_only_these_names(RESIDUAL_NAME)
    offload_x = jax.checkpoint_policies.save_and_offload_only_these_names(
        names_which_can_be_saved=[], names_which_can_be_offloaded=[RESIDUAL_NAME],
        offload_src="device", offload_dst="pinned_host")
    loss, currents = scan_layer(lambda v, t: js.fire(v, t))
    base = jax.grad(loss)(currents, 1.0)
    v = np.cumsum(np.asarray(currents), 0)[1]  # step 0 stays below threshold (currents < 0.6)
    for policy, kept_value in [(save_x, v - 1), (jax.checkpoint_policies.nothing_saveable, v)]:
        loss, _ = scan_layer(jax.checkpoint(lambda v, t: js.fire(v, t), policy=policy))
        (kept,) = stacked_residuals(loss, currents, jnp.float32(1.0))
        np.testing.assert_allclose(kept[1], kept_value, rtol=1e-6)
        np.testing.assert_array_equal(jax.jit(jax.grad(loss))(currents, 1.0), base)
    loss, _ = scan_layer(jax.checkpoint(lambda v, t: js.fire(v, t), policy=offload_x))
    np.testing.assert_array_equal(jax.jit(jax.grad(loss))(currents, 1.0), base)


def per_neuron_loss(v, v_th, alpha, v_reset):
    z, v_next = js.fire(v, v_th, spike="spikingjelly.atan", alpha=alpha, v_reset=v_reset,
                        learn_alpha=True)
    return z.sum() + (v_next * v_next).sum()


def per_neuron_args(dtype, batch=3):
    v = jnp.asarray(np.linspace(0.0, 2.0, batch * 4).reshape(batch, 4), dtype)
    per_neuron = [jnp.asarray(a, dtype) for a in ([0.9, 1.0, 1.1, 1.2], [1.0, 2.0, 3.0, 4.0],
                                                  [0.0, -0.1, -0.2, -0.3])]
    return v, *per_neuron


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64])
def test_strict_dtype_promotion(dtype):
    args = per_neuron_args(dtype)
    # Promotion errors are raised while tracing: one compiled program.
    with jax.numpy_dtype_promotion("strict"):
        (z, v_next), grads, jvp = jax.jit(lambda *args: (
            js.fire(args[0], 1.0),  # a Python threshold is weakly typed
            jax.grad(per_neuron_loss, argnums=(0, 1, 2, 3))(*args),
            jax.jvp(lambda v: js.fire(v, args[1], mode="forward")[1], (args[0],),
                    (jnp.ones_like(args[0]),))))(*args)
    assert z.dtype == v_next.dtype == dtype
    assert [g.dtype for g in grads] == [dtype] * 4
    assert jvp[1].dtype == dtype


def test_rank_promotion_raise_with_per_neuron_operands():
    args = per_neuron_args(jnp.float32)
    with jax.numpy_rank_promotion("raise"):
        grads = jax.jit(jax.grad(per_neuron_loss, argnums=(0, 1, 2, 3)))(*args)
        jax.jacfwd(lambda v: js.fire(v, args[1], alpha=args[2], mode="forward")[1])(args[0])
    assert [g.shape for g in grads] == [(3, 4), (4,), (4,), (4,)]
    # Each per-neuron cotangent is the batch sum of the per-element one.
    full = [jnp.broadcast_to(a, (3, 4)) for a in args[1:]]
    per_element = jax.grad(per_neuron_loss, argnums=(1, 2, 3))(args[0], *full)
    for got, want in zip(grads[1:], per_element):
        np.testing.assert_allclose(got, want.sum(0), rtol=1e-6)


def test_operand_shapes_and_dtypes_come_back_as_given():
    v = jnp.asarray(np.linspace(0.0, 2.0, 12).reshape(3, 4), jnp.float32)
    for v_th in (jnp.float64(1.0), jnp.ones((1, 4), jnp.float64), jnp.ones((3, 1), jnp.float64),
                 jnp.ones((3, 4), jnp.float64)):
        g = jax.grad(lambda t: js.fire(v, t, alpha=1.0)[0].sum())(v_th)
        assert g.shape == v_th.shape and g.dtype == jnp.float64
        # dz/dv_th = -g(x) summed over what was broadcast.
        x = np.asarray(v, np.float64) - 1.0
        want = -1.0 / (np.abs(x) + 1.0) ** 2
        summed = tuple(i for i in range(2) if v_th.ndim == 0 or v_th.shape[i] == 1)
        np.testing.assert_allclose(g, want.sum(axis=summed, keepdims=True).reshape(v_th.shape),
                                   rtol=1e-6)


def test_vmap_over_potentials_and_thresholds():
    v = jnp.asarray(np.linspace(0.0, 2.0, 12).reshape(3, 4), jnp.float64)
    v_th = jnp.asarray([0.5, 1.0, 1.5], jnp.float64)
    z, v_next = jax.vmap(lambda v, t: js.fire(v, t))(v, v_th)
    zr, vr = js.fire(v, v_th[:, None])
    np.testing.assert_array_equal(z, zr)
    np.testing.assert_array_equal(v_next, vr)
    g = jax.vmap(jax.grad(lambda v, t: js.fire(v, t)[1].sum(), argnums=1))(v, v_th)
    np.testing.assert_allclose(g, jax.grad(lambda t: js.fire(v, t[:, None])[1].sum())(v_th))


def test_symbolic_batch_export():
    def grads(v, v_th, alpha):
        return jax.grad(lambda v, t, a: js.fire(v, t, alpha=a, spike="super")[0].sum()
                        + js.fire(v, t, alpha=a, spike="super")[1].sum(),
                        argnums=(0, 1))(v, v_th, alpha)

    b = export.symbolic_shape("b")[0]
    exported = export.export(jax.jit(grads))(
        jax.ShapeDtypeStruct((b, 4), jnp.float32), jax.ShapeDtypeStruct((4,), jnp.float32),
        jax.ShapeDtypeStruct((4,), jnp.float32))
    args = per_neuron_args(jnp.float32, batch=5)
    got = exported.call(args[0], args[1], args[2])
    want = jax.jit(grads)(args[0], args[1], args[2])
    for a, w in zip(got, want):
        np.testing.assert_allclose(a, w, rtol=1e-6)  # a program for any b: rounding may differ


def test_extra_shape_parameters_are_forwarded_and_checked():
    v = jnp.asarray(V[0], jnp.float64)
    g = jax.grad(lambda v: js.fire(v, 1.0, spike="gaussian", alpha=1.0, sigma=0.25)[0].sum())(v)
    x = np.asarray(v) - 1.0
    np.testing.assert_allclose(g, np.exp(-0.5 * (x / 0.25) ** 2) / (0.25 * np.sqrt(2 * np.pi)),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="sigma must be finite and > 0"):
        js.fire(v, 1.0, spike="gaussian", sigma=-1.0)
    with pytest.raises(ValueError, match="sigma must be finite and > 0"):
        js.fire(v, 1.0, spike="gaussian", sigma=jnp.asarray([-1.0] * 8))
    with pytest.raises(TypeError, match="unknown parameter"):
        js.fire(v, 1.0, spike="superspike", width=2.0)


@pytest.mark.parametrize("call,error,words", [
    (lambda v: js.fire(v, reset="hard"), ValueError, "reset must be one of 'zero'"),
    (lambda v: js.fire(v, spike=jnp.tanh), TypeError, "spike must be a jaxsurrogate spike"),
    (lambda v: js.fire(v, spike="superspyke"), KeyError, "did you mean 'superspike'"),
    (lambda v: js.fire(v, jnp.ones(3)), ValueError, r"v_th of shape \(3,\) is not broadcastable"),
    (lambda v: js.fire(v, v_reset=jnp.ones((2, 8))), ValueError, "v_reset of shape"),
    (lambda v: js.fire(v, "1.0"), TypeError, "v_th must be a real number"),
    (lambda v: js.fire(v.astype(jnp.int32)), TypeError, "v must have a floating dtype"),
    (lambda v: js.fire([1, 2]), TypeError, "v must have a floating dtype .* got int64"),
    (lambda v: js.fire("v"), TypeError, "v must be a floating-point array"),
    (lambda v: js.fire(v, residual_dtype=jnp.int8), TypeError, "residual_dtype must be a floating"),
    (lambda v: js.fire(v, residual_dtype="fp8"), TypeError, "residual_dtype must be a floating"),
    (lambda v: js.fire(v, detach_reset="yes"), TypeError, "detach_reset must be True or False"),
    (lambda v: js.fire(v, mode="backward"), ValueError, "mode must be one of"),
    (lambda v: js.fire(v, alpha=-1.0), ValueError, "alpha must be finite and > 0"),
    (lambda v: js.fire(v, spike="heaviside", alpha=1.0), TypeError, "takes no alpha"),
    (lambda v: js.fire(v, spike="logistic"), TypeError, "key is required"),
    (lambda v: js.fire(v, key=jax.random.key(0)), TypeError, "deterministic and takes no key"),
    (lambda v: js.fire(v, spike="rectangle", learn_alpha="no"), TypeError, "learn_alpha must be"),
    (lambda v: js.fire(v, spike="leaky_k_relu", learn_alpha=True), ValueError, "learn_alpha=True needs an alpha to learn"),
])
def test_bad_input_is_a_clear_error_at_the_call(call, error, words):
    with pytest.raises(error, match=words):
        call(jnp.zeros(8, jnp.float32))
