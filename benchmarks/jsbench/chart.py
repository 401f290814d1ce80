"""The PNG chart: grad against the floor by size, and the LIF step's ratios."""

from __future__ import annotations

import statistics

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def plot(res, path):
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    _plot_grad_vs_floor(axes[0], res)
    _plot_lif_ratios(axes[1], res)
    m = res["machine"]
    fig.suptitle(f"jaxsurrogate, {m['cores']} x {m['cpu']} ({m['backend']}), "
                 f"jax {m['jax']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _plot_grad_vs_floor(ax, res):
    ew = [r for r in res["elementwise"] if r["dtype"] == "float32"]
    sizes = sorted({r["log2n"] for r in ew})
    for shape in sorted({r["shape"] for r in ew}):
        rows = sorted((r for r in ew if r["shape"] == shape),
                      key=lambda r: r["log2n"])
        ax.plot([r["log2n"] for r in rows], [r["grad_ratio"] for r in rows],
                color="0.8", lw=0.7, zorder=1)
    med = [statistics.median(r["grad_ratio"] for r in ew if r["log2n"] == s)
           for s in sizes]
    ax.plot(sizes, med, color="C0", lw=2, marker="o", label="median of all shapes")
    ss = sorted((r for r in ew if r["shape"] == "superspike"),
                key=lambda r: r["log2n"])
    if ss:
        ax.plot([r["log2n"] for r in ss], [r["grad_ratio"] for r in ss],
                color="C3", lw=2, marker="s", label="superspike")
    focus = res.get("focus")
    if focus and "superspike" in focus["grad_ratio"]:
        ax.plot([focus["log2n"]], [focus["grad_ratio"]["superspike"]], "*",
                color="C3", ms=14, mec="k",
                label=f"superspike, {focus['repeats']}-repeat check")
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.axhline(0.85, color="r", lw=1, ls=":", label="target 0.85")
    ax.set_xlabel("log2 N")
    ax.set_ylabel("floor time / grad time (higher = faster)")
    ax.set_title("jit(grad) vs the x*w floor, float32 (grey: each shape)")
    ax.legend(fontsize=7)


def _plot_lif_ratios(ax, res):
    """Bars: ours in this process (C0), peers under glibc (C1), under another
    allocator (C2)."""
    lif = res.get("lif", {})
    labels, vals, colors = [], [], []
    for k, v in lif.get("local", {}).get("ratios_vs_jaxsurrogate", {}).items():
        labels.append(k)
        vals.append(v)
        colors.append("C0")
    for p in lif.get("peers", []):
        system = p.get("allocator", "system") == "system"
        for k, v in p["ratios_vs_jaxsurrogate"].items():
            if not k.startswith("jaxsurrogate"):
                labels.append(k + ("" if system else f" [{p['allocator']}]"))
                vals.append(v)
                colors.append("C1" if system else "C2")
    if not vals:
        return
    y = range(len(vals))
    ax.barh(list(y), vals, color=colors)
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100)
             if min(vals) / 1.5 <= t <= max(vals) * 1.5]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.axvline(1.0, color="k", lw=1, ls="--")
    ax.invert_yaxis()
    L = lif["config"]
    ax.set_xlabel("time / jaxsurrogate time (log; > 1 = slower than ours)")
    ax.set_title(f"LIF grad step T={L['T']} B={L['B']} "
                 f"{L['nin']}->{L['nout']}")
