"""Every canonical shape against an independent float64 numpy formula.

The table below restates each surrogate derivative g in numpy (float64,
written from the papers and libraries, not from jaxsurrogate) with the
parameters to try and the kinks where its pieces meet. Each shape's forward,
gradient, ``derivative``, primitive and learnable alpha are checked against
it; a shape registered without an entry here fails ``test_every_name_has_a_reference``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import (
    PI,
    derivative_of,
    is_nonnegative,
    is_step,
    is_symmetric,
    key_kwargs,
    np_fake_gradient,
    np_log_tailed,
    np_logistic_slope,
    np_normal,
    np_sigmoid,
    np_square_wave,
    symmetric_grid,
)

# name -> (g(x, alpha, **params) in numpy float64, alphas to try (None: no
#          alpha), params dicts to try, kinks(alpha, params))
REF = {
    "heaviside": (lambda x: np.zeros_like(x), None, [{}], lambda p: []),
    "superspike": (lambda x, a: 1 / (a * np.abs(x) + 1) ** 2,
                   [100.0, 1.0, 3.0], [{}], lambda a, p: []),
    "triangle": (lambda x, a: a * np.maximum(0, 1 - np.abs(x)),
                 [0.3, 2.0], [{}], lambda a, p: [1.0]),
    "heavi_tanh": (lambda x, a: 1 / np.cosh(np.minimum(np.abs(a * x), 700)) ** 2,
                   [1.0, 3.0], [{}], lambda a, p: []),
    "heavi_erfc": (lambda x, a: 2 / np.sqrt(PI) * np.exp(-(a * x) ** 2),
                   [1.0, 0.5], [{}], lambda a, p: []),
    "heavi_circ": (lambda x, a: (a / np.hypot(a, x)) ** 3,
                   [1.0, 0.25], [{}], lambda a, p: []),
    "logistic": (lambda x, a: 1 / np.cosh(np.minimum(np.abs(a * x), 700)) ** 2,
                 [1.0, 3.0], [{}], lambda a, p: []),
    "circ_dist": (lambda x, a: (a / np.hypot(a, x)) ** 3,
                  [1.0, 0.25], [{}], lambda a, p: []),
    "sigmoid": (lambda x, a: a * np_sigmoid(a * x) * np_sigmoid(-a * x),
                [4.0, 25.0], [{}], lambda a, p: []),
    "atan": (lambda x, a: (a / 2) / (1 + (PI / 2 * a * x) ** 2),
             [2.0, 1.0], [{}], lambda a, p: []),
    "erf": (lambda x, a: a / np.sqrt(PI) * np.exp(-(a * x) ** 2),
            [2.0, 1.0], [{}], lambda a, p: []),
    "gaussian": (lambda x, a, sigma=0.5: a * np_normal(x, 0, sigma),
                 [0.5, 1.0], [{}, {"sigma": 2.0}], lambda a, p: []),
    "multi_gaussian": (
        lambda x, a, sigma=0.5, h=0.15, s=6.0: a * (
            (1 + h) * np_normal(x, 0, sigma) - h * np_normal(x, sigma, s * sigma)
            - h * np_normal(x, -sigma, s * sigma)),
        [0.5, 1.0], [{}, {"sigma": 0.3, "h": 0.3, "s": 2.0}], lambda a, p: []),
    "piecewise_quadratic": (lambda x, a: np.maximum(0, a - a * a * np.abs(x)),
                            [1.0, 2.0], [{}], lambda a, p: [1 / a]),
    "triangular": (lambda x, a: np.maximum(0, 1 - np.abs(a * x)),
                   [2.0, 0.5], [{}], lambda a, p: [1 / a]),
    "rectangle": (lambda x, a: np.where(np.abs(x) < 1 / (2 * a), a, 0.0),
                  [1.0, 2.0, 0.5], [{}], lambda a, p: [1 / (2 * a)]),
    "piecewise_leaky_relu": (
        lambda x, w=1.0, c=0.01: np.where(np.abs(x) < w, 1 / (2 * w), c),
        None, [{}, {"w": 0.5, "c": 0.0}, {"w": 2.0, "c": 0.25}],
        lambda p: [p.get("w", 1.0)]),
    "leaky_k_relu": (
        lambda x, leak=0.0, k=1.0: np.where(x >= 0, k, leak),
        None, [{}, {"leak": 0.1, "k": 2.0}], lambda p: []),
    "log_tailed_relu": (np_log_tailed, [0.0, 0.2], [{}], lambda a, p: [1.0]),
    "piecewise_exp": (lambda x, a: a / 2 * np.exp(-a * np.abs(x)),
                      [1.0, 3.0], [{}], lambda a, p: []),
    "slayer_exponential": (lambda x, a: np.exp(-a * np.abs(x)),
                           [1.0, 0.5], [{}], lambda a, p: []),
    "single_exponential": (
        lambda x, width=0.5, scale=1.0: scale / width * np.exp(-np.abs(x) / width),
        None, [{}, {"width": 2.0, "scale": 0.3}], lambda p: []),
    "soft_sign": (lambda x, a: a / (2 * (1 + a * np.abs(x)) ** 2),
                  [2.0, 1.0], [{}], lambda a, p: []),
    "nonzero_sign_log_abs": (lambda x, a: 1 / (1 / a + np.abs(x)),
                             [1.0, 4.0], [{}], lambda a, p: []),
    "fake_numerical_gradient": (np_fake_gradient, [0.3, 2.0], [{}], lambda a, p: [1 / a]),
    "q_pseudo_spike": (lambda x, a: (1 + 2 * np.abs(x) / (a - 1)) ** (-a),
                       [2.0, 3.5], [{}], lambda a, p: []),
    "s2nn": (lambda x, a, beta=1.0: np.where(
        x < 0, a * np_sigmoid(a * x) * np_sigmoid(-a * x),
        beta / (np.where(x < 0, 0.0, x) + 1)),
        [4.0, 1.0], [{}, {"beta": 0.5}], lambda a, p: []),
    "spike_rate_escape": (lambda x, a, slope=25.0: slope * np.exp(-a * np.abs(x - 1)),
                          [1.0, 2.0], [{}, {"slope": 3.0}], lambda a, p: [1.0]),
    "squarewave_fourier_series": (
        lambda x, n=2.0, period=8.0: np_square_wave(x, n, period),
        None, [{}, {"n": 1.0}, {"n": 5.0, "period": 4.0}],
        lambda p: [p.get("period", 8.0) / 4, p.get("period", 8.0) / 2]),
    # Dspike: Li et al. (2021), sech^2 tempered by alpha on the closed support |x| <= 1/2.
    "dspike": (lambda x, a: np.where(
        np.abs(x) <= 0.5,
        a / (2 * np.tanh(a / 2)) / np.cosh(np.minimum(np.abs(a * x), 700)) ** 2, 0.0),
        [3.0, 0.5, 10.0], [{}], lambda a, p: [0.5]),
    "straight_through": (lambda x: np.ones_like(x), None, [{}], lambda p: []),
    "poisson_pass": (lambda x: np.ones_like(x), None, [{}], lambda p: []),
    # LocalZO's g is random: its expectation, the Gaussian density of std alpha
    # (tests/test_noisy.py checks the draws and their mean).
    "local_zo": (lambda x, a, samples=5: np_normal(x, 0, a), [0.5, 0.1], [{}],
                 lambda a, p: []),
    # ASGL's backward: the sigmoid's derivative of width alpha, whatever the mask.
    "asgl": (lambda x, a, rate=0.2: np_logistic_slope(x, 1 / a), [5.0, 0.5],
             [{}, {"rate": 0.7}], lambda a, p: []),
    # max_spikes D plays alpha; the window [lo, hi] defaults to [0, D]
    "multispike": (lambda x, d, grad_low=0.0, grad_high=None: np.where(
        (x >= grad_low) & (x <= (d if grad_high is None else grad_high)), 1.0, 0.0),
        [4.0, 2.0], [{}, {"grad_low": -1.5, "grad_high": 2.5}],
        lambda d, p: [0.0, d, p.get("grad_low", 0.0), p.get("grad_high") or d]),
}

STOCHASTIC = {"logistic", "circ_dist", "poisson_pass"}
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=5e-5, atol=1e-6), np.float64: dict(rtol=1e-11, atol=1e-13)}


def _cases():
    for name, (_, alphas, plist, _) in REF.items():
        for a in alphas or [None]:
            for p in plist:
                yield name, a, p


CASES = list(_cases())
IDS = [f"{n}-a{a}-{'-'.join(f'{k}{v}' for k, v in p.items()) or 'default'}"
       for n, a, p in CASES]


def _ref_g(name, a, p, x64):
    fn = REF[name][0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return fn(x64, **p) if a is None else fn(x64, a, **p)


def _kinks(name, a, p):
    k = REF[name][3]
    return k(p) if a is None else k(a, p)


def _call(f, x, a, p, **kw):
    kw = {**key_kwargs(f), **kw}
    return f(x, **p, **kw) if a is None else f(x, a, **p, **kw)


def test_every_name_has_a_reference():
    assert len(js.names()) >= 25
    missing = sorted(set(js.names()) - set(REF))
    assert not missing, f"shapes without a reference in this test: {missing}"
    assert not sorted(set(REF) - set(js.names()))


# A random g (LocalZO) matches its reference in expectation: tests/test_noisy.py.
_FIXED_G = [(c, i) for c, i in zip(CASES, IDS)
            if "derivative" not in js.get(c[0]).declaration.keyed]


def _derivative_call(name, x, a, p):
    f = js.get(name)
    return derivative_of(f, x, **p) if a is None else derivative_of(f, x, a, **p)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_matches_reference(dtype):
    cases = [c for c, _ in _FIXED_G]
    xs = [jnp.asarray(symmetric_grid(dtype, _kinks(*c))) for c in cases]
    # Every case in one compiled program, and derivative(f) in another.
    grads = jax.jit(lambda xs: [jax.grad(lambda x: _call(js.get(n), x, a, p).sum())(x)
                                for (n, a, p), x in zip(cases, xs)])(xs)
    derivatives = jax.jit(lambda xs: [_derivative_call(*c[:1], x, *c[1:])
                                      for c, x in zip(cases, xs)])(xs)
    for ((name, a, p), case), x, g, d in zip(_FIXED_G, xs, grads, derivatives):
        assert g.dtype == dtype, case
        want = _ref_g(name, a, p, np.asarray(x, np.float64))
        assert np.all(np.isfinite(np.asarray(g))), (case, np.asarray(x)[~np.isfinite(g)])
        np.testing.assert_allclose(np.asarray(g, np.float64), want, **TOL[dtype], err_msg=case)
        # derivative(f) is the same g, value for value
        np.testing.assert_array_equal(np.asarray(d), np.asarray(g), err_msg=case)


def _default_alpha(name):
    return REF[name][1][0] if REF[name][1] else None


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_input_gives_nan_gradient_and_no_spike(dtype):
    names = sorted(REF)
    x = jnp.array([np.nan, 0.5], dtype)
    # Every name in one compiled program per dtype.
    results = jax.jit(lambda x: [
        (_call(js.get(n), x, _default_alpha(n), {}),
         jax.grad(lambda x: _call(js.get(n), x, _default_alpha(n), {}).sum())(x))
        for n in names])(x)
    for name, (out, g) in zip(names, results):
        assert np.isnan(g[0]) and np.isfinite(g[1]), name
        if name not in STOCHASTIC:
            assert float(out[0]) == 0.0, name


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(n for n in REF if is_step(js.get(n))))
def test_forward_is_the_step_with_h0_zero(name, dtype):
    f = js.get(name)
    x = jnp.asarray(symmetric_grid(dtype))
    a = REF[name][1][0] if REF[name][1] else None
    out = _call(f, x, a, {})
    assert out.dtype == dtype
    xn = np.asarray(x)
    want = (xn > 0).astype(dtype)
    np.testing.assert_array_equal(np.asarray(out), want)
    assert f.declaration.at_zero == 0.0
    # the smallest positive subnormal is > 0
    tiny = jnp.array([np.nextafter(dtype(0), dtype(1))], dtype)
    assert float(_call(f, tiny, a, {})[0]) == 1.0


def test_stochastic_forwards_follow_their_probability():
    key = jax.random.key(3)
    n = 20_000
    s = js.get("poisson_pass")(jnp.full(n, 0.2, jnp.float64), key=key)
    assert abs(float(s.mean()) - 0.2) < 0.02
    assert float(js.get("poisson_pass")(jnp.zeros(n, jnp.float32), key=key).max()) == 0.0
    assert float(js.get("poisson_pass")(jnp.ones(n, jnp.float32), key=key).min()) == 1.0
    # logistic: p = 1/2 + tanh(alpha x)/2; circ_dist: p = 1/2 + x/(2 hypot(alpha, x))
    for name, x, p in [("logistic", 0.3, 0.5 + 0.5 * np.tanh(0.3)),
                       ("circ_dist", 0.5, 0.5 + 0.5 * 0.5 / np.hypot(1, 0.5))]:
        s = js.get(name)(jnp.full(n, x, jnp.float64), key=key)
        assert abs(float(s.mean()) - p) < 0.02


@pytest.mark.parametrize("name", sorted(REF))
def test_symmetry_and_sign_tables_are_honest(name):
    f = js.get(name)
    x = jnp.asarray(np.linspace(-6, 6, 241), jnp.float64)  # symmetric grid
    a = REF[name][1][0] if REF[name][1] else None
    p = REF[name][2][-1]
    g = np.asarray(derivative_of(f, x, **p) if a is None else derivative_of(f, x, a, **p))
    sym = np.allclose(g, g[::-1], rtol=0, atol=1e-12)
    assert sym == is_symmetric(f), name
    assert (g.min() >= 0) == is_nonnegative(f), name


SMOOTH_POINTS = np.array([-2.7, -0.77, -0.13, 0.061, 0.43, 1.3, 3.1])


def test_only_heaviside_lacks_a_primitive():
    # A zero gradient has none to declare, nor has a spike count's box, nor a
    # random backward.
    assert [n for n in js.names() if js.primitive(js.get(n)) is None] == [
        "heaviside", "local_zo", "multispike"]


_WITH_PRIMITIVE = [(c, i) for c, i in zip(CASES, IDS) if js.primitive(js.get(c[0])) is not None]


def test_primitive_derivative_is_g():
    x = jnp.asarray(SMOOTH_POINTS, jnp.float64)

    def primitive_of(name, a, p):
        prim = js.primitive(js.get(name))
        return (lambda x: prim(x, **p)) if a is None else (lambda x: prim(x, a, **p))

    # One compiled program: dS/dx on the points, and S(0), of every case.
    results = jax.jit(lambda x: [
        (jax.vmap(jax.grad(s))(x), s(jnp.zeros((), x.dtype)))
        for s in (primitive_of(*case) for case, _ in _WITH_PRIMITIVE)])(x)
    for (case, case_id), (dsdx, at_zero) in zip(_WITH_PRIMITIVE, results):
        want = _ref_g(*case, SMOOTH_POINTS)
        np.testing.assert_allclose(np.asarray(dsdx), want, rtol=1e-10, atol=1e-13,
                                   err_msg=case_id)
        assert float(at_zero) == 0.0, case_id


LEARNABLE = sorted(n for n in REF if js.get(n).declaration.learnable)


def test_learn_alpha_cotangent_matches_finite_difference():
    x = jnp.asarray(SMOOTH_POINTS, jnp.float64)
    ct = jnp.asarray(np.linspace(0.5, 2.0, x.size), jnp.float64)

    def case(name):
        f = js.get(name)
        prim = js.primitive(f)
        assert prim is not None, f"{name} has alpha but no primitive"
        a = max(REF[name][1])  # > 0 for every shape, > 1 for q_pseudo_spike
        return f, prim, a, REF[name][2][-1], 1e-6 * max(a, 1.0), key_kwargs(f)

    cases = [case(name) for name in LEARNABLE]

    def one(f, prim, a, p, h, kw):
        alpha, h = jnp.array(a, jnp.float64), jnp.array(h, jnp.float64)
        # the alpha cotangent, S at alpha +- h, and the x-gradient (unchanged
        # by learn_alpha)
        return (jax.grad(lambda al: (ct * f(x, al, **p, learn_alpha=True, **kw)).sum())(alpha),
                prim(x, alpha + h, **p), prim(x, alpha - h, **p),
                jax.grad(lambda x: f(x, alpha, **p, learn_alpha=True, **kw).sum())(x))

    # One compiled program for every learnable shape.
    results = jax.jit(lambda: [one(*c) for c in cases])()
    for name, (f, prim, a, p, h, kw), (ga, s_above, s_below, gx) in zip(LEARNABLE, cases,
                                                                        results):
        fd = float(np.sum(np.asarray(ct) * (np.asarray(s_above) - np.asarray(s_below)) / (2 * h)))
        np.testing.assert_allclose(float(ga), fd, rtol=1e-6, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(np.asarray(gx), _ref_g(name, a, p, SMOOTH_POINTS),
                                   rtol=1e-11, atol=1e-13, err_msg=name)


def test_aliases_point_to_the_same_maths():
    al = js.aliases()
    assert al["arctan"] == "atan"
    assert al["rect"] == "rectangle"
    assert al["nonzero_sign_log"] == "nonzero_sign_log_abs"
    assert al["deterministic_pass"] == "straight_through"
    for alias, canonical in al.items():
        assert js.get(alias) is js.get(canonical)
    # Same name, other maths: presets with their own derivative, not aliases.
    x = jnp.asarray(np.linspace(-2, 2, 9), jnp.float64)
    for preset, lookalike in [("spikingjelly.superspike", "superspike"),
                              ("snnax.superspike", "superspike"), ("spyx.arctan", "atan"),
                              ("braintools.q_pseudo_spike", "q_pseudo_spike")]:
        assert js.get(preset) is not js.get(lookalike) and preset not in al
        assert js.get(preset).declaration.preset_of is None
        assert not np.allclose(js.derivative(js.get(preset))(x, 2.0),
                               js.derivative(js.get(lookalike))(x, 2.0))


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_gradients_are_finite(dtype):
    names = sorted(REF)
    big = float(jnp.finfo(dtype).max)
    x = jnp.array([-np.inf, -big, -1.0, 0.0, 0.5, big, np.inf], dtype)
    # Every name in one compiled program per dtype.
    grads = jax.jit(lambda x: [
        jax.grad(lambda x: _call(js.get(n), x, _default_alpha(n), {}).astype(
            jnp.float32).sum())(x) for n in names])(x)
    for name, g in zip(names, grads):
        assert g.dtype == dtype, name
        assert np.all(np.isfinite(np.asarray(g, np.float32))), name
