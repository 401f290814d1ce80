"""Fluctuation-driven initialization (js.init) and js.layer_statistics.

References: the discrete kernel's sums in closed form (geometric series of
Norse's Euler step, float64), the continuous integrals of Rossbroich, Gygax
and Zenke (2022), and numbers from stork's own code (fmi-basel/stork at
06d0c91: ``utils.get_lif_kernel`` and
``FluctuationDrivenNormalInitializer._get_weight_parameters_dst``, run on
this machine with numpy).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from jaxsurrogate import neurons

LIF = neurons.LIFParameters


def _euler_moments(tau_syn: float, tau_mem: float, dt: float) -> tuple[float, float]:
    """Sums of v_{k+1} = a v_k + (1-a) b^k, v_0 = 0, times dt: closed-form geometric series."""
    a, b = 1 - dt / tau_mem, 1 - dt / tau_syn
    return dt / (1 - b), dt * (1 - a) ** 2 * (1 + a * b) / ((1 - a * a) * (1 - b * b) * (1 - a * b))


@pytest.mark.parametrize("tau_syn, tau_mem, dt", [
    (5e-3, 1e-2, 1e-3), (1e-2, 2e-2, 1e-3), (2e-2, 2e-2, 5e-4), (3e-3, 4e-2, 1e-4)])
def test_psp_moments_are_the_euler_kernels_sums(tau_syn, tau_mem, dt):
    got = js.init.psp_moments(LIF(tau_syn_inv=1 / tau_syn, tau_mem_inv=1 / tau_mem), dt)
    np.testing.assert_allclose(got, _euler_moments(tau_syn, tau_mem, dt), rtol=1e-12)


def test_psp_moments_per_neuron():
    taus = np.array([5e-3, 1e-2, 2e-2])
    eps_bar, eps_hat = js.init.psp_moments(LIF(tau_syn_inv=1 / taus, tau_mem_inv=50.0), 1e-3)
    expected = np.array([_euler_moments(t, 2e-2, 1e-3) for t in taus]).T
    np.testing.assert_allclose([eps_bar, eps_hat], expected, rtol=1e-12)


def test_psp_moments_tend_to_the_papers_integrals():
    tau_syn, tau_mem, dt = 1e-2, 2e-2, 1e-5
    got = js.init.psp_moments(LIF(tau_syn_inv=1 / tau_syn, tau_mem_inv=1 / tau_mem), dt)
    np.testing.assert_allclose(got, [tau_syn, tau_syn**2 / (2 * (tau_syn + tau_mem))], rtol=1e-3)


def _stork_like(tau_mem: float, tau_syn: float, dt: float) -> neurons.LIFParameters:
    """Norse's Euler decays set to stork's exponential ones: 1 - dt/tau' = exp(-dt/tau)."""
    return LIF(tau_syn_inv=-math.expm1(-dt / tau_syn) / dt,
               tau_mem_inv=-math.expm1(-dt / tau_mem) / dt)


# (dt, N, nu, mu_U, xi, share, N_total) -> stork's (mu_w, sigma_w)
STORK = [
    ((1e-3, 5000, 3.0, 0.0, 2.0, 1.0, None), (0.0, 0.09512303207813731)),
    ((1e-3, 5000, 3.0, 0.5, 2.0, 1.0, None), (0.003172381494753732, 0.047455598232309)),
    ((2e-3, 700, 15.8, 0.0, 1.0, 1.0, None), (0.0, 0.21075363899222668)),
    ((2e-3, 128, 15.8, 0.0, 1.0, 1.0, None), (0.0, 0.492854943827971)),
    ((2e-3, 700, 15.8, 0.0, 1.0, 0.9, 828), (0.0, 0.19993845731529297)),  # feed-forward
    ((2e-3, 128, 15.8, 0.0, 1.0, 0.1, 828), (0.0, 0.1558544178570734)),   # recurrent
]


@pytest.mark.parametrize("args, expected", STORK)
def test_weight_moments_reproduce_stork(args, expected):
    dt, n, nu, mu_u, xi, share, total = args
    mu_w, sigma_w = js.init.weight_moments(
        _stork_like(20e-3, 10e-3, dt), dt, rate=nu, fan_in=n, mu_u=mu_u, xi=xi, share=share,
        total_fan_in=total)
    # stork sums its kernel over 10 tau_max only: its eps_bar misses e^-10 of
    # the tail (1e-4 relative), its eps_hat e^-20.
    np.testing.assert_allclose(mu_w, expected[0], rtol=3e-4)
    np.testing.assert_allclose(sigma_w, expected[1], rtol=1e-6)


