"""Parity with the real snnTorch and SpikingJelly packages (torch, CPU).

Each preset that snnTorch or SpikingJelly has is run side by side with the
library on a grid and several parameter values, in float32 and float64:
forward values and input gradients must agree. Where the library's code is
buggy (documented in the preset's docstring) the comparison leaves that point
out and instead asserts that the bug is still there.

The libraries are installed with ``pip install --no-deps`` (their own pins
would replace torch); without them these tests skip, saying why.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install '.[parity]')")

DTYPES = [np.float32, np.float64]
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def _snntorch():
    return pytest.importorskip(
        "snntorch.surrogate",
        reason="snnTorch is not installed (pip install --no-deps snntorch==1.0.0)")


def _spikingjelly():
    return pytest.importorskip(
        "spikingjelly.activation_based.surrogate",
        reason="SpikingJelly is not installed "
               "(pip install --no-deps spikingjelly==2.0.0)")


def _grid(dtype, extremes=True):
    pts = [0.0, 1e-4, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0,
           1.1, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 7.0, 10.0]
    for k in (0.25, 0.5, 1.0, 2.0):  # kinks of the defaults and of the alphas tried
        pts += [float(np.nextafter(dtype(k), dtype(0))),
                float(np.nextafter(dtype(k), dtype(9)))]
    if extremes:
        pts += [1e3, 1e30, float(np.finfo(dtype).max), np.inf]
    pts = sorted(set(pts))
    return np.array([-v for v in pts[::-1]] + pts, dtype)  # has -0.0 and +0.0


def _run_torch(fn, x, dtype):
    t = torch.tensor(x, dtype=TORCH_DTYPE[dtype], requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return y.detach().double().numpy(), t.grad.double().numpy()


def _run_ours(f, x, args, kwargs):
    xj = jnp.asarray(x)
    kw = dict(kwargs)
    if f.declaration.stochastic:
        kw["key"] = jax.random.key(0)
    y = f(xj, *args, **kw)
    g = jax.grad(lambda v: f(v, *args, **kw).sum())(xj)
    assert g.dtype == x.dtype
    return np.asarray(y, np.float64), np.asarray(g, np.float64)


def _compare(name, lib_fn, x, dtype, args=(), kwargs=None, skip=None,
             forward=True, atol=None):
    """Compares forward and gradient where the library is finite."""
    y_lib, g_lib = _run_torch(lib_fn, x, dtype)
    y, g = _run_ours(js.get(name), x, args, kwargs or {})
    keep = np.isfinite(g_lib)
    if skip is not None:
        keep &= ~skip
    assert keep.sum() > 0.8 * x.size, (name, x[~keep])
    tol = dict(TOL[dtype]) if atol is None else {**TOL[dtype], "atol": atol}
    np.testing.assert_allclose(g[keep], g_lib[keep], **tol,
                               err_msg=f"{name} gradient, args={args} {kwargs}")
    if forward:
        np.testing.assert_array_equal(y, y_lib, err_msg=f"{name} forward")
    return g_lib


# --------------------------------------------------------------------------
# snnTorch 1.0.0

SNNTORCH = [
    # preset, snntorch factory, [jax args], [snntorch kwargs]
    ("snntorch.atan", "atan", [(2.0, dict(alpha=2.0)), (0.5, dict(alpha=0.5)),
                               (7.0, dict(alpha=7.0))]),
    ("snntorch.fast_sigmoid", "fast_sigmoid",
     [(25.0, dict(slope=25)), (1.0, dict(slope=1.0)), (100.0, dict(slope=100.0))]),
    ("snntorch.sigmoid", "sigmoid",
     [(25.0, dict(slope=25)), (1.0, dict(slope=1.0)), (4.0, dict(slope=4.0))]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,factory,cases", SNNTORCH, ids=[c[0] for c in SNNTORCH])
def test_snntorch_alpha_presets(name, factory, cases, dtype):
    sur = _snntorch()
    x = _grid(dtype)
    for alpha, lib_kw in cases:
        lib = getattr(sur, factory)(**lib_kw)
        g_lib = _compare(name, lib, x, dtype, args=(alpha,))
        if name == "snntorch.sigmoid":
            # where snnTorch is NaN (its exp overflows) the true value is ~0
            bad = ~np.isfinite(g_lib)
            assert np.all(x[bad] < 0)


def test_snntorch_sigmoid_overflow_bug_is_real():
    sur = _snntorch()
    x = np.array([-5.0, -3.0], np.float32)
    _, g_lib = _run_torch(sur.sigmoid(slope=25), x, np.float32)
    assert np.isnan(g_lib[0]), "snnTorch fixed its sigmoid overflow; update the preset doc"
    g = jax.grad(lambda v: js.get("snntorch.sigmoid")(v).sum())(jnp.asarray(x))
    # the true values, 25 exp(-125) and 25 exp(-75), are finite (the first
    # underflows to 0 in float32)
    assert np.all(np.isfinite(np.asarray(g))) and 0 <= float(g[0]) < 1e-40
    np.testing.assert_allclose(float(g[1]), 25 * np.exp(-75.0), rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_snntorch_straight_through_and_spike_rate_escape(dtype):
    sur = _snntorch()
    x = _grid(dtype)
    _compare("snntorch.straight_through_estimator", sur.straight_through_estimator(),
             x, dtype)
    for beta, slope in [(1.0, 25.0), (0.5, 3.0), (2.0, 1.0)]:
        _compare("snntorch.spike_rate_escape", sur.spike_rate_escape(beta=beta, slope=slope),
                 x, dtype, args=(beta,), kwargs=dict(slope=slope))


def test_snntorch_forward_is_float32_whatever_the_input():
    sur = _snntorch()
    t = torch.tensor([0.5], dtype=torch.float64)
    assert sur.atan()(t).dtype == torch.float32  # ours keeps x's dtype
    assert js.get("snntorch.atan")(jnp.array([0.5], jnp.float64)).dtype == jnp.float64


# --------------------------------------------------------------------------
# SpikingJelly 2.0.0 (activation_based.surrogate)

SJ_ALPHA = [
    # preset, SpikingJelly class, alphas
    ("spikingjelly.sigmoid", "Sigmoid", [4.0, 1.0, 10.0]),
    ("spikingjelly.atan", "ATan", [2.0, 0.5, 5.0]),
    ("spikingjelly.superspike", "SuperSpike", [1.0, 0.5, 3.0]),
    ("spikingjelly.erf", "Erf", [2.0, 1.0, 4.0]),
    ("spikingjelly.piecewise_quadratic", "PiecewiseQuadratic", [1.0, 0.5, 2.0, 4.0]),
    ("spikingjelly.piecewise_exp", "PiecewiseExp", [1.0, 0.5, 3.0]),
    ("spikingjelly.soft_sign", "SoftSign", [2.0, 1.0, 5.0]),
    ("spikingjelly.nonzero_sign_log_abs", "NonzeroSignLogAbs", [1.0, 0.5, 4.0]),
    ("spikingjelly.q_pseudo_spike", "QPseudoSpike", [2.0, 1.5, 4.0]),
    ("spikingjelly.fake_numerical_gradient", "FakeNumericalGradient", [0.3, 1.0, 2.0]),
    ("spikingjelly.log_tailed_relu", "LogTailedReLU", [0.0, 0.1, 0.5]),
    ("spikingjelly.rect", "Rect", [1.0, 0.5, 2.0]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,cls,alphas", SJ_ALPHA, ids=[c[0] for c in SJ_ALPHA])
def test_spikingjelly_alpha_presets(name, cls, alphas, dtype):
    sur = _spikingjelly()
    x = _grid(dtype)
    skip = None
    if name == "spikingjelly.fake_numerical_gradient":
        skip = (x == 0) & np.signbit(x)  # its -inf at -0.0, a bug (below)
    for alpha in alphas:
        kw = {} if cls == "FakeNumericalGradient" else {"spiking": True}
        lib = getattr(sur, cls)(alpha=alpha, **kw)
        _compare(name, lib, x, dtype, args=(alpha,), skip=skip)


def test_spikingjelly_fake_numerical_gradient_minus_zero_bug_is_real():
    sur = _spikingjelly()
    x = np.array([-0.0, 0.0], np.float64)
    _, g_lib = _run_torch(sur.FakeNumericalGradient(alpha=0.3), x, np.float64)
    assert g_lib[0] == -np.inf and g_lib[1] == 0.3
    g = jax.grad(lambda v: js.get("spikingjelly.fake_numerical_gradient")(v).sum())(
        jnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(g), [0.3, 0.3])


def test_spikingjelly_log_tailed_relu_hides_nan():
    sur = _spikingjelly()
    _, g_lib = _run_torch(sur.LogTailedReLU(alpha=0.0), np.array([np.nan]), np.float64)
    assert g_lib[0] == 1.0  # ours is NaN: a NaN input is not hidden
    g = jax.grad(lambda v: js.get("spikingjelly.log_tailed_relu")(v).sum())(
        jnp.array([np.nan], jnp.float64))
    assert np.isnan(float(g[0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_spikingjelly_parameter_presets(dtype):
    sur = _spikingjelly()
    x = _grid(dtype)
    for w, c in [(1.0, 0.01), (0.5, 0.0), (2.0, 0.25)]:
        _compare("spikingjelly.piecewise_leaky_relu", sur.PiecewiseLeakyReLU(w=w, c=c),
                 x, dtype, kwargs=dict(w=w, c=c))
    for leak, k in [(0.0, 1.0), (0.1, 2.0)]:
        _compare("spikingjelly.leaky_k_relu", sur.LeakyKReLU(leak=leak, k=k),
                 x, dtype, kwargs=dict(leak=leak, k=k))
    for alpha, beta in [(4.0, 1.0), (1.0, 0.5), (8.0, 2.0)]:
        _compare("spikingjelly.s2nn", sur.S2NN(alpha=alpha, beta=beta),
                 x, dtype, args=(alpha,), kwargs=dict(beta=beta))
    _compare("spikingjelly.deterministic_pass", sur.DeterministicPass(), x, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_spikingjelly_squarewave_fourier_series(dtype):
    sur = _spikingjelly()
    # periodic: for huge |x| the phase is rounding noise in either library
    x = _grid(dtype, extremes=False)
    for n, period in [(2, 8.0), (3, 8.0), (5, 4.0), (1, 8.0)]:
        lib = sur.SquarewaveFourierSeries(n=n, T_period=period)
        # float32 sums of cosines cancel near their zeros: absolute tolerance
        # relative to the largest value, (n - 1) * 4 / T
        atol = 2e-6 * max(n - 1, 1) * 4 / period if dtype == np.float32 else None
        _compare("spikingjelly.squarewave_fourier_series", lib, x, dtype,
                 kwargs=dict(n=float(n), period=period), atol=atol)


def test_spikingjelly_poisson_pass_gradient():
    sur = _spikingjelly()
    x = np.linspace(0, 1, 11)
    _, g_lib = _run_torch(sur.PoissonPass(), x, np.float64)
    g = jax.grad(lambda v: js.get("spikingjelly.poisson_pass")(
        v, key=jax.random.key(0)).sum())(jnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(g), g_lib)


def _quantize():
    return pytest.importorskip(
        "spikingjelly.activation_based.quantize",
        reason="SpikingJelly is not installed (pip install --no-deps spikingjelly==2.0.0)")


@pytest.mark.parametrize("dtype", DTYPES)
def test_spikingjelly_multi_level_spike_count_bit_for_bit(dtype):
    quantize = _quantize()
    # Half-integers (round half to even), the window edges and their neighbours,
    # subnormals, the clip's ends, the infinities.
    pts = [0.0, 0.25, 0.5, 1.5, 2.5, 3.5, 4.5, 1.0, 2.0, 4.0, 3.999, 4.001, 7.5, 100.0,
           float(np.finfo(dtype).smallest_subnormal), np.inf]
    pts += [float(np.nextafter(dtype(e), dtype(-9))) for e in (0.0, 2.5, 4.0)]
    pts += [float(np.nextafter(dtype(e), dtype(9))) for e in (0.0, 2.5, 4.0)]
    x = np.array(sorted({*pts, *(-p for p in pts)}), dtype)
    for max_spikes, window in [(4, None), (4, (-1.0, 2.5)), (2, (0.5, 0.5)), (8, (1.0, 10.0))]:
        t = torch.tensor(x, dtype=TORCH_DTYPE[dtype], requires_grad=True)
        y_lib = quantize.multi_level_spike_count(t, max_spikes, grad_window=window)
        y_lib.sum().backward()
        kwargs = {} if window is None else dict(grad_low=window[0], grad_high=window[1])
        for f in (js.multispike, js.get("spikingjelly.multi_level_spike_count")):
            y = f(jnp.asarray(x), max_spikes, **kwargs)
            g = jax.grad(lambda v: f(v, max_spikes, **kwargs).sum())(jnp.asarray(x))
            assert y.dtype == g.dtype == dtype
            np.testing.assert_array_equal(np.asarray(y), y_lib.detach().numpy())
            np.testing.assert_array_equal(np.asarray(g), t.grad.numpy())


def test_spikingjelly_refuses_what_multispike_refuses():
    sur = _spikingjelly()
    x = jnp.zeros(3, jnp.float32)
    for count in (2.5, 0):
        with pytest.raises((TypeError, ValueError)):
            sur.MultiLevelSpikeCount(count)
        with pytest.raises(ValueError, match="max_spikes must be a whole number >= 1"):
            js.multispike(x, count)
    with pytest.raises(ValueError):
        sur.MultiLevelSpikeCount(4, grad_window=(3.0, 1.0))
    with pytest.raises(ValueError, match="grad_low <= grad_high"):
        js.multispike(x, 4, grad_low=3.0, grad_high=1.0)
