"""Pictures of the surrogate shapes: one panel per name, or a grid of them.

Built only from the public API (``names``, ``get``, ``derivative``,
``primitive``), so the pictures show what users get, not internals. Each
panel's x-range follows its shape's width (:func:`x_range`), so a narrow
shape (SuperSpike at alpha 100) is drawn as a bump, not a needle.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

DEFAULT_X_RANGE = (-3.0, 3.0)  # for shapes without a width (constant g)
_POINTS = 601  # odd, so that x = 0 is sampled
# Where the width is looked for: 0 and +-1e-5 ... 1e5.
_SEARCH = np.concatenate([-np.geomspace(1e5, 1e-5, 2001), [0.0],
                          np.geomspace(1e-5, 1e5, 2001)]).astype(np.float32)
_NICE = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or a clear error."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            "the gallery needs matplotlib: pip install jaxsurrogate[examples]"
        ) from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _alpha_args(fn: Any, alpha: float | None) -> tuple:
    """``(alpha,)`` where the function has an alpha and one is asked for."""
    return (alpha,) if alpha is not None and fn.declaration.alpha is not None else ()


# Draws averaged to show a random backward's expectation.
DRAWS = 256
# Curves are evaluated on x padded to a multiple of this, so that one compiled
# program per function serves the width search and every panel.
_BLOCK = 4096


@functools.lru_cache(maxsize=None)
def _curve_program(fn: Any) -> Any:
    """One jitted program per spike function: x, alpha args -> (g, S or None)."""
    import jaxsurrogate as js  # here, so that the package may import us

    g_fn, s_fn = js.derivative(fn), js.primitive(fn)

    def evaluate(xs: Any, extra: tuple) -> tuple:
        if "derivative" in fn.declaration.keyed:
            # A random backward: the mean of DRAWS draws shows its expectation.
            keys = jax.random.split(jax.random.key(0), DRAWS)
            g = jax.vmap(lambda k: g_fn(xs, *extra, key=k))(keys).mean(0)
        else:
            g = g_fn(xs, *extra)
        return g, None if s_fn is None else s_fn(xs, *extra)

    return jax.jit(evaluate)


def curves(name: str, x: np.ndarray, alpha: float | None = None
           ) -> tuple[np.ndarray, np.ndarray | None, Any]:
    """g(x) and, where declared, S(x), as float32 numpy.

    Args:
        name: any name, alias or preset.
        x: where to evaluate.
        alpha: the alpha to draw at; None keeps the function's default (and a
            function without alpha ignores it).

    Returns:
        (g, S or None, the alpha drawn or None).
    """
    import jaxsurrogate as js

    fn = js.get(name)
    x = np.asarray(x, np.float32)
    padded = np.zeros(-(-max(x.size, 1) // _BLOCK) * _BLOCK, np.float32)
    padded[:x.size] = x.ravel()
    extra = tuple(np.float32(a) for a in _alpha_args(fn, alpha))
    g, s = _curve_program(fn)(padded, extra)
    g = np.asarray(g)[:x.size].reshape(x.shape)
    s = None if s is None else np.asarray(s)[:x.size].reshape(x.shape)
    return g, s, alpha if extra else fn.declaration.alpha


def _nice(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 (times a power of ten) >= value."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(n * power for n in _NICE if n * power >= value * (1 - 1e-6))


def x_range(name: str, alpha: float | None = None) -> tuple[float, float]:
    """A symmetric x-range that shows the shape of g at this alpha.

    The range is four times the farthest point of the bump around g's peak
    where g is still at least half its peak (the peak's half width, for a
    bump centred at 0), rounded up to a round number. Shapes without a peak
    (a constant or a one-sided step) get :data:`DEFAULT_X_RANGE`.

    Example:
        >>> from jaxsurrogate._src.gallery import x_range
        >>> x_range("superspike")          # alpha 100: half width 0.0041
        (-0.02, 0.02)
        >>> x_range("superspike", alpha=1.0)
        (-2.0, 2.0)
    """
    g = curves(name, _SEARCH, alpha)[0].astype(np.float64)
    peak = int(np.argmax(g))
    if not np.isfinite(g[peak]) or g[peak] <= 0 or np.all(g >= g[peak] / 2):
        return DEFAULT_X_RANGE
    high = g >= g[peak] / 2
    lo = hi = peak
    while lo > 0 and high[lo - 1]:
        lo -= 1
    while hi < len(g) - 1 and high[hi + 1]:
        hi += 1
    if lo == 0 or hi == len(g) - 1:  # the bump never falls: no width
        return DEFAULT_X_RANGE
    half = _nice(4 * max(abs(float(_SEARCH[lo])), abs(float(_SEARCH[hi]))))
    return (-half, half)


def panel(ax: Any, name: str, *, alpha: float | None = None,
          x_range: tuple[float, float] | None = None, title: bool = True) -> None:
    """Draws g (solid) and the declared primitive S (dashed) of one name on ``ax``.

    Args:
        ax: a matplotlib Axes.
        name: any name, alias or preset.
        alpha: None for the function's default.
        x_range: (low, high); None for :func:`x_range`'s choice.
        title: put the name and alpha above the panel.
    """
    lo, hi = x_range if x_range is not None else globals()["x_range"](name, alpha)
    x = np.linspace(lo, hi, _POINTS, dtype=np.float32)
    g, s, drawn_alpha = curves(name, x, alpha)
    ax.plot(x, g, color="C0", lw=1.6)
    if s is not None:
        ax.plot(x, s, color="C1", lw=1.2, ls="--")
    ax.axhline(0, color="0.8", lw=0.6, zorder=0)
    ax.axvline(0, color="0.8", lw=0.6, zorder=0)
    if title:
        suffix = "" if drawn_alpha is None else f"  (α={drawn_alpha:g})"
        ax.set_title(f"{name}{suffix}", fontsize=9)
    ax.set_xlim(lo, hi)
    ax.set_xticks(np.linspace(lo, hi, 5))
    ax.tick_params(labelsize=7)


def draw(path: str | os.PathLike[str], *, names: Sequence[str] | None = None,
         alpha: float | None = None, x_range: tuple[float, float] | None = None,
         columns: int = 6, dpi: int = 110) -> list[str]:
    """Draws surrogates into one grid figure at ``path``, one panel each.

    Each panel shows the surrogate derivative g (solid) and its declared
    primitive S (dashed) when there is one, over an x-range that follows the
    shape's width (:func:`x_range`) unless ``x_range`` fixes one for all.

    Args:
        path: the image file to write; the format follows its extension.
        names: names, aliases or presets to draw; None for every canonical
            shape (:func:`jaxsurrogate.names`).
        alpha: draw every function that has an alpha at this one; None for
            each function's default.
        x_range: (low, high) for every panel; None to follow each shape.
        columns: panels per row.
        dpi: resolution.

    Returns:
        The names drawn, in order.

    Raises:
        ImportError: matplotlib is not installed.
        jaxsurrogate.UnknownSurrogateError: a name is unknown.
    """
    import jaxsurrogate as js

    names = list(js.names() if names is None else names)
    for name in names:
        js.get(name)  # an unknown name fails before matplotlib is started
    plt = _pyplot()
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    fig, axes = plt.subplots(rows, columns,
                             figsize=(2.6 * columns, 2.0 * rows + 0.8),
                             squeeze=False, layout="constrained")
    for ax, name in zip(axes.flat, names):
        panel(ax, name, alpha=alpha, x_range=x_range)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles = [plt.Line2D([], [], color="C0", lw=1.6),
               plt.Line2D([], [], color="C1", lw=1.2, ls="--")]
    fig.legend(handles, ["g = dS/dx, the surrogate derivative",
                         "S, the declared primitive"],
               loc="outside lower center", ncol=2, frameon=False)
    where = (f"x in [{x_range[0]:g}, {x_range[1]:g}]" if x_range is not None
             else "x-range by each shape's width")
    at = "its default alpha" if alpha is None else f"alpha {alpha:g}"
    fig.suptitle(f"jaxsurrogate: each surrogate at {at}, {where}")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return names
