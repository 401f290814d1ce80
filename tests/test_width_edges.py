"""The width tools at the edges: NaN and empty layers, per-neuron parameters in
the plot, jax.export, and the adaptive functions under every transform.

References: window_fraction's definition evaluated in float64 NumPy over the
non-NaN potentials; an adaptive function's g and S from the base shape's
closed forms (SuperSpike: g = 1/(alpha|u| + 1)^2, S = u/(alpha|u| + 1)) at
u = x / w.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

import jaxsurrogate as js
from jaxsurrogate._src.window import Window


def _np_superspike(u, alpha=100.0):
    return 1.0 / (alpha * np.abs(u) + 1.0) ** 2


def test_nan_potentials_are_counted_not_let_to_zero_the_layer():
    x = np.array([np.nan, -0.02, 0.0, 0.005, 3.0, np.nan], np.float64)
    got = js.window_fraction(js.superspike, jnp.asarray(x))
    finite = x[~np.isnan(x)]
    g = _np_superspike(finite)
    assert int(got.nan_count) == 2
    np.testing.assert_allclose(float(got.fraction), np.mean(g >= 0.01), rtol=1e-12)
    np.testing.assert_allclose(float(got.mean_g), g.mean(), rtol=1e-12)
    jitted = jax.jit(lambda x: js.window_fraction(js.superspike, x))(jnp.asarray(x))
    for a, b in zip(got, jitted):
        np.testing.assert_array_equal(a, b)


def test_an_empty_layer_is_a_clear_error():
    with pytest.raises(ValueError, match=r"window_fraction: x is empty \(shape \(0, 3\)\)"):
        js.window_fraction(js.superspike, jnp.zeros((0, 3)))


def test_plot_window_takes_per_neuron_parameters_and_numpy_bins():
    pytest.importorskip("matplotlib", reason="plot_window needs pip install -e '.[examples]'")
    x = jnp.linspace(-1.0, 1.0, 12, dtype=jnp.float32).reshape(4, 3)
    alpha = jnp.array([1.0, 2.0, 30.0], jnp.float32)
    fig = js.plot_window(js.superspike, x, alpha=alpha, bins=np.int64(10))
    title = fig.axes[0].get_title()
    want = js.window_fraction(js.superspike, x, alpha)
    assert title.startswith("superspike, per-neuron alpha (g at the median)"), title
    assert f"{float(want.fraction):.1%}" in title
    # The drawn g is the median alpha's.
    line = fig.axes[1].lines[0]
    np.testing.assert_allclose(line.get_ydata(), _np_superspike(line.get_xdata(), 2.0),
                               rtol=1e-6)
    fig = js.plot_window(js.gaussian, x, sigma=jnp.array([0.5, 1.0, 2.0], jnp.float32))
    assert fig.axes[0].get_title()
    for bad in (0, 2.5, True, "10"):
        with pytest.raises(ValueError, match="plot_window: bins must be a whole number >= 1"):
            js.plot_window(js.superspike, x, bins=bad)


def test_windows_and_adaptive_functions_export_with_a_symbolic_batch():
    b, = export.symbolic_shape("b")
    f = js.adaptive(js.superspike, rule="ds_atgo", axis=0)  # std over the symbolic axis
    program = jax.jit(lambda x: (f(x), jax.grad(lambda x: f(x).sum())(x),
                                 js.window_fraction(f, x)))
    exported = export.export(program)(jax.ShapeDtypeStruct((b, 8), jnp.float32))
    restored = export.deserialize(exported.serialize())
    x = jnp.asarray(np.random.default_rng(0).normal(0, 0.5, (5, 8)), jnp.float32)
    got, want = restored.call(x), program(x)
    assert isinstance(got[2], Window)
    for a, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(a, w, rtol=1e-6)


def test_forward_mode_derivative_and_primitive_take_adaptive_functions():
    f = js.adaptive(js.superspike, rule="ds_atgo")
    x = jnp.linspace(-2.0, 2.0, 9, dtype=jnp.float64)
    w = float(f.width(x)[0])
    u = np.asarray(x) / w
    g_want = _np_superspike(u) / w  # g(x/w)/w
    np.testing.assert_allclose(js.derivative(f)(x), g_want, rtol=1e-12)
    np.testing.assert_allclose(js.primitive(f)(x), u / (100.0 * np.abs(u) + 1), rtol=1e-12)
    twin = js.forward_mode(f)
    assert twin.mode == "forward" and twin.rule == "ds_atgo"
    # The transforms in one compiled program; fire in both modes: jacfwd of
    # the forward mode is jacrev of the reverse one.
    jac_twin, grad, jac_f, jac_r = jax.jit(lambda x, v: (
        jax.jacfwd(twin)(x), jax.grad(lambda x: f(x).sum())(x),
        jax.jacfwd(lambda v: js.fire(v, spike=f, mode="forward")[0])(v),
        jax.jacrev(lambda v: js.fire(v, spike=f)[0])(v)))(x, x + 1.0)
    np.testing.assert_allclose(jnp.diag(jac_twin), g_want, rtol=1e-12)
    np.testing.assert_allclose(grad, g_want, rtol=1e-12)
    np.testing.assert_allclose(jac_f, jac_r, rtol=1e-12, atol=1e-15)
    assert js.checked(f).checked and js.checked(f).rule == "ds_atgo"


def test_mpd_agl_is_the_paper_s_rule_from_the_caller_s_statistics():
    # Stay-Sane/MPD-AGL surrogate.py: w = 2 gamma Vth (first step), times
    # sqrt(1 + tau^2) later, 1 without normalisation; g = (1/w) 1[|x| < w/2].
    f = js.adaptive(js.get("spikingjelly.rect"), rule="mpd_agl")  # fires at x >= 0, as there
    x = jnp.linspace(-1.0, 1.0, 21, dtype=jnp.float64)
    xn = np.asarray(x)
    for stats, w in [({}, 1.0),
                     ({"bn_weight_mean": 0.8, "first_step": True}, 2 * 0.8 * 0.5),
                     ({"bn_weight_mean": 0.8}, 2 * 0.8 * 0.5 * np.sqrt(1 + 0.2**2)),
                     ({"bn_weight_mean": 1.3, "v_th": 1.0, "tau": 0.5},
                      2 * 1.3 * np.sqrt(1 + 0.25))]:
        np.testing.assert_allclose(f.width(x, **stats), [w], rtol=1e-12)
        g = jax.grad(lambda x: f(x, **stats).sum())(x)
        np.testing.assert_allclose(g, np.where(np.abs(xn) < w / 2, 1 / w, 0.0), rtol=1e-12)
        np.testing.assert_array_equal(f(x, **stats), (xn >= 0).astype(np.float64))
    # A silent layer (all x equal) keeps the rule's width: it does not look at x.
    np.testing.assert_allclose(f.width(jnp.full(8, -1.0), bn_weight_mean=0.8), [0.8 * 1.0198],
                               rtol=1e-4)
    # Traced first_step (a scan's step index) and the statistics through fire.
    step = jax.jit(lambda t: f.width(x, bn_weight_mean=0.8, first_step=t == 0))
    np.testing.assert_allclose([step(0), step(3)], [[0.8], [0.8 * np.sqrt(1.04)]], rtol=1e-12)
    g_fire = jax.grad(lambda v: js.fire(v, 0.5, spike=f, bn_weight_mean=0.8)[0].sum())(x + 0.5)
    np.testing.assert_allclose(g_fire, jax.grad(lambda x: f(x, bn_weight_mean=0.8).sum())(x))
    with pytest.raises(TypeError, match=r"unknown statistic\(s\) \['gamma'\]"):
        f.width(x, gamma=1.0)
