r"""How much of a layer lies inside its surrogate's gradient window.

:func:`window_fraction` measures it (jit-able, one call per layer);
:func:`plot_window` draws the histogram of ``x`` under ``g``.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import export

from jaxsurrogate._src import validation
from jaxsurrogate._src.adaptive import AdaptiveSpikeFunction
from jaxsurrogate._src.mechanism import UNSET, Array
from jaxsurrogate._src.spike import SpikeFunction, derivative

# Where max g is also looked for: 0 and +-10^k, k from -6 to 3 in eighths of
# a decade. Every built-in shape peaks at 0 (spike_rate_escape at 1), so a
# batch that misses the peak is still measured against it.
_DECADES = 10.0 ** (np.arange(-48, 25) / 8)
PEAK_GRID = np.concatenate([-_DECADES[::-1], [0.0], _DECADES])


class Window(NamedTuple):
    """What :func:`window_fraction` measures (NaN potentials left out of both)."""

    fraction: Array  #: the fraction of x with g(x) >= rel * max g
    mean_g: Array  #: the mean of g over x
    nan_count: Array  #: how many x were NaN (and left out)


export.register_namedtuple_serialization(Window, serialized_name="jaxsurrogate.Window")


def _check_function(f: Any, who: str) -> None:
    if not isinstance(f, (SpikeFunction, AdaptiveSpikeFunction)):
        raise TypeError(f"{who}: f must be a jaxsurrogate spike function (e.g. js.superspike, "
                        f"js.get('super') or js.adaptive(...)), got {f!r}")


def _check_rel(rel: Any, who: str) -> float:
    if isinstance(rel, bool) or not isinstance(rel, (int, float, np.floating, np.integer)):
        raise TypeError(f"{who}: rel must be a number in (0, 1), got {rel!r}")
    if not 0 < float(rel) < 1:
        raise ValueError(f"{who}: rel must be in (0, 1) (a fraction of max g), got {rel!r}")
    return float(rel)


def _g_and_peak(f: Any, x: Array, alpha: Any, params: dict,
                key: Any = None) -> tuple[Array, Array, Array]:
    """(g(x), max g, the scale 1/w): for an adaptive f, g of the stretched x."""
    base, scale = f, None
    if isinstance(f, AdaptiveSpikeFunction):
        base = f.base
        w = f.width(x)
        x = (x.astype(w.dtype) / w).astype(x.dtype)
        scale = 1 / w
    g_of = derivative(base)
    if key is not None:
        params = {**params, "key": key}
    g = g_of(x, alpha, **params)
    grid = jnp.asarray(PEAK_GRID, x.dtype)
    # The grid takes only scalar parameters; per-neuron ones have their peak
    # measured on x alone.
    scalar = all(jnp.ndim(v) == 0 for k, v in params.items() if k != "key") and (
        alpha is UNSET or jnp.ndim(alpha) == 0)
    peak = jnp.max(jnp.where(jnp.isnan(x), -jnp.inf, g))
    if scalar:
        peak = jnp.maximum(peak, jnp.max(g_of(grid, alpha, **params)))
    return g, peak, scale


def window_fraction(f: Any, x: Any, alpha: Any = None, *, rel: float = 0.01, key: Any = None,
                    **params: Any) -> Window:
    r"""The fraction of ``x`` inside the surrogate's gradient window, and the mean g.

    .. math::
        \text{fraction} = \frac{1}{N}\sum_i \mathbb{1}\left[g(x_i) \ge
        \text{rel} \cdot \max g\right], \qquad
        \text{mean\_g} = \frac{1}{N}\sum_i g(x_i)

    ``x`` is the membrane potential minus the threshold (the spike function's
    input), e.g. one layer's at every step and example. Neurons outside the
    window pass (almost) no gradient: a fraction near 0 means the surrogate
    is too narrow for this layer, near 1 that it hardly tells potentials
    apart. max g is the larger of g's maximum over ``x`` and over a fixed
    grid (0 and :math:`\pm 10^k`, k from −6 to 3 in eighths of a decade:
    every built-in shape peaks at 0, spike_rate_escape at 1), so a batch that
    misses the peak is still measured against it. For an adaptive ``f``, g is
    its stretched surrogate, with the width its rule gives for ``x`` as
    passed. Jit-able; alpha may be traced.

    Args:
        f: a spike function (or one made by :func:`adaptive`).
        x: the spike function's input, any shape.
        alpha: f's alpha (None: its default); a number or an array.
        rel: the window's edge, as a fraction of max g, in (0, 1).
        key: a PRNG key, for a random surrogate only (``js.local_zo``: g is
            its draw for this key).
        **params: f's extra parameters.

    Returns:
        ``Window(fraction, mean_g, nan_count)``: the fraction and mean g in
        x's compute dtype, over the x that are not NaN, and how many were NaN
        (a diverged layer shows here instead of zeroing the fraction). NaN
        when every x is NaN.

    Raises:
        TypeError, ValueError: for an ``f`` that is not a spike function, a
            ``rel`` outside (0, 1), an empty or non-float ``x``.

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> x = jnp.linspace(-1.0, 1.0, 200)
        >>> js.window_fraction(js.superspike, x, 100.0).fraction  # |x| < 0.09
        Array(0.09, dtype=float32)
        >>> js.window_fraction(js.superspike, x, 1.0).fraction  # all of it
        Array(1., dtype=float32)

    Reference:
        F. Zenke and T. P. Vogels, "The remarkable robustness of surrogate
        gradient learning for instilling complex function in spiking neural
        networks", Neural Computation 33(4), 2021 (how the surrogate's
        steepness affects learning).
    """
    who = "window_fraction"
    _check_function(f, who)
    rel = _check_rel(rel, who)
    x = validation.floating_array(x, who)
    if x.size == 0:
        raise ValueError(f"{who}: x is empty (shape {tuple(x.shape)}); pass at least one "
                         f"potential")
    alpha = UNSET if alpha is None else alpha
    g, peak, scale = _g_and_peak(f, x, alpha, params, key)
    dtype = validation.compute_dtype(x.dtype)
    g = g.astype(dtype)
    # g > 0 too: a zero surrogate (heaviside) has no window, not all of x.
    inside = (g >= rel * peak.astype(dtype)) & (g > 0)
    if scale is not None:
        g = g * scale
    # A NaN potential (a diverged neuron) is counted, not let to zero the layer.
    valid = ~jnp.isnan(x)
    n_valid = jnp.sum(valid).astype(dtype)
    return Window(jnp.sum(inside & valid).astype(dtype) / n_valid,
                  jnp.sum(jnp.where(valid, g, 0)) / n_valid,
                  jnp.sum(~valid))


def plot_window(f: Any, x: Any, path: Any = None, alpha: Any = None, *, rel: float = 0.01,
                bins: int = 80, **params: Any) -> Any:
    r"""A histogram of ``x`` with the surrogate ``g`` over it and its window shaded.

    .. math::
        \text{window} = \{x : g(x) \ge \text{rel} \cdot \max g\}

    The histogram counts ``x`` (membrane potential minus threshold; NaN and
    inf left out), ``g`` is drawn on a second axis, the window shaded, and the
    title gives :func:`window_fraction`. For an adaptive ``f``, g is stretched
    by the width its rule gives for ``x`` as passed (pass one time step's x to
    see that step's window); it must be one width, not per-neuron widths.

    Args:
        f: a spike function (or one made by :func:`adaptive`).
        x: the spike function's input, any shape.
        path: where to save the figure (PNG, PDF...), or None.
        alpha: f's alpha (None: its default).
        rel: the window's edge, as a fraction of max g, in (0, 1).
        bins: the histogram's number of bins (any whole number, NumPy's too).
        **params: f's extra parameters; per-neuron ones (like a per-neuron
            alpha) are drawn at their median.

    Returns:
        The ``matplotlib.figure.Figure``.

    Raises:
        ImportError: without matplotlib (``pip install jaxsurrogate[examples]``).

    Example:
        >>> import jax, jax.numpy as jnp, jaxsurrogate as js
        >>> x = jnp.linspace(-2.0, 2.0, 1001)
        >>> fig = js.plot_window(js.superspike, x, alpha=10.0)  # window |x| <= 0.9
        >>> fig.axes[0].get_title()
        'superspike, alpha 10: 45.0% of x in the window, mean g 0.0476'

    Reference:
        F. Zenke and T. P. Vogels, "The remarkable robustness of surrogate
        gradient learning for instilling complex function in spiking neural
        networks", Neural Computation 33(4), 2021 (how the surrogate's
        steepness affects learning).
    """
    who = "plot_window"
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plot_window needs matplotlib: pip install jaxsurrogate[examples] "
                          "(or pip install matplotlib)") from err
    _check_function(f, who)
    rel = _check_rel(rel, who)
    if isinstance(bins, (bool, np.bool_)) or not isinstance(bins, numbers.Integral) or bins < 1:
        raise ValueError(f"{who}: bins must be a whole number >= 1, got {bins!r}")
    bins = int(bins)
    x = validation.floating_array(x, who)
    stats = window_fraction(f, x, alpha, rel=rel, **params)
    values = np.asarray(x, np.float64).ravel()
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    pad = 0.05 * (hi - lo) or 1.0
    curve_x = np.union1d(np.linspace(lo - pad, hi + pad, 2001), [0.0])
    a = UNSET if alpha is None else alpha
    _, peak, _ = _g_and_peak(f, x, a, params)
    base, stretch = f, 1.0
    if isinstance(f, AdaptiveSpikeFunction):
        w = np.asarray(f.width(x))
        if w.size != 1:
            raise ValueError(f"{who}: {f!r} gives {w.size} widths (one per neuron); plot one "
                             f"neuron's x, or use axis=None")
        base, stretch = f.base, w.item()
    # One curve: a per-neuron alpha or parameter is drawn at its median (the
    # title's fraction is still every neuron's own).
    curve_a = a if a is UNSET or np.ndim(a) == 0 else np.median(np.asarray(a))
    curve_params = {k: v if np.ndim(v) == 0 else np.median(np.asarray(v))
                    for k, v in params.items()}
    curve = np.asarray(derivative(base)(jnp.asarray(curve_x / stretch, x.dtype), curve_a,
                                        **curve_params), np.float64)
    inside = (curve >= rel * max(float(peak), curve.max(initial=0.0))) & (curve > 0)
    curve = curve / stretch
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    ax.hist(values, bins=bins, color="0.6")
    ax.set(xlabel="x = v - v_th", ylabel="count")
    ax_g = ax.twinx()
    ax_g.plot(curve_x, curve, color="C0")
    ax_g.set_ylabel("surrogate g(x)", color="C0")
    ax_g.fill_between(curve_x, 0, 1, where=inside, color="C0", alpha=0.15,
                      transform=ax_g.get_xaxis_transform(), label=f"g >= {rel:g} max g")
    ax_g.set_ylim(bottom=0)
    ax_g.legend(loc="upper right")
    name = getattr(f, "__name__", "f")
    shown = alpha if alpha is not None else f.declaration.alpha
    if shown is None:
        label = name
    elif np.ndim(shown) == 0:
        label = f"{name}, alpha {float(np.asarray(shown)):g}"
    else:
        label = f"{name}, per-neuron alpha (g at the median)"
    ax.set_title(f"{label}: {float(stats.fraction):.1%} of x in the window, "
                 f"mean g {float(stats.mean_g):.3g}")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig

