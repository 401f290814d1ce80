"""A one-figure gallery of every canonical surrogate shape.

Built only from the public API (``names``, ``get``, ``derivative``,
``primitive``), so the picture shows what users get, not internals.
"""

from __future__ import annotations

import math
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_X_RANGE = (-3.0, 3.0)
_POINTS = 601  # odd, so that x = 0 is sampled


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


def curves(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, Any]:
    """g(x) and, where declared, S(x) at the default alpha, as float32 numpy.

    Returns:
        (g, S or None, default alpha or None).
    """
    import jaxsurrogate as js  # here, so that the package may import us

    fn = js.get(name)
    xs = jnp.asarray(x, jnp.float32)
    # Only a random backward (g draws) needs a key: one draw is shown.
    key = {"key": jax.random.key(0)} if "derivative" in fn.declaration.keyed else {}
    g = np.asarray(js.derivative(fn)(xs, **key))
    s_fn = js.primitive(fn)
    s = None if s_fn is None else np.asarray(s_fn(xs))
    return g, s, getattr(fn, "declaration").alpha


def draw(path: str | os.PathLike[str], *, columns: int = 6,
         dpi: int = 110) -> list[str]:
    """Draws every canonical surrogate into one grid figure at ``path``.

    Each panel shows the surrogate derivative g (solid) over x in [-3, 3] at
    the function's default alpha and its declared primitive S (dashed) when
    there is one; the title is the canonical name (and the alpha).

    Args:
        path: the image file to write; the format follows its extension.
        columns: panels per row.
        dpi: resolution.

    Returns:
        The names drawn, in order.

    Raises:
        ImportError: matplotlib is not installed.
    """
    import jaxsurrogate as js

    plt = _pyplot()
    names = list(js.names())
    x = np.linspace(*_X_RANGE, _POINTS, dtype=np.float32)
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    fig, axes = plt.subplots(rows, columns,
                             figsize=(2.6 * columns, 2.0 * rows + 0.8),
                             squeeze=False, layout="constrained")
    for ax, name in zip(axes.flat, names):
        g, s, alpha = curves(name, x)
        ax.plot(x, g, color="C0", lw=1.6)
        if s is not None:
            ax.plot(x, s, color="C1", lw=1.2, ls="--")
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.axvline(0, color="0.8", lw=0.6, zorder=0)
        suffix = "" if alpha is None else f"  (α={alpha:g})"
        ax.set_title(f"{name}{suffix}", fontsize=9)
        ax.set_xticks([-3, -1.5, 0, 1.5, 3])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_axis_off()
    handles = [plt.Line2D([], [], color="C0", lw=1.6),
               plt.Line2D([], [], color="C1", lw=1.2, ls="--")]
    fig.legend(handles, ["g = dS/dx, the surrogate derivative",
                         "S, the declared primitive"],
               loc="outside lower center", ncol=2, frameon=False)
    fig.suptitle("jaxsurrogate: every surrogate at its default alpha, "
                 "x in [-3, 3]")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return names
