"""Every preset against a closed-form numpy float64 reference of its library.

Each entry restates what the library computes (or documents, where its code
is buggy): g, the default alpha and parameters, and H(0). A preset registered
without an entry here fails ``test_every_preset_has_a_reference``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import PI
from tests.helpers import SQRT_PI as SQPI
from tests.helpers import np_atan as atan
from tests.helpers import np_erf as erf
from tests.helpers import np_fast_sigmoid as fast_sigmoid
from tests.helpers import np_log_tailed as log_tailed
from tests.helpers import np_logistic_slope as sigmoid
from tests.helpers import np_multi_gaussian as multi_gauss
from tests.helpers import np_normal as _npdf
from tests.helpers import np_s2nn as s2nn
from tests.helpers import np_sech2 as _sech2
from tests.helpers import np_square_wave as _sqw

def pq(x, a):
    return np.maximum(0, a - a * a * np.abs(x))


def pexp(x, a):
    return a / 2 * np.exp(-a * np.abs(x))


def soft_sign(x, a):
    return a / (2 * (1 + a * np.abs(x)) ** 2)


def nsla(x, a):
    return 1 / (1 / a + np.abs(x))


# name -> (g(x, alpha, **params), default alpha or None, default params, H(0))
REF = {
    # Norse 1.1.0 (+ SuperSpike alpha as on main), H(0) = 0
    "norse.super": (fast_sigmoid, 100.0, {}, 0.0),
    "norse.tanh": (lambda x, a: _sech2(a * x), 1.0, {}, 0.0),
    "norse.circ": (lambda x, a: a ** 3 / (a * a + x * x) ** 1.5, 1.0, {}, 0.0),
    "norse.heavi_erfc": (lambda x, a: 2 / SQPI * np.exp(-(a * x) ** 2), 1.0, {}, 0.0),
    "norse.triangle": (lambda x, a: a * np.maximum(0, 1 - np.abs(x)), 0.3, {}, 0.0),
    "norse.heaviside": (lambda x: np.zeros_like(x), None, {}, 0.0),
    "norse.logistic": (lambda x, a: _sech2(a * x), 1.0, {}, 0.0),
    "norse.circ_dist": (lambda x, a: a ** 3 / (a * a + x * x) ** 1.5, 1.0, {}, 0.0),
    # snnTorch, H(0) = 0
    "snntorch.atan": (atan, 2.0, {}, 0.0),
    "snntorch.fast_sigmoid": (fast_sigmoid, 25.0, {}, 0.0),
    "snntorch.sigmoid": (sigmoid, 25.0, {}, 0.0),
    "snntorch.straight_through_estimator": (lambda x: np.ones_like(x), None, {}, 0.0),
    "snntorch.spike_rate_escape": (
        lambda x, a, slope: slope * np.exp(-a * np.abs(x - 1)), 1.0,
        {"slope": 25.0}, 0.0),
    # SpikingJelly, H(0) = 1
    "spikingjelly.sigmoid": (sigmoid, 4.0, {}, 1.0),
    "spikingjelly.atan": (atan, 2.0, {}, 1.0),
    "spikingjelly.superspike": (lambda x, a: a / (np.abs(x) + 1) ** 2, 1.0, {}, 1.0),
    "spikingjelly.erf": (erf, 2.0, {}, 1.0),
    "spikingjelly.piecewise_quadratic": (pq, 1.0, {}, 1.0),
    "spikingjelly.piecewise_exp": (pexp, 1.0, {}, 1.0),
    "spikingjelly.soft_sign": (soft_sign, 2.0, {}, 1.0),
    "spikingjelly.nonzero_sign_log_abs": (nsla, 1.0, {}, 1.0),
    "spikingjelly.piecewise_leaky_relu": (
        lambda x, w, c: np.where(np.abs(x) < w, 1 / (2 * w), c), None,
        {"w": 1.0, "c": 0.01}, 1.0),
    "spikingjelly.q_pseudo_spike": (
        lambda x, a: (1 + 2 * np.abs(x) / (a - 1)) ** (-a), 2.0, {}, 1.0),
    "spikingjelly.s2nn": (s2nn, 4.0, {"beta": 1.0}, 1.0),
    "spikingjelly.fake_numerical_gradient": (
        lambda x, a: a / np.maximum(a * np.abs(x), 1), 0.3, {}, 1.0),
    "spikingjelly.leaky_k_relu": (
        lambda x, leak, k: np.where(x >= 0, k, leak), None,
        {"leak": 0.0, "k": 1.0}, 1.0),
    "spikingjelly.log_tailed_relu": (log_tailed, 0.0, {}, 1.0),
    "spikingjelly.rect": (lambda x, a: np.where(np.abs(x) < 0.5 / a, a, 0.0),
                          1.0, {}, 1.0),
    "spikingjelly.squarewave_fourier_series": (
        lambda x, n, period: _sqw(x, n - 1, period), None,
        {"n": 2.0, "period": 8.0}, 1.0),
    "spikingjelly.deterministic_pass": (lambda x: np.ones_like(x), None, {}, 1.0),
    "spikingjelly.poisson_pass": (lambda x: np.ones_like(x), None, {}, 1.0),
    "spikingjelly.multi_level_spike_count": (
        lambda x, d, grad_low, grad_high: np.where((x >= grad_low) & (x <= d), 1.0, 0.0),
        4.0, {"grad_low": 0.0, "grad_high": None}, 0.0),
    # spyx, H(0) = 0
    "spyx.arctan": (lambda x, k: 1 / (PI * (1 + (k * PI * x) ** 2)), 2.0, {}, 0.0),
    "spyx.superspike": (fast_sigmoid, 25.0, {}, 0.0),
    "spyx.triangular": (lambda x, k: np.maximum(0, 1 - np.abs(k * x)), 2.0, {}, 0.0),
    "spyx.tanh": (lambda x, k: _sech2(k * x), 1.0, {}, 0.0),
    "spyx.boxcar": (lambda x, width, height: np.where(np.abs(x) < width / 2, height, 0.0),
                    None, {"width": 2.0, "height": 0.5}, 0.0),
    # braintools, H(0) = 1
    "braintools.sigmoid": (sigmoid, 4.0, {}, 1.0),
    "braintools.arctan": (atan, 1.0, {}, 1.0),
    "braintools.slayer_grad": (lambda x, a: np.exp(-a * np.abs(x)), 1.0, {}, 1.0),
    "braintools.inv_square_grad": (fast_sigmoid, 100.0, {}, 1.0),
    "braintools.erf": (erf, 1.0, {}, 1.0),
    "braintools.gaussian_grad": (lambda x, a, sigma: a * _npdf(x, 0, sigma), 0.5,
                                 {"sigma": 0.5}, 1.0),
    "braintools.multi_gaussian_grad": (multi_gauss, 0.5,
                                       {"sigma": 0.5, "h": 0.15, "s": 6.0}, 1.0),
    "braintools.relu_grad": (lambda x, a, width: np.maximum(0, a * (width - np.abs(x))),
                             0.3, {"width": 1.0}, 1.0),
    "braintools.piecewise_quadratic": (pq, 1.0, {}, 1.0),
    "braintools.piecewise_exp": (pexp, 1.0, {}, 1.0),
    "braintools.soft_sign": (soft_sign, 1.0, {}, 1.0),
    "braintools.nonzero_sign_log": (nsla, 1.0, {}, 1.0),
    "braintools.piecewise_leaky_relu": (
        lambda x, w, c: np.where(np.abs(x) <= w, 1 / (2 * w), c), None,
        {"w": 1.0, "c": 0.01}, 1.0),
    "braintools.squarewave_fourier_series": (
        lambda x, n, period: _sqw(x, n, period), None, {"n": 2.0, "period": 8.0}, 1.0),
    "braintools.s2nn": (s2nn, 4.0, {"beta": 1.0}, 1.0),
    "braintools.q_pseudo_spike": (
        lambda x, a: (1 + 2 * np.abs(x) / (a + 1)) ** (-a), 2.0, {}, 1.0),
    "braintools.leaky_relu": (lambda x, leak, k: np.where(x < 0, leak, k), None,
                              {"leak": 0.1, "k": 1.0}, 1.0),
    "braintools.log_tailed_relu": (log_tailed, 0.0, {}, 1.0),
    # Sinabs, H(0) = 1
    "sinabs.single_exponential": (
        lambda x, width, scale: scale / width * np.exp(-np.abs(x) / width), None,
        {"width": 0.5, "scale": 1.0}, 1.0),
    "sinabs.gaussian": (lambda x, a, sigma: a * _npdf(x, 0, sigma), 1.0,
                        {"sigma": 0.5}, 1.0),
    "sinabs.multi_gaussian": (multi_gauss, 1.0, {"sigma": 0.5, "h": 0.15, "s": 6.0}, 1.0),
    # lava-dl SLAYER: s/(2 tau) exp(-|x|/tau), tau = 1, s = 1; H(0) = 1
    "slayer.exponential": (lambda x, a: 1 / (2 / a) * np.exp(-np.abs(x) * a), 1.0, {}, 1.0),
    # slax, H(0) = 1
    "slax.fast_sigmoid": (fast_sigmoid, 25.0, {}, 1.0),
    "slax.atan": (atan, 2.0, {}, 1.0),
    # snnax, H(0) = 1
    "snnax.superspike": (lambda x, b: 1 / (b * np.abs(x) + 1), 10.0, {}, 1.0),
    "snnax.piecewise": (lambda x, b: np.where((-b < x) & (x < b), 1.0, 0.0), 0.5, {}, 1.0),
    # jaxsnn, H(0) = 1/2
    "jaxsnn.superspike": (fast_sigmoid, 80.0, {}, 0.5),
}

REQUIRED = [
    *(f"norse.{n}" for n in ("super", "tanh", "circ", "heavi_erfc", "triangle", "heaviside")),
    *(f"snntorch.{n}" for n in ("atan", "fast_sigmoid", "sigmoid",
                                "straight_through_estimator", "spike_rate_escape")),
    *(f"spikingjelly.{n}" for n in (
        "sigmoid", "atan", "superspike", "erf", "piecewise_quadratic", "piecewise_exp",
        "soft_sign", "nonzero_sign_log_abs", "piecewise_leaky_relu", "q_pseudo_spike",
        "s2nn", "fake_numerical_gradient", "leaky_k_relu", "log_tailed_relu", "rect",
        "squarewave_fourier_series")),
    *(f"spyx.{n}" for n in ("arctan", "superspike", "triangular", "tanh", "boxcar")),
    *(f"braintools.{n}" for n in (
        "sigmoid", "arctan", "slayer_grad", "inv_square_grad", "erf", "gaussian_grad",
        "multi_gaussian_grad", "relu_grad", "piecewise_quadratic", "piecewise_exp",
        "soft_sign", "nonzero_sign_log", "piecewise_leaky_relu",
        "squarewave_fourier_series", "s2nn", "q_pseudo_spike", "leaky_relu",
        "log_tailed_relu")),
    *(f"sinabs.{n}" for n in ("single_exponential", "gaussian", "multi_gaussian")),
    "slayer.exponential",
]


def _grid(dtype):
    big = float(np.finfo(dtype).max)
    pts = [0.0, 1e-3, 0.1, 0.25, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0,
           1e3, 1e30, big, np.inf]
    # kinks of the defaults: 1/(2 alpha) etc. are all among 0.25, 0.5, 1, 2
    pts += [float(np.nextafter(dtype(v), dtype(0))) for v in (0.5, 1.0)]
    pts += [float(np.nextafter(dtype(v), dtype(9))) for v in (0.5, 1.0)]
    pts = sorted(set(pts))
    return np.array([-v for v in pts[::-1]] + pts, dtype)


def _ref(name, x, alpha=None, **params):
    fn, a0, p0, _ = REF[name]
    p = {**p0, **params}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if a0 is None:
            return fn(x, **p)
        return fn(x, a0 if alpha is None else alpha, **p)


def _kw(f):
    return {"key": jax.random.key(0)} if f.declaration.stochastic else {}


def test_required_presets_exist():
    have = set(js.presets())
    missing = [n for n in REQUIRED if n not in have]
    assert not missing, missing
    assert len(have) >= len(REQUIRED)


def test_every_preset_has_a_reference():
    assert sorted(set(js.presets()) - set(REF)) == []
    assert sorted(set(REF) - set(js.presets())) == []


@pytest.mark.parametrize("name", sorted(REF))
def test_defaults(name):
    f = js.get(name)
    decl = f.declaration
    _, a0, p0, h0 = REF[name]
    assert decl.alpha == a0
    assert dict(decl.params) == p0
    assert decl.at_zero == h0
    assert f.__name__ == name
    doc = f.__doc__
    assert doc and "H(0)" in doc, name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values(dtype):
    x = jnp.asarray(_grid(dtype))
    z = jnp.array([0.0, -0.0, np.nan], dtype)
    names = sorted(REF)

    def values(f, x, z):
        grad = jax.grad(lambda v: f(v, **_kw(f)).sum())
        return f(x, **_kw(f)), grad(x), f(z, **_kw(f)), grad(z)

    # One compiled program: every preset's spikes and gradients on the grid and at 0, -0, NaN.
    results = jax.jit(lambda x, z: [values(js.get(n), x, z) for n in names])(x, z)
    tol = dict(rtol=5e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-13)
    for name, (out, g, out_z, g_z) in zip(names, results):
        f = js.get(name)
        want = _ref(name, np.asarray(x, np.float64))
        assert np.all(np.isfinite(np.asarray(g))), name
        np.testing.assert_allclose(np.asarray(g, np.float64), want, **tol, err_msg=name)
        if f.declaration.forward is not None:  # spike counts: round(clip(x, 0, D)), half to even
            np.testing.assert_array_equal(np.asarray(out), np.round(np.clip(np.asarray(x), 0, 4)))
        elif not f.declaration.stochastic:
            xn = np.asarray(x)
            h0 = REF[name][3]
            want_out = np.where(xn == 0, h0, (xn > 0).astype(np.float64))
            np.testing.assert_array_equal(np.asarray(out), want_out.astype(dtype), err_msg=name)
            # both zeros, and NaN (no spike, NaN gradient)
            np.testing.assert_array_equal(np.asarray(out_z), np.array([h0, h0, 0.0], dtype),
                                          err_msg=name)
            assert np.isnan(float(g_z[2])), name


ALPHA_PRESETS = [n for n in sorted(REF) if REF[n][1] not in (None, 0.0)]


def _other_alpha(name: str, scale: float) -> float:
    if name.endswith("q_pseudo_spike") and name.startswith("spikingjelly"):
        return 1.0 + scale  # SpikingJelly's alpha must be > 1
    return REF[name][1] * scale


def test_other_alphas():
    x = jnp.asarray(np.linspace(-3, 3, 61), jnp.float64)
    cases = [(name, _other_alpha(name, scale)) for name in ALPHA_PRESETS for scale in (0.5, 3.0)]
    # One compiled program: every preset at half and three times its alpha.
    grads = jax.jit(lambda x: [
        jax.grad(lambda x: js.get(n)(x, np.float64(a), **_kw(js.get(n))).sum())(x)
        for n, a in cases])(x)
    for (name, a), g in zip(cases, grads):
        np.testing.assert_allclose(np.asarray(g), _ref(name, np.asarray(x), a),
                                   rtol=1e-11, atol=1e-13, err_msg=f"{name} at alpha {a}")


def test_parameterisations_that_differ_by_library():
    x = jnp.array([0.0, 0.3, 1.0], jnp.float64)

    def g(name, *args, **kw):
        return np.asarray(js.derivative(js.get(name))(x, *args, **kw))

    # SpikingJelly's SuperSpike alpha is a height; Norse's a slope
    assert not np.allclose(g("spikingjelly.superspike", 2.0), g("norse.super", 2.0))
    # spyx arctan is not snnTorch's atan at any matching k
    assert not np.allclose(g("spyx.arctan", 1.0), g("snntorch.atan", 2.0))
    # braintools and SpikingJelly q-PseudoSpike differ for the same alpha
    assert not np.allclose(g("braintools.q_pseudo_spike"), g("spikingjelly.q_pseudo_spike"))
    # box edges: SpikingJelly strict, braintools closed
    edge = jnp.array([1.0], jnp.float64)
    sj = js.derivative(js.get("spikingjelly.piecewise_leaky_relu"))(edge)
    bt = js.derivative(js.get("braintools.piecewise_leaky_relu"))(edge)
    assert float(sj[0]) == 0.01 and float(bt[0]) == 0.5
    # SpikingJelly sums n - 1 Fourier terms, braintools n
    assert float(g("spikingjelly.squarewave_fourier_series")[0]) == 0.5
    assert float(g("braintools.squarewave_fourier_series")[0]) == 1.0
    # with their defaults spyx boxcar and snnax piecewise are rectangles
    y = jnp.asarray(np.linspace(-2, 2, 81), jnp.float64)
    rect = js.derivative(js.get("rectangle"))
    np.testing.assert_array_equal(js.derivative(js.get("spyx.boxcar"))(y), rect(y, 0.5))
    np.testing.assert_array_equal(js.derivative(js.get("snnax.piecewise"))(y), rect(y, 1.0))


def test_unknown_names_raise_with_the_closest_suggestion():
    with pytest.raises(js.UnknownSurrogateError) as info:
        js.get("spikingjelly.atann")
    assert "spikingjelly.atan" in str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(js.UnknownSurrogateError) as info:
        js.get("braintools.sigmod")
    assert "braintools.sigmoid" in str(info.value)
    with pytest.raises(js.UnknownSurrogateError) as info:
        js.get("piecewise_quadratc")
    assert "'piecewise_quadratic'" in str(info.value)
