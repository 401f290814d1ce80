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
    np.testing.assert_allclose(jnp.diag(jax.jacfwd(twin)(x)), g_want, rtol=1e-12)
    np.testing.assert_allclose(jax.grad(lambda x: f(x).sum())(x), g_want, rtol=1e-12)
    # fire in both modes: jacfwd of the forward mode is jacrev of the reverse one.
    v = x + 1.0
    jac_f = jax.jacfwd(lambda v: js.fire(v, spike=f, mode="forward")[0])(v)
    jac_r = jax.jacrev(lambda v: js.fire(v, spike=f)[0])(v)
    np.testing.assert_allclose(jac_f, jac_r, rtol=1e-12, atol=1e-15)
    assert js.checked(f).checked and js.checked(f).rule == "ds_atgo"
