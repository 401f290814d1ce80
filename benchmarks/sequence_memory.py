#!/usr/bin/env python
"""Training memory and time of a whole sequence: the LIF scan's policies against BPTT.

A dense layer feeds Norse's feed-forward LIF (SuperSpike alpha 100, reset to
0) for T steps, batch 64, float32; the loss reaches every step's spikes (the
same loss as benchmarks/fire_memory.py). Variants, in one process:

* ``composition``: ``js.threshold`` and a jnp reset in a ``lax.scan``, what
  users write (plain BPTT);
* ``full``: ``neurons.lif_feed_forward_scan(policy="full")`` (BPTT through
  ``fire``);
* ``checkpoint``: ``policy="checkpoint"`` (segments of ceil(sqrt(T)) steps,
  recomputed in the backward pass);
* ``inside``: ``policy="checkpoint"`` with ``input_weights=``: the dense layer
  inside each step, so that no sequence of currents is made or kept;
* ``sltt``: ``policy="sltt"`` with ``input_weights=``: SLTT's gradient (the
  carried state's gradient cut), an approximation; its gradient difference
  is reported apart from the exact variants'.

Memory is ``memory_analysis().temp_size_in_bytes`` of the compiled
``jax.jit(jax.grad(loss))`` (deterministic); time is the median of paired
repeats. "Largest T" is the longest sequence whose temp memory fits the
budget, found by compiling (not running) at growing T.

Usage::

    python benchmarks/sequence_memory.py --markdown benchmarks/SEQUENCE.md \
        --plot docs/sequence_memory.png
    python benchmarks/sequence_memory.py --smoke --markdown -
    python benchmarks/sequence_memory.py --from-json seq.json --markdown -
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

from fire_memory import ALPHA, DT, compose, lif_loss, time_paired  # benchmarks/ on sys.path

MIB = 2.0 ** 20
COMMAND = "python benchmarks/sequence_memory.py --markdown benchmarks/SEQUENCE.md"
FULL = dict(lengths=(50, 200, 1000), batch=64, layers=((256, 256), (784, 512)), repeats=3,
            budget_mib=1024)
SMOKE = dict(lengths=(4, 16), batch=4, layers=((8, 8),), repeats=1, budget_mib=1)


def variants(final_state=False):
    """The losses; with ``final_state``, the scans' losses on the last state only
    (no per-step output: what the policy itself keeps)."""
    import jax.numpy as jnp

    import jaxsurrogate as js
    from jaxsurrogate import neurons

    p = neurons.LIFParameters(method="super", alpha=ALPHA)

    def scan(policy, inside=False):
        def loss(w, x):
            zeros = jnp.zeros((x.shape[1], w.shape[1]), x.dtype)
            state = neurons.LIFFeedForwardState(zeros, zeros)
            if inside:  # (in, out) here, Norse's (out, in) there
                z, last = neurons.lif_feed_forward_scan(x, state, p, DT, policy=policy,
                                                        input_weights=w.T)
            else:
                z, last = neurons.lif_feed_forward_scan(
                    jnp.einsum("tbi,io->tbo", x, w), state, p, DT, policy=policy)
            if final_state:
                return jnp.mean(last.v ** 2)
            return jnp.mean((z.mean(0) - 0.05) ** 2)
        return loss

    scans = {"full": scan("full"), "checkpoint": scan("checkpoint"),
             "inside": scan("checkpoint", inside=True), "sltt": scan("sltt", inside=True)}
    if final_state:
        return scans
    return {"composition": lif_loss(compose(lambda x: js.threshold(x, "super", ALPHA))),
            **scans}


def two_layers():
    """Two LIF layers (n_in -> n_out -> n_out), the loss on the second's spikes at
    every step: the layers scanned one after another (checkpoint, weights inside)
    and stacked in one scan (checkpoint)."""
    import jax.numpy as jnp

    from jaxsurrogate import neurons

    p = neurons.LIFParameters(method="super", alpha=ALPHA)

    def starts(x, ws):
        zeros = [jnp.zeros((x.shape[1], w.shape[1]), x.dtype) for w in ws]
        return [neurons.LIFFeedForwardState(z, z) for z in zeros]

    def layers(ws, x):
        for s, w in zip(starts(x, ws), ws):
            x, _ = neurons.lif_feed_forward_scan(x, s, p, DT, policy="checkpoint",
                                                 input_weights=w.T)
        return jnp.mean((x.mean(0) - 0.05) ** 2)

    def stack(ws, x):
        z, _ = neurons.lif_feed_forward_stack_scan(x, starts(x, ws), [w.T for w in ws], p, DT,
                                                   policy="checkpoint")
        return jnp.mean((z.mean(0) - 0.05) ** 2)

    return {"layers": layers, "stack": stack}


def _weight(n_in, n_out):
    """An (in, out) weight matrix, as strong as every variant's layer."""
    import jax
    import jax.numpy as jnp
    kw = jax.random.split(jax.random.key(0))[1]
    return jax.random.normal(kw, (n_in, n_out), jnp.float32) * (2.0 / n_in) ** 0.5 * 4


