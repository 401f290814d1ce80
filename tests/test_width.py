"""See the width: window_fraction and plot_window; schedule it: alpha from an optax schedule.

References are float64 numpy restatements of each g and of the window's
definition, written here, never numbers from jaxsurrogate.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js

RNG = np.random.default_rng(7)
X = RNG.normal(0.0, 1.0, 4000)


def np_superspike(x, a):
    return 1 / (a * np.abs(x) + 1) ** 2


def np_rectangle(x, a):
    return np.where(np.abs(x) < 1 / (2 * a), a, 0.0)


def np_escape(x, a, slope=25.0):
    return slope * np.exp(-a * np.abs(x - 1))


# (spike function, alpha, numpy g, the true max of g)
CASES = [
    (js.superspike, 100.0, np_superspike, 1.0),
    (js.superspike, 1.0, np_superspike, 1.0),
    (js.rectangle, 2.0, np_rectangle, 2.0),
    (js.spike_rate_escape, 2.0, np_escape, 25.0),  # peaks at x = 1, not 0
]


def _windows(x, rel):
    """All cases through one compiled function."""
    return jax.jit(lambda x: [js.window_fraction(f, x, a, rel=rel) for f, a, _, _ in CASES])(x)


@pytest.mark.parametrize("rel", [0.01, 0.3])
def test_window_fraction_against_the_definition(rel):
    x = jnp.asarray(X, jnp.float64)
    for (f, a, np_g, peak), got in zip(CASES, _windows(x, rel)):
        g = np_g(X, a)
        np.testing.assert_allclose(float(got.fraction), np.mean(g >= rel * peak), rtol=0,
                                   atol=1e-15, err_msg=f.__name__)
        np.testing.assert_allclose(float(got.mean_g), g.mean(), rtol=1e-12, err_msg=f.__name__)
        assert got.fraction.dtype == jnp.float64


def test_the_peak_is_found_where_the_batch_does_not_reach():
    # spike_rate_escape peaks at x = 1; a batch far below it must still be
    # measured against g(1) = slope, not against its own largest g.
    x = np.linspace(-3.0, -1.0, 101)
    got = js.window_fraction(js.spike_rate_escape, jnp.asarray(x), 1.0, rel=0.2)
    g = np_escape(x, 1.0)
    assert np.mean(g >= 0.2 * 25.0) == 0.0 < np.mean(g >= 0.2 * g.max())
    assert float(got.fraction) == 0.0
    # Superspike at a huge alpha: the peak (x = 0) is on the grid, the batch misses it.
    x = np.array([5e-4, 2e-3, -5e-3, 0.5])
    got = js.window_fraction(js.superspike, jnp.asarray(x), 1e4, rel=0.01)
    assert float(got.fraction) == np.mean(np_superspike(x, 1e4) >= 0.01) == 0.25


def test_a_zero_surrogate_has_no_window():
    # heaviside's g is 0 everywhere: max g = 0 must not put all of x inside
    got = js.window_fraction(js.heaviside, jnp.asarray(X))
    assert float(got.fraction) == 0.0 and float(got.mean_g) == 0.0


def test_traced_alpha_one_compilation_and_float32():
    traces = []

    @jax.jit
    def window(x, alpha):
        traces.append(None)
        return js.window_fraction(js.superspike, x, alpha)

    x32 = jnp.asarray(X, jnp.float32)
    for a in [1.0, 10.0, 100.0, 1000.0]:
        got = window(x32, jnp.float32(a))
        want = np.mean(np_superspike(X.astype(np.float32).astype(np.float64), a) >= 0.01)
        np.testing.assert_allclose(float(got.fraction), want, atol=1 / X.size)
        assert got.fraction.dtype == jnp.float32
    assert len(traces) == 1 and window._cache_size() == 1


def test_adaptive_window_is_the_stretched_surrogates():
    f = js.adaptive(js.superspike, rule="ds_atgo")
    x = 0.3 * X  # std 0.3: w = 1 + tanh(0.3 - 1)
    w = 1 + np.tanh(np.std(x, ddof=1) - 1)
    got = js.window_fraction(f, jnp.asarray(x), 10.0)
    u = x / w
    np.testing.assert_allclose(float(got.fraction), np.mean(np_superspike(u, 10.0) >= 0.01),
                               atol=1e-15)
    np.testing.assert_allclose(float(got.mean_g), np.mean(np_superspike(u, 10.0) / w),
                               rtol=1e-12)


def test_window_fraction_errors_name_the_argument():
    x = jnp.zeros(4)
    for rel in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"window_fraction: rel must be in \(0, 1\)"):
            js.window_fraction(js.superspike, x, rel=rel)
    for rel in ("0.1", True, None):
        with pytest.raises(TypeError, match="window_fraction: rel must be a number"):
            js.window_fraction(js.superspike, x, rel=rel)
    with pytest.raises(TypeError, match="window_fraction: f must be a jaxsurrogate spike"):
        js.window_fraction(lambda v: v > 0, x)
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        js.window_fraction(js.superspike, jnp.zeros(4, jnp.int32))
    with pytest.raises(TypeError, match="unknown parameter"):
        js.window_fraction(js.superspike, x, beta=1.0)


def test_plot_window_draws_g_over_the_histogram(tmp_path):
    pytest.importorskip("matplotlib", reason="plot_window needs the examples extra")
    x = 0.5 * X
    path = tmp_path / "window.png"
    fig = js.plot_window(js.superspike, jnp.asarray(x), path, alpha=10.0)
    assert path.read_bytes().startswith(b"\x89PNG")
    ax, ax_g = fig.axes
    fraction = np.mean(np_superspike(x, 10.0) >= 0.01)
    assert f"{fraction:.1%} of x in the window" in ax.get_title()
    curve_x, curve = ax_g.lines[0].get_xdata(), ax_g.lines[0].get_ydata()
    np.testing.assert_allclose(curve, np_superspike(curve_x, 10.0), rtol=1e-6)
    assert 0.0 in curve_x and curve_x.min() < x.min() and curve_x.max() > x.max()
    counts = sum(p.get_height() for p in ax.patches)
    assert counts == x.size


def test_plot_window_adaptive_and_errors(monkeypatch):
    pytest.importorskip("matplotlib", reason="plot_window needs the examples extra")
    x = jnp.asarray(0.5 * X.reshape(40, 100))
    fig = js.plot_window(js.adaptive(js.rectangle), x)
    w = 1 + np.tanh(np.std(0.5 * X, ddof=1) - 1)
    curve_x, curve = fig.axes[1].lines[0].get_xdata(), fig.axes[1].lines[0].get_ydata()
    np.testing.assert_allclose(curve, np_rectangle(curve_x / w, 1.0) / w, rtol=1e-12)
    with pytest.raises(ValueError, match="plot_window: .* gives 100 widths"):
        js.plot_window(js.adaptive(js.rectangle, axis=0), x)
    with pytest.raises(ValueError, match="plot_window: rel must be in"):
        js.plot_window(js.superspike, x, rel=2.0)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install jaxsurrogate\[examples\]"):
        js.plot_window(js.superspike, x)


def test_alpha_from_an_optax_schedule_compiles_once():
    """The documented pattern: the step number goes in, the schedule gives alpha,
    the jitted step compiles once for the whole run."""
    optax = pytest.importorskip("optax", reason="the schedule pattern uses optax")
    schedule = optax.linear_schedule(1.0, 10.0, transition_steps=4)
    tx = optax.sgd(0.1)
    inputs = jnp.asarray([0.2, 0.9, 1.1, 1.4, -0.3], jnp.float64)
    traces = []

    @jax.jit
    def train_step(w, opt_state, step):
        traces.append(None)
        alpha = schedule(step)
        loss = lambda w: js.superspike(inputs * w - 1.0, alpha).sum()  # noqa: E731
        grad = jax.grad(loss)(w)
        updates, opt_state = tx.update(grad, opt_state)
        return w + updates, opt_state, alpha, grad

    w = jnp.asarray(1.0, jnp.float64)
    opt_state = tx.init(w)
    for step in range(6):
        w_before = float(w)
        w, opt_state, alpha, grad = train_step(w, opt_state, jnp.asarray(step))
        want_alpha = 1.0 + 9.0 * min(step, 4) / 4  # linear 1 -> 10 over 4 steps, then 10
        assert float(alpha) == pytest.approx(want_alpha, rel=1e-12)
        x = inputs * w_before - 1.0
        want_grad = np.sum(np.asarray(inputs) * np_superspike(np.asarray(x), want_alpha))
        assert float(grad) == pytest.approx(want_grad, rel=1e-12)
    assert len(traces) == 1 and train_step._cache_size() == 1


def test_window_of_a_random_surrogate_takes_the_call_s_key() -> None:
    x = jnp.linspace(-2.0, 2.0, 64)
    key = jax.random.key(3)
    window = js.window_fraction(js.local_zo, x, key=key)
    g = js.derivative(js.local_zo)(x, key=key)
    np.testing.assert_allclose(window.mean_g, jnp.mean(g), rtol=1e-6)
    assert 0 < float(window.fraction) < 1
    with pytest.raises(TypeError, match="key is required"):
        js.window_fraction(js.local_zo, x)
