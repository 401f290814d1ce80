#!/usr/bin/env python
"""Memory and time of BPTT through a LIF layer: ``fire`` against the composition.

The step is a dense layer 784 -> 512 feeding Norse's feed-forward LIF
(synaptic current, membrane decay, SuperSpike alpha 100, reset to 0), T = 100
steps over ``lax.scan``, batch 256, float32; the loss reaches the spikes. Three
formulations of the neuron's spike and reset, in one process:

* ``composition``: ``js.threshold(v - v_th, "super", 100)`` and a jnp reset,
  what users (and ``examples/_digits.py`` before) write;
* ``fire``: ``js.fire`` (one custom_vjp; only ``x = v - v_th`` is kept);
* ``fire, bfloat16 residual``: the same with ``residual_dtype=jnp.bfloat16``.

Memory is ``memory_analysis().temp_size_in_bytes`` of the compiled
``jax.jit(jax.grad(loss))`` (deterministic); the arrays the backward pass keeps
per step are listed from ``jax.vjp``'s residuals. Time is paired: the variants
run interleaved, and the ratio is the median over repeats of one variant's
time over another's in the same repeat. Gradients are compared with the
composition's.

spyx and braintools pin other stacks (and braintools turns x64 off on import),
so their spike functions run the same step in a subprocess of another Python
(``--peer-python``, default ``$JAXSURROGATE_PEER_PYTHON`` else
``venv-peers/bin/python`` in the checkout), made with::

    python -m venv venv-peers
    venv-peers/bin/pip install "jax==0.10.2" "jaxlib==0.10.2" spyx braintools

Usage::

    python benchmarks/fire_memory.py --markdown benchmarks/FIRE.md --json fire.json
    python benchmarks/fire_memory.py --smoke --markdown -     # seconds, tiny sizes
    python benchmarks/fire_memory.py --from-json fire.json --markdown -
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from jsbench.norse_lif import LIF_PARAMS, lif_data  # benchmarks/ is on sys.path

REPO = Path(__file__).resolve().parents[1]
# Norse's LIFParameters defaults (norse 1.1.0) and SuperSpike's alpha.
DT, TAU_SYN_INV, TAU_MEM_INV, V_LEAK, V_TH, V_RESET, ALPHA = (
    LIF_PARAMS[k] for k in ("dt", "tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset",
                            "alpha"))
FULL = dict(T=100, batch=256, inputs=784, hidden=512, repeats=15)
SMOKE = dict(T=4, batch=8, inputs=16, hidden=8, repeats=2)
PEERS = ("spyx", "braintools")
MIB = 2.0 ** 20


def data(T, batch, inputs, hidden):
    """The benchmarks' inputs and weights for these sizes (``jsbench.norse_lif``)."""
    return lif_data(T, batch, inputs, hidden)


def lif_loss(spike_and_reset):
    """loss(w, x): dense layer, then Norse's feed-forward LIF over lax.scan.

    ``spike_and_reset(v_decayed) -> (z, v_new)`` is the part that differs.
    """
    import jax
    import jax.numpy as jnp

    def step(carry, current):
        v, i = carry
        i_new = i + current
        v_decayed = v + DT * TAU_MEM_INV * ((V_LEAK - v) + i_new)
        i_decayed = i_new + (-DT * TAU_SYN_INV) * i_new
        z, v_new = spike_and_reset(v_decayed)
        return (v_new, i_decayed), z

    def loss(w, x):
        currents = jnp.einsum("tbi,io->tbo", x, w)
        zeros = jnp.zeros((x.shape[1], w.shape[1]), x.dtype)
        _, z = jax.lax.scan(step, (zeros, zeros), currents)
        return jnp.mean((z.mean(0) - 0.05) ** 2)

    return loss


def compose(spike):
    """The spike function as users wrap it: threshold, jnp reset to V_RESET."""
    def spike_and_reset(v):
        z = spike(v - V_TH)
        return z, (1 - z) * v + z * V_RESET
    return spike_and_reset


def variants():
    import jax.numpy as jnp

    import jaxsurrogate as js
    return {
        "composition": compose(lambda x: js.threshold(x, "super", ALPHA)),
        "fire": lambda v: js.fire(v, V_TH, spike="super", alpha=ALPHA, v_reset=V_RESET),
        "fire, bfloat16 residual": lambda v: js.fire(
            v, V_TH, spike="super", alpha=ALPHA, v_reset=V_RESET,
            residual_dtype=jnp.bfloat16),
    }