def _inputs(T, batch, n_in, n_out):
    import jax
    import jax.numpy as jnp
    kx = jax.random.split(jax.random.key(0))[0]
    x = (jax.random.uniform(kx, (T, batch, n_in)) < 0.2).astype(jnp.float32)
    return _weight(n_in, n_out), x


def _measure(losses, args, repeats):
    """Each loss's compiled gradient at ``args``: temp MiB, median seconds, the
    gradient's entries (flat)."""
    import jax
    import numpy as np
    compiled, temp = {}, {}
    for name, loss in losses.items():
        compiled[name], temp[name] = _temp(loss, *args)
    grads = {k: np.concatenate([np.ravel(g) for g in jax.tree.leaves(c(*args))])
             for k, c in compiled.items()}
    samples = time_paired({k: (lambda c=c: c(*args)) for k, c in compiled.items()}, repeats)
    return ({k: v / MIB for k, v in temp.items()},
            {k: statistics.median(v) for k, v in samples.items()}, grads)


def _max_rel_diff(got, want):
    """The largest difference, relative to ``want``'s largest entry."""
    import numpy as np
    return float(np.abs(got - want).max()) / (float(np.abs(want).max()) or 1.0)


def _temp(loss, w, x):
    import jax
    compiled = jax.jit(jax.grad(loss)).lower(w, x).compile()
    return compiled, int(compiled.memory_analysis().temp_size_in_bytes)


def _largest_length(loss, batch, n_in, n_out, budget):
    """The largest T (to 1%) whose temp memory fits ``budget`` bytes, by compiling."""
    import jax
    import jax.numpy as jnp

    def fits(T):
        w = jax.ShapeDtypeStruct((n_in, n_out), jnp.float32)
        x = jax.ShapeDtypeStruct((T, batch, n_in), jnp.float32)
        temp = jax.jit(jax.grad(loss)).lower(w, x).compile().memory_analysis()
        return temp.temp_size_in_bytes <= budget

    low, high = 1, 2
    while fits(high):
        low, high = high, high * 2
        if high > 2 ** 22:
            return high  # beyond any sequence used in practice
    while high - low > max(1, low // 100):
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return low


def run(sizes, log):
    import jax
    rows = []
    fns = variants()
    for n_in, n_out in sizes["layers"]:
        for T in sizes["lengths"]:
            temp_mib, seconds, grads = _measure(fns, _inputs(T, sizes["batch"], n_in, n_out),
                                                sizes["repeats"])
            diff = {k: _max_rel_diff(g, grads["composition"]) for k, g in grads.items()}
            row = dict(layer=f"{n_in}->{n_out}", T=T, temp_mib=temp_mib, seconds=seconds,
                       grad_max_rel_diff=diff)
            log(json.dumps(row))
            rows.append(row)
    own = []
    n_in, n_out = sizes["layers"][-1]
    for T in sizes["lengths"]:
        w, x = _inputs(T, sizes["batch"], n_in, n_out)
        own.append(dict(T=T, temp_mib={k: _temp(loss, w, x)[1] / MIB
                                       for k, loss in variants(final_state=True).items()}))
        log(json.dumps(own[-1]))
    stacked = []
    for T in sizes["lengths"]:
        w, x = _inputs(T, sizes["batch"], n_in, n_out)
        temp_mib, seconds, grads = _measure(two_layers(), ([w, _weight(n_out, n_out)], x),
                                            sizes["repeats"])
        stacked.append(dict(T=T, temp_mib=temp_mib, seconds=seconds,
                            grad_max_rel_diff=_max_rel_diff(grads["stack"], grads["layers"])))
        log(json.dumps(stacked[-1]))
    largest = {}
    for name, loss in fns.items():
        largest[name] = _largest_length(loss, sizes["batch"], n_in, n_out,
                                        sizes["budget_mib"] * MIB)
        log(f"largest T within {sizes['budget_mib']} MiB, {name}: {largest[name]}")
    return dict(rows=rows, own=own, stacked=stacked, largest=largest,
                budget_mib=sizes["budget_mib"], largest_layer=f"{n_in}->{n_out}",
                batch=sizes["batch"],
                machine=f"{platform.machine()}, {platform.python_version()}, "
                        f"jax {jax.__version__}, {jax.devices()[0].device_kind}")


def markdown(res):
    lines = [
        "# Whole sequences: the LIF scan's memory policies",
        "",
        f"Written by `{res.get('command', COMMAND)}` "
        f"({res['machine']}, batch {res['batch']}, float32). Temp memory is "
        "`compiled.memory_analysis()` of `jax.jit(jax.grad(loss))`; time is the median of "
        "paired repeats of one training-gradient call; the gradient difference is relative "
        "to the composition's largest entry.",
        "",
    ]
    # Columns per variant, in the order variants() gives them; "sltt" is an
    # approximation, its gradient difference apart from the exact variants'.
    names = list(res["rows"][0]["temp_mib"])
    scans = [k for k in names if k != "composition"]
    others = [k for k in scans if k != "full"]
    header = (["layer", "T"] + [f"{k} MiB" for k in names]
              + [f"{k} / composition" for k in others]
              + [f"{k} s" for k in scans] + [f"{k} / full time" for k in others]
              + ["max grad diff (exact)", "sltt grad diff"])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in res["rows"]:
        m, s, d = r["temp_mib"], r["seconds"], r["grad_max_rel_diff"]
        cells = ([r["layer"], str(r["T"])] + [f"{m[k]:.1f}" for k in names]
                 + [f"{m[k] / m['composition']:.2f}" for k in others]
                 + [f"{s[k]:.3f}" for k in scans] + [f"{s[k] / s['full']:.2f}" for k in others]
                 + [f"{max(v for k, v in d.items() if k != 'sltt'):.1e}", f"{d['sltt']:.2f}"])
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "With the loss on every step's spikes, arrays of the whole sequence live outside "
        "the scan: the dense layer's currents (computed for all T at once), the spikes and "
        "their cotangents, each T x batch x hidden; a policy changes only what the scan "
        "keeps inside (`full`: `fire`'s one residual per step). `inside` moves the dense "
        "layer into the checkpointed scan (`input_weights=`): no sequence of currents, "
        "nor of their cotangents, is made. `sltt` (weights inside too) keeps nothing per "
        "step; its gradient is SLTT's approximation, whose difference from BPTT's the last "
        "column gives. What each policy keeps on "
        f"its own, with the loss on the final state ({res['largest_layer']}):",
        "",
        "| T | " + " | ".join(f"{k} MiB" for k in res["own"][0]["temp_mib"]) + " |",
        "|---|" + "---|" * len(res["own"][0]["temp_mib"]),
        *("| " + " | ".join([str(r["T"]), *(f"{v:.2f}" for v in r["temp_mib"].values())])
          + " |" for r in res["own"]),
    ]
    if "stacked" in res:
        layer = res["largest_layer"]
        lines += ["", f"Two layers ({layer}->{layer.split('->')[1]}), the loss on the "
                  "second layer's spikes at every step: `layers` runs them one after another "
                  "(`\"checkpoint\"`, weights inside), `stack` in one scan "
                  "(`lif_feed_forward_stack_scan`, `\"checkpoint\"`):", "",
                  "| T | layers MiB | stack MiB | stack / layers | layers s | stack s | "
                  "stack / layers time | grad diff |", "|---|---|---|---|---|---|---|---|"]
        for r in res["stacked"]:
            m, t = r["temp_mib"], r["seconds"]
            lines.append(f"| {r['T']} | {m['layers']:.1f} | {m['stack']:.1f} | "
                         f"{m['stack'] / m['layers']:.2f} | {t['layers']:.3f} | {t['stack']:.3f} | "
                         f"{t['stack'] / t['layers']:.2f} | {r['grad_max_rel_diff']:.1e} |")
    lines += ["", f"Largest T whose temp memory fits {res['budget_mib']} MiB "
              f"({res['largest_layer']}, batch {res['batch']}): " + ", ".join(
                  f"{k} {v}" for k, v in res["largest"].items()) + "."]
    return "\n".join(lines) + "\n"