def test_the_potential_has_the_targeted_mean_and_spread():
    """Bernoulli inputs through initialized weights: each neuron's potential follows
    Campbell's theorem for its weights, and those put it at the targets."""
    p, dt, rate, mu_u, xi = LIF(v_th=np.inf), 1e-3, 20.0, 0.3, 1.5
    init = js.init.fluctuation_driven(LIF(), dt, rate=rate, mu_u=mu_u, xi=xi, dtype=jnp.float64)
    k_w, k_x = jax.random.split(jax.random.key(0))
    w = init(k_w, (400, 1024))
    x = jax.random.bernoulli(k_x, rate * dt, (600, 8, 400)).astype(jnp.float64)
    rest = jnp.zeros((8, 1024))
    _, _, v = neurons.lif_feed_forward_scan(x @ w, neurons.LIFFeedForwardState(rest, rest), p,
                                            dt, potentials=True)
    v = np.asarray(v[100:]).reshape(-1, 1024)  # after the start's transient (10 tau_mem)
    eps_bar, eps_hat = js.init.psp_moments(LIF(), dt)
    w = np.asarray(w)
    mean = rate * eps_bar * w.sum(0)
    variance = rate * (1 - rate * dt) * eps_hat * (w * w).sum(0)  # Bernoulli: p(1 - p)
    np.testing.assert_allclose(v.mean(0).mean(), mean.mean(), rtol=0.01)
    np.testing.assert_allclose(v.var(0).mean(), variance.mean(), rtol=0.02)
    # Over the weights' draw, E[mean] = mu_u (each neuron's sum of 400 weights
    # scatters it by 0.35 here: 0.011 over 1024 neurons) and E[variance] is
    # the target's (up to Bernoulli's 1 - p).
    np.testing.assert_allclose(mean.mean(), mu_u, atol=0.035)
    np.testing.assert_allclose(variance.mean(), (1 - rate * dt) * ((1 - mu_u) / xi) ** 2,
                               rtol=0.01)


@pytest.mark.parametrize("shape, in_axis, out_axis, fan_in", [
    ((300, 400), -2, -1, 300),            # Flax / Haiku Dense (in, out)
    ((400, 300), -1, -2, 300),            # Equinox Linear (out, in)
    ((3, 3, 40, 300), -2, -1, 360),       # Flax Conv (h, w, in, out)
])
def test_fluctuation_driven_reads_the_fan_in_from_the_shape(shape, in_axis, out_axis, fan_in):
    init = js.init.fluctuation_driven(rate=10.0, mu_u=0.2, in_axis=in_axis, out_axis=out_axis)
    w = np.asarray(init(jax.random.key(1), shape), np.float64)
    mu_w, sigma_w = js.init.weight_moments(rate=10.0, fan_in=fan_in, mu_u=0.2)
    assert w.dtype == np.float64 and init(jax.random.key(1), shape).dtype == jnp.float32
    np.testing.assert_allclose(w.mean(), mu_w, atol=4 * sigma_w / math.sqrt(w.size))
    np.testing.assert_allclose(w.std(), sigma_w, rtol=0.01)


def test_per_neuron_parameters_set_each_output_column():
    taus = np.array([2e-3, 2e-2])
    p = LIF(tau_syn_inv=1 / taus)
    w = np.asarray(js.init.fluctuation_driven(p, rate=10.0, dtype=jnp.float64)(
        jax.random.key(2), (20000, 2)))
    _, sigma_w = js.init.weight_moments(p, rate=10.0, fan_in=20000)
    assert sigma_w.shape == (2,) and sigma_w[0] > 2 * sigma_w[1]
    np.testing.assert_allclose(w.std(0), sigma_w, rtol=0.02)


def test_layerwise_keeps_a_deep_stack_firing():
    """Six layers from the rate each sees: none falls silent, unlike a 1/sqrt(N) start."""
    x = jax.random.bernoulli(jax.random.key(3), 0.05, (100, 16, 64)).astype(jnp.float32)
    weights, rates = js.init.layerwise(jax.random.key(4), x, [64] * 6)
    assert rates[0] == pytest.approx(js.init.firing_rate(x))
    assert min(rates) > 5.0, rates
    rest = jnp.zeros((16, 64))
    layer = jax.jit(lambda x, w: neurons.lif_feed_forward_scan(
        x @ w, neurons.LIFFeedForwardState(rest, rest), LIF())[0])
    lecun = x
    for k in jax.random.split(jax.random.key(4), 6):
        lecun = layer(lecun, jax.random.normal(k, (64, 64)) / 8.0)
    assert js.init.firing_rate(lecun) == 0.0  # the stack this initializer is for


