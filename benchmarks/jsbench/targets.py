"""The targets of issue #6, each checked against the measured numbers.

``TARGETS`` lists the checks in report order; each returns a row
``{target, measured, met, value}``, or None where its numbers were not taken.
"""

from __future__ import annotations

import statistics

from .lif import LIF_ONLY, MATMULS
from .peers import JAX_PEERS


def summarize(res):
    """The target checks, each with the measured number."""
    return [row for check in TARGETS if (row := check(res)) is not None]


def _lif_size(res):
    L = res.get("lif", {}).get("config")
    return f" (T={L['T']}, batch {L['B']}, {L['nin']}->{L['nout']})" if L else ""


def grad_at_the_floor(res):
    focus = res.get("focus")
    if focus:
        lg, dtype = focus["log2n"], focus["dtype"]
        ratios = focus["grad_ratio"]
        how = f"dedicated run, {focus['repeats']} interleaved repeats"
    else:
        sel = [r for r in res["elementwise"] if r["dtype"] == "float32"]
        lg = (22 if any(r["log2n"] == 22 for r in sel) else
              max((r["log2n"] for r in sel), default=None))
        dtype = "float32"
        ratios = {r["shape"]: r["grad_ratio"] for r in sel if r["log2n"] == lg}
        how = "element-wise table"
    if not ratios:
        return None
    head = "superspike" if "superspike" in ratios else min(ratios, key=ratios.get)
    worst = min(ratios, key=ratios.get)
    ok = sum(v >= 0.85 for v in ratios.values())
    return {"target": f"grad of element-wise surrogate at 2^{lg} {dtype} "
                      f">= 0.85 of floor",
            "measured": f"{head} {ratios[head]:.2f}; {ok} of {len(ratios)} "
                        f"shapes >= 0.85; worst {worst} {ratios[worst]:.2f}; "
                        f"median {statistics.median(ratios.values()):.2f} ({how})",
            "met": ratios[head] >= 0.85, "value": ratios[head]}


def handwritten_overhead(res):
    if not res["overhead"]:
        return None
    per = {}
    for r in res["overhead"]:
        per.setdefault((r["shape"], r["mode"]), []).append(r["ratio"])
    med = {k: statistics.median(v) for k, v in per.items()}
    worst = min(med, key=med.get)
    return {"target": "within 5% of a hand-written custom_vjp: the shapes "
                      "with hand-written twins (" + ", ".join(
                          sorted({k[0] for k in per})) + "), median over "
                      "sizes and dtypes",
            "measured": f"worst {worst[0]} {worst[1]} {med[worst]:.3f}; "
                        f"overall median {statistics.median(med.values()):.3f}",
            "met": med[worst] >= 0.95, "value": med[worst]}


def twin_overhead_at_focus(res):
    focus = res.get("focus")
    if not (focus and focus["overhead"]):
        return None
    fo = {(r["shape"], r["mode"]): r["ratio"] for r in focus["overhead"]}
    worst = min(fo, key=fo.get)
    return {"target": f"within 5% of a twin custom_vjp at 2^{focus['log2n']} "
                      f"{focus['dtype']}, every non-stochastic shape "
                      f"({focus['repeats']} interleaved repeats)",
            "measured": f"worst {worst[0]} {worst[1]} {fo[worst]:.3f}; median "
                        f"{statistics.median(fo.values()):.3f}; "
                        f"{sum(v >= 0.95 for v in fo.values())} of {len(fo)} "
                        f"(shape, mode) pairs >= 0.95",
            "met": fo[worst] >= 0.95, "value": fo[worst]}


def lif_step_overhead(res):
    lif = res.get("lif", {}).get("local")
    if not lif:
        return None
    r = lif["ratios_vs_jaxsurrogate"]["handwritten"]
    return {"target": "LIF step within 5% of the hand-written custom_vjp"
                      + _lif_size(res),
            "measured": f"{r:.3f} (hand-written time / ours)",
            "met": r >= 0.95, "value": r}


def fastest_jax_peer(res):
    peers = res.get("lif", {}).get("peers", [])
    ratios = [(k, v) for p in peers if p["peer"] in JAX_PEERS
              for k, v in p["ratios_vs_jaxsurrogate"].items()
              if k != "jaxsurrogate"]
    if not ratios:
        return None
    k, r = min(ratios, key=lambda kv: kv[1])
    return {"target": "LIF step no slower than the fastest JAX peer"
                      + _lif_size(res),
            "measured": f"{k}: peer time / ours = {r:.3f}",
            "met": r >= 0.95, "value": r}


def ten_times_norse(res):
    norse = [p for p in res.get("lif", {}).get("peers", [])
             if p["peer"] == "norse"]
    if not norse:
        return None
    parts, ratios = [], []
    for p in norse:
        t, r = p["times_s"], p["ratios_vs_jaxsurrogate"]
        full = r["Norse LIF module"]
        ratios.append(full)
        text = (f"{p.get('allocator', 'system')} allocator: Norse LIF "
                f"fwd+bwd / ours = {full:.1f}x")
        products = t.get(MATMULS + " (JAX)")
        if products:
            text += (f" (at most {t['Norse LIF module'] / products:.1f}x "
                     "even if our LIF cost nothing: Norse's time / our "
                     "two matrix products)")
        bwd = (t["Norse LIF module"] - t["Norse LIF module (forward only)"]
               ) / t["jaxsurrogate"]
        text += f"; Norse's backward alone / our whole step = {bwd:.1f}x"
        only = r.get("Norse LIF module" + LIF_ONLY)
        if only:
            text += (f"; LIF recurrence only (input current given, grad "
                     f"w.r.t. it): {only:.1f}x")
        parts.append(text)
    return {"target": ">= 10x faster than Norse's LIF module backward"
                      + _lif_size(res),
            "measured": "; ".join(parts),
            "met": min(ratios) >= 10, "value": min(ratios)}


TARGETS = (grad_at_the_floor, handwritten_overhead, twin_overhead_at_focus,
           lif_step_overhead, fastest_jax_peer, ten_times_norse)