def plot(res, path):
    """Temp memory against T: each variant per layer, and the scan's own."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"composition": "C0", "full": "C1", "checkpoint": "C2", "inside": "C3",
              "sltt": "C4"}
    layers = sorted({r["layer"] for r in res["rows"]})
    fig, axes = plt.subplots(1, len(layers) + 1, figsize=(4.2 * (len(layers) + 1), 3.4),
                             layout="constrained")
    for ax, layer in zip(axes, layers):
        rows = [r for r in res["rows"] if r["layer"] == layer]
        for name in rows[0]["temp_mib"]:
            ax.plot([r["T"] for r in rows], [r["temp_mib"][name] for r in rows], "o-",
                    label=name, color=colors[name])
        ax.set_title(f"{layer}, loss on every step's spikes", fontsize=9)
    for name in res["own"][0]["temp_mib"]:
        axes[-1].plot([r["T"] for r in res["own"]], [r["temp_mib"][name] for r in res["own"]],
                      "o-", label=name, color=colors[name])
    axes[-1].set_title(f"{res['largest_layer']}, loss on the final state", fontsize=9)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("T (steps)")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("temp memory of the gradient (MiB)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--markdown", help="write the table here ('-': stdout)")
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("--from-json", help="render the table from a --json file, measuring nothing")
    ap.add_argument("--plot", help="draw memory against T into this image file")
    args = ap.parse_args(argv)
    if args.from_json:
        res = json.loads(Path(args.from_json).read_text())
    else:
        res = run(SMOKE if args.smoke else FULL, lambda m: print(m, file=sys.stderr))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    if args.plot:
        plot(res, args.plot)
    if args.markdown == "-":
        print(markdown(res))
    elif args.markdown:
        Path(args.markdown).write_text(markdown(res))


if __name__ == "__main__":
    main()