def measure_memory(loss, w, x):
    """Compiled temp bytes, and the (T, batch, hidden) arrays the backward keeps."""
    import jax
    compiled = jax.jit(jax.grad(loss)).lower(w, x).compile()
    temp = int(compiled.memory_analysis().temp_size_in_bytes)
    _, pullback = jax.vjp(loss, w, x)
    shape = (x.shape[0], x.shape[1], w.shape[1])
    kept = [(str(a.dtype), int(a.size * a.dtype.itemsize))
            for a in jax.tree.leaves(pullback) if getattr(a, "shape", None) == shape]
    return compiled, temp, kept


def peer_worker(name, sizes):
    """Run in the peer's Python: temp bytes of the same step with its spike."""
    import jax
    import jax.numpy as jnp
    if name == "spyx":
        import spyx.axn
        spike, label = spyx.axn.superspike(k=ALPHA), "spyx.axn.superspike(k=100)"
    else:
        import braintools.surrogate
        spike, label = braintools.surrogate.InvSquareGrad(alpha=ALPHA), \
            "braintools.surrogate.InvSquareGrad(alpha=100)"
    import importlib.metadata as md
    x, w = data(**sizes)
    _, temp, kept = measure_memory(lif_loss(compose(spike)), jnp.asarray(w), jnp.asarray(x))
    return {"peer": name, "version": md.version(name), "jax": jax.__version__,
            "spike": label, "temp_bytes": temp, "kept": kept}


def run_peers(python, sizes, log):
    rows = []
    for name in PEERS:
        if not Path(python).exists():
            rows.append({"peer": name, "skipped": f"no peer python at {python}"})
            continue
        env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
        proc = subprocess.run(
            [python, __file__, "--peer-worker", name, "--sizes", json.dumps(sizes)],
            capture_output=True, text=True, env=env, timeout=1800, check=False)
        if proc.returncode != 0:
            rows.append({"peer": name, "skipped": proc.stderr.strip().splitlines()[-1:]})
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        log(f"  peer {name}: {rows[-1].get('temp_bytes', rows[-1].get('skipped'))}")
    return rows


def compare_gradients(grads):
    """Max |difference| / max |reference|, and the median relative error."""
    import numpy as np
    ref = np.asarray(grads["composition"], np.float64)
    out = {}
    for name, g in grads.items():
        g = np.asarray(g, np.float64)
        diff = np.abs(g - ref)
        big = np.abs(ref) > 1e-3 * np.abs(ref).max()
        out[name] = {"max_abs_over_max": float(diff.max() / np.abs(ref).max()),
                     "median_rel": float(np.median(diff[big] / np.abs(ref[big])))}
    return out