def test_layer_statistics_by_hand():
    v = np.array([[[0.2, 0.9, np.nan]], [[0.4, 1.1, 0.0]]])
    z = np.array([[[0.0, 0.0, 0.0]], [[0.0, 1.0, 2.0]]])
    s = js.layer_statistics(v, z, dt=1e-3)
    finite = [0.2, 0.9, 0.4, 1.1, 0.0]
    assert s == pytest.approx(js.LayerStatistics(
        np.mean(finite), np.std(finite), 3.0 / 6 / 1e-3, 1 / 3, 1))
    assert js.layer_statistics(v, z).rate == pytest.approx(0.5)


@pytest.mark.parametrize("call, match", [
    (lambda: js.init.psp_moments(LIF(tau_syn_inv=0.0)), "p.tau_syn_inv must be finite and > 0"),
    (lambda: js.init.psp_moments(LIF(), dt=-1e-3), "dt must be finite and > 0"),
    (lambda: js.init.psp_moments(LIF(), dt=1e-9), "more than 1000000"),
    (lambda: js.init.weight_moments(rate=0.0, fan_in=10), "rate must be finite and > 0"),
    (lambda: js.init.weight_moments(rate=5.0, fan_in=10, mu_u=1.0), "mu_u must be finite and below"),
    (lambda: js.init.weight_moments(rate=5.0, fan_in=10, share=1.5), "share must be in"),
    (lambda: js.init.weight_moments(rate=5.0, fan_in=10, total_fan_in=5), "total_fan_in"),
    (lambda: js.init.weight_moments(rate=1.0, fan_in=1, mu_u=0.9, xi=100.0), "no weight spread"),
    (lambda: js.init.fluctuation_driven(rate=5.0, in_axis=3)(jax.random.key(0), (2, 3)),
     "in_axis=3 does not index"),
    (lambda: js.init.fluctuation_driven(rate=5.0, in_axis=-1)(jax.random.key(0), (2, 3)),
     "overlap"),
    (lambda: js.init.firing_rate(np.zeros(0)), "non-empty"),
    (lambda: js.init.layerwise(jax.random.key(0), np.zeros((5, 2, 3)), [4]), "never spikes"),
    (lambda: js.init.layerwise(jax.random.key(0), np.ones((5, 3)), [4]), r"\[T, batch, n_in\]"),
    (lambda: js.layer_statistics(np.zeros((2, 3)), np.zeros((2, 4))), "share one non-empty shape"),
    (lambda: js.layer_statistics(np.zeros((2, 3)), np.zeros((2, 3)), dt=0.0), "dt must be"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_initializer_runs_inside_jit():
    """Flax and sharded set-ups initialize inside a trace: the kernel is computed eagerly."""
    init = js.init.fluctuation_driven(rate=20.0, window=16)
    traced = jax.jit(lambda k: init(k, (64, 128)))(jax.random.key(0))
    # the same numbers, but for XLA fusing mu + sigma * noise into one rounding
    np.testing.assert_allclose(traced, init(jax.random.key(0), (64, 128)), rtol=1e-6)


def test_calibrate_gives_each_layer_the_targeted_spread_on_the_batch():
    """The potential is linear in the weights: the solved scale hits the target exactly.
    Correlated input (a shared pattern) spreads it more than the formulas assume."""
    k_pattern, k_x = jax.random.split(jax.random.key(5))
    pattern = jax.random.uniform(k_pattern, (100, 1, 64)) < 0.3
    x = (pattern & jax.random.bernoulli(k_x, 0.4, (100, 16, 64))).astype(jnp.float32)
    free = LIF(v_th=np.inf)
    rest = jnp.zeros((16, 64))
    for calibrate in (False, True):
        weights, _ = js.init.layerwise(jax.random.key(6), x, [64, 64], mu_u=0.2, xi=2.0,
                                       calibrate=calibrate)
        spreads, inputs = [], x
        for w in weights:
            state = neurons.LIFFeedForwardState(rest, rest)
            v = neurons.lif_feed_forward_scan(inputs @ w, state, free, potentials=True)[2]
            spreads.append(float(np.std(np.asarray(v, np.float64))))
            inputs = neurons.lif_feed_forward_scan(inputs @ w, state, LIF())[0]
        if calibrate:
            np.testing.assert_allclose(spreads, [0.4, 0.4], rtol=1e-4)  # (1 - 0.2) / 2
        else:
            assert spreads[0] > 0.6, spreads  # the shared pattern's correlations
