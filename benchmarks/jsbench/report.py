"""The markdown report, a table of sections, and where the outputs go."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from .elementwise import MODES
from .lif import MATMULS, fmt_bytes, ref_label
from .twins import DECLARED, FORMULA

TWIN_CELL = {FORMULA: "formula", DECLARED: "declared g"}


def write_outputs(res, json_path=None, markdown_path=None, png_path=None):
    """The raw numbers as JSON, the markdown report ('-': stdout), the chart."""
    if json_path:
        Path(json_path).write_text(json.dumps(res, indent=1))
    if markdown_path:
        text = markdown(res)
        if markdown_path == "-":
            print(text)
        else:
            Path(markdown_path).write_text(text)
    if png_path:
        from .chart import plot  # matplotlib, needed only here
        plot(res, png_path)


def markdown(res) -> str:
    return "\n".join(line for section in SECTIONS for line in section(res)) + "\n"


def _shape_cell(res, shape):
    note = res.get("notes", {}).get(shape)
    return f"{shape}{' (' + note + ')' if note else ''}"


def _faults(run, k):
    v = run.get("faults_per_call", {}).get(k)
    return "" if v is None else f"{v:,.0f}"


def header(res):
    m, c = res["machine"], res["config"]
    out = ["# jaxsurrogate benchmark", "",
           f"Machine: {m['cores']} cores, {m['cpu']}, backend "
           f"{m['backend']} ({m['device_kind']}); jax {m['jax']}, jaxlib "
           f"{m['jaxlib']}, torch {m.get('torch')}, Python {m['python']}. "
           f"Medians over {c['repeats']} interleaved repeats. "
           f"Started {res['started']}, took {res.get('wall_s', 0):.0f} s."]
    peers = res.get("lif", {}).get("peers", [])
    if peers:
        versions = dict.fromkeys(f"{p['peer']} {p.get('version')}" for p in peers)
        allocators = dict.fromkeys(p.get("allocator", "system") for p in peers)
        threads = {p.get("torch_threads") for p in peers} - {None}
        out += ["", "Peers (each in its own subprocess, jax "
                f"{peers[0].get('jax')}): " + ", ".join(versions)
                + (f"; torch threads = {', '.join(map(str, threads))}"
                   if threads else "")
                + f"; each peer run under these allocators: {', '.join(allocators)}."]
    return out


def targets(res):
    out = ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in res["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | "
                   f"{'yes' if t['met'] else '**no**'} |")
    return out


def bandwidth(res):
    out = ["", "## Bandwidth floor", "",
           "| dtype | N | floor `x*w` | floor GB/s | copy GB/s | "
           "`sum(x*w)` / floor time |",
           "|---|---|---|---|---|---|"]
    for r in res["bandwidth"]:
        out.append(f"| {r['dtype']} | 2^{r['log2n']} | {r['floor_s'] * 1e6:.1f} us "
                   f"| {r['floor_GBps']:.1f} | {r['copy_GBps']:.1f} | "
                   f"{r['reduce_s'] / r['floor_s']:.2f} |")
    return out


def focus(res):
    focus = res.get("focus")
    if not focus:
        return []
    out = ["", f"## Target check at 2^{focus['log2n']} {focus['dtype']}: "
           f"{focus['repeats']} interleaved repeats of short samples", "",
           f"Floor `x*w`: {focus['floor_s'] * 1e6:.1f} us. grad ratio = "
           "floor time / grad time; overhead ratio = hand-written time / "
           "jaxsurrogate time (paired by repeat, median). Twin: "
           "*formula* = a hand-written custom_vjp of the same maths; "
           "*declared g* = a plain custom_vjp calling the shape's "
           "declared derivative, so only the mechanism differs.", "",
           "| shape | grad / floor | twin | twin / ours: forward | grad "
           "| value_and_grad |", "|---|---|---|---|---|---|"]
    fo = {(r["shape"], r["mode"]): r["ratio"] for r in focus["overhead"]}
    kind = {r["shape"]: r.get("twin", "") for r in focus["overhead"]}
    for shape, v in sorted(focus["grad_ratio"].items()):
        cells = [f"{fo[(shape, m)]:.3f}" if (shape, m) in fo else ""
                 for m in MODES]
        out.append(f"| {_shape_cell(res, shape)} | {v:.2f} | "
                   f"{TWIN_CELL.get(kind.get(shape), '')} | "
                   + " | ".join(cells) + " |")
    return out


def elementwise(res):
    ew = res["elementwise"]
    out = []
    sizes = sorted({r["log2n"] for r in ew})
    for dtype in sorted({r["dtype"] for r in ew}, reverse=True):
        out += ["", f"## Element-wise, {dtype}: floor time / our time "
                "(1.0 = at the `x*w` floor)", "",
                "forward / grad / value_and_grad", "",
                "| shape | " + " | ".join(f"2^{s}" for s in sizes) + " |",
                "|---|" + "---|" * len(sizes)]
        for shape in sorted({r["shape"] for r in ew}):
            cells = []
            for s in sizes:
                r = [q for q in ew if q["shape"] == shape and
                     q["dtype"] == dtype and q["log2n"] == s]
                cells.append(" / ".join(f"{r[0][m + '_ratio']:.2f}" for m in MODES)
                             if r else "")
            out.append(f"| {_shape_cell(res, shape)} | " + " | ".join(cells) + " |")
    return out


def overhead(res):
    ov = res["overhead"]
    if not ov:
        return []
    out = ["", "## Overhead: hand-written custom_vjp time / jaxsurrogate "
           "time (1.0 = same; > 1 = ours faster)", "",
           "median over sizes; [min, max] in brackets", "",
           "| shape | dtype | forward | grad | value_and_grad |",
           "|---|---|---|---|---|"]
    keys = sorted({(r["shape"], r["dtype"]) for r in ov},
                  key=lambda k: (k[0], k[1] != "float32"))
    for shape, dtype in keys:
        cells = []
        for mode in MODES:
            v = [r["ratio"] for r in ov if r["shape"] == shape and
                 r["dtype"] == dtype and r["mode"] == mode]
            cells.append(f"{statistics.median(v):.3f} [{min(v):.2f}, "
                         f"{max(v):.2f}]")
        out.append(f"| {shape} | {dtype} | " + " | ".join(cells) + " |")
    return out


def lif_step(res):
    lif = res.get("lif")
    if not lif:
        return []
    L = lif["config"]
    out = ["", f"## LIF training step: jit(grad(loss)), T={L['T']}, batch "
           f"{L['B']}, {L['nin']}->{L['nout']}", "",
           "Dense input current, Norse's LIF maths (synaptic current, "
           "membrane decay, SuperSpike alpha 100, reset to 0), scanned "
           "over time. Ratio = that implementation's time / jaxsurrogate's "
           "time measured next to it in the same process (> 1: ours "
           "faster). Rows marked (LIF only) leave the dense layer out: "
           "the input current is given and the gradient is taken with "
           "respect to it; they are compared with jaxsurrogate's LIF "
           "only.", "",
           "*allocator*: the process's malloc (system = glibc's; "
           "tcmalloc = LD_PRELOAD of libtcmalloc). *faults*: minor page "
           "faults per call, i.e. fresh memory the kernel had to map and "
           "zero.", "",
           "| implementation | allocator | time | ratio | faults/call | notes |",
           "|---|---|---|---|---|---|"]
    loc = lif.get("local", {})
    for k, v in loc.get("times_s", {}).items():
        out.append(f"| {k} | {loc.get('allocator', 'system')} | "
                   f"{v * 1e3:.1f} ms | "
                   f"{loc['ratios_vs_jaxsurrogate'][k]:.3f} | "
                   f"{_faults(loc, k)} | this process |")
    for p in lif.get("peers", []):
        for k, v in p["times_s"].items():
            if k.startswith("jaxsurrogate"):
                continue
            ref = p["times_s"][ref_label(k)]
            notes = [p["notes"].get(k, "")]
            if k.startswith(MATMULS):
                notes.append("the dense layer's forward and weight "
                             "gradient alone, no LIF")
            else:
                notes.append(p["notes"].get("all", ""))
            if "compile_s" in p and "compile" in k:
                notes.append(f"first two calls (compile) {p['compile_s']:.1f} s")
            out.append(f"| {k} ({p['peer']} {p.get('version')}) | "
                       f"{p.get('allocator', 'system')} | "
                       f"{v * 1e3:.1f} ms | "
                       f"{p['ratios_vs_jaxsurrogate'][k]:.2f} | "
                       f"{_faults(p, k)} | "
                       f"{'; '.join(n for n in notes if n)}; ours next to it "
                       f"{ref * 1e3:.1f} ms, {_faults(p, ref_label(k))} "
                       "faults/call |")
    for s in lif.get("skipped", []):
        out.append(f"| {s['peer']} | {s.get('allocator', 'system')} | "
                   f"skipped | | | {s['reason']} |")
    return out


def memory(res):
    mem = res.get("memory")
    if not mem:
        return []
    out = ["", "## Compiled temporary memory of the LIF step "
           "(`memory_analysis().temp_size_in_bytes`)", "",
           "| implementation | jax.checkpoint of the scan step | temp | "
           "arguments | output |", "|---|---|---|---|---|"]
    for r in mem:
        out.append(f"| {r['impl']} | {'yes' if r['checkpoint'] else 'no'} | "
                   f"{fmt_bytes(r['temp_bytes'])} | "
                   f"{fmt_bytes(r['argument_bytes'])} | "
                   f"{fmt_bytes(r['output_bytes'])} |")
    return out


SECTIONS = (header, targets, bandwidth, focus, elementwise, overhead, lif_step,
            memory)