def time_paired(fns, repeats):
    """Seconds of each fn per repeat, interleaved (order alternating)."""
    import jax
    for fn in fns.values():
        jax.block_until_ready(fn())
    samples = {k: [] for k in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            t0 = time.perf_counter()
            jax.block_until_ready(fns[name]())
            samples[name].append(time.perf_counter() - t0)
    return samples


def run(sizes, repeats, peer_python, log):
    import jax
    import jax.numpy as jnp
    import numpy as np
    x_np, w_np = data(**sizes)
    w, x = jnp.asarray(w_np), jnp.asarray(x_np)
    res = {"sizes": sizes, "repeats": repeats, "date": time.strftime("%Y-%m-%d"),
           "memory": {}, "kept": {}, "machine": {
        "platform": platform.platform(), "python": platform.python_version(),
        "jax": jax.__version__, "cores": os.cpu_count(), "device": str(jax.devices()[0])}}
    fns, grads, spikes = {}, {}, {}
    for name, spike_and_reset in variants().items():
        loss = lif_loss(spike_and_reset)
        compiled, temp, kept = measure_memory(loss, w, x)
        res["memory"][name], res["kept"][name] = temp, kept
        log(f"  {name}: temp {temp / MIB:.1f} MiB, kept per step {kept}")
        fns[name] = lambda c=compiled: c(w, x)
        grads[name] = fns[name]()
        spikes[name] = np.asarray(jax.jit(lambda w, x, f=spike_and_reset: jax.lax.scan(
            lambda c, cur: (c, f(cur)[0]), 0, jnp.einsum("tbi,io->tbo", x, w))[1])(w, x))
    base = res["memory"]["composition"]
    res["memory_ratio"] = {k: v / base for k, v in res["memory"].items()}
    res["gradients"] = compare_gradients(grads)
    res["spikes_identical"] = {k: bool(np.array_equal(v, spikes["composition"]))
                               for k, v in spikes.items()}
    samples = time_paired(fns, repeats)
    res["times_s"] = {k: statistics.median(v) for k, v in samples.items()}
    # composition time / variant time, paired by repeat: >= 1 is faster.
    res["speed_vs_composition"] = {k: statistics.median(
        c / t for c, t in zip(samples["composition"], v)) for k, v in samples.items()}
    res["peers"] = run_peers(peer_python, sizes, log) if peer_python else []
    return res


def markdown(res):
    s = res["sizes"]
    mib = lambda b: f"{b / MIB:.1f}"  # noqa: E731
    lines = [
        "# `fire` against the composition: memory and time of BPTT", "",
        f"`python benchmarks/fire_memory.py`, {res.get('date', '')}. "
        f"BPTT through a dense {s['inputs']}->{s['hidden']} layer and Norse's feed-forward "
        f"LIF (SuperSpike alpha 100, reset to 0), T={s['T']}, batch {s['batch']}, float32; "
        f"`jax.jit(jax.grad(loss))` on {res['machine']['device']} "
        f"({res['machine']['cores']} cores, jax {res['machine']['jax']}), "
        f"{res['repeats']} interleaved repeats.", "",
        "| formulation | temp MiB | × composition | stacked for the backward (each T×batch×hidden) | "
        "step ms | speed vs composition (paired) | dW max err / max | dW median rel err | "
        "same spikes |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|"]
    for k, temp in res["memory"].items():
        kept = ", ".join(f"{d} {mib(b)} MiB" for d, b in res["kept"][k])
        g = res["gradients"][k]
        lines.append(
            f"| {k} | {mib(temp)} | {res['memory_ratio'][k]:.3f} | {kept} | "
            f"{res['times_s'][k] * 1e3:.0f} | {res['speed_vs_composition'][k]:.3f} | "
            f"{g['max_abs_over_max']:.1e} | {g['median_rel']:.1e} | "
            f"{'yes' if res['spikes_identical'][k] else 'NO'} |")
    for p in res["peers"]:
        if "skipped" in p:
            lines.append(f"| {p['peer']} | not measured: {p['skipped']} | | | | | | | |")
        else:
            kept = ", ".join(f"{d} {mib(b)} MiB" for d, b in p["kept"])
            lines.append(
                f"| {p['peer']} {p['version']}: `{p['spike']}` in the composition "
                f"(own process, jax {p['jax']}) | {mib(p['temp_bytes'])} | "
                f"{p['temp_bytes'] / res['memory']['composition']:.3f} | {kept} | – | – | – | "
                "– | – |")
    lines += ["", *breakdown(res)]
    return "\n".join(lines) + "\n"


def breakdown(res):
    """Where each formulation's temporary memory goes, by array.

    Besides what the neuron keeps, every formulation holds three arrays of
    T x batch x hidden float32 (XLA's buffer assignment, read once by hand):
    the layer's input current (its buffer is reused for the transposed
    cotangent of the weight-gradient product), the current's cotangent, and
    the spikes the scan returns for the loss. The rest is the scan's carries
    and per-step temporaries.
    """
    s = res["sizes"]
    layer = s["T"] * s["batch"] * s["hidden"] * 4
    mib = lambda b: f"{b / MIB:.1f}"  # noqa: E731
    lines = ["Where the temporary memory goes (MiB; every formulation also holds the "
             "current, its cotangent and the returned spikes, each T×batch×hidden float32):",
             "", "| formulation | kept by the neuron | input current | its cotangent | "
             "spikes for the loss | rest (carries, per-step temporaries) | total |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for k, temp in res["memory"].items():
        kept = sum(b for _, b in res["kept"][k])
        lines.append(f"| {k} | {mib(kept)} | {mib(layer)} | {mib(layer)} | {mib(layer)} | "
                     f"{mib(temp - kept - 3 * layer)} | {mib(temp)} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, 2 repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--markdown", default=None, help="write the table here ('-': stdout)")
    ap.add_argument("--json", default=None, help="write all numbers here")
    ap.add_argument("--peer-python", default=os.environ.get(
        "JAXSURROGATE_PEER_PYTHON", str(REPO / "venv-peers" / "bin" / "python")),
        help="a Python with spyx and braintools; '' skips the peers")
    ap.add_argument("--from-json", default=None, help="re-summarize a --json file, no run")
    ap.add_argument("--peer-worker", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.peer_worker:
        print(json.dumps(peer_worker(args.peer_worker, json.loads(args.sizes))))
        return
    if str(REPO) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(REPO))
    if args.from_json:
        res = json.loads(Path(args.from_json).read_text())
    else:
        config = dict(SMOKE if args.smoke else FULL)
        repeats = args.repeats or config.pop("repeats")
        config.pop("repeats", None)
        res = run(config, repeats, args.peer_python,
                  lambda m: print(m, file=sys.stderr, flush=True))
    table = markdown(res)
    if args.markdown == "-":
        print(table)
    elif args.markdown:
        Path(args.markdown).write_text(table)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
