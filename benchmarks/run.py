#!/usr/bin/env python
"""Speed benchmark of jaxsurrogate's spike functions (issue #6).

Sections:

* element-wise: every canonical shape, forward / grad / value_and_grad, each
  jitted, as a ratio to the memory floor ``x * w`` (read two, write one) at
  the same size; 1.0 = at the floor, higher is faster.
* overhead: each jaxsurrogate function against a hand-written
  ``jax.custom_vjp`` of the same maths (ratio = hand-written time / ours).
* a real step: ``jit(grad(loss))`` of a LIF layer (T=100, batch 256, 784->512),
  for jaxsurrogate, a hand-written custom_vjp and, in their own subprocesses,
  the peers that are installed (spyx, braintools, Norse, snnTorch), with the
  step's two matrix products alone (the bound on any ratio between libraries)
  and minor page faults per call; in the full run every peer runs under
  glibc's malloc and again under tcmalloc (``--allocators``), which changes
  the torch peers' times by 2-3x.
* memory: compiled temporary memory of that step, with and without
  ``jax.checkpoint`` of the scan step.

Every timing is the median over interleaved repeats: in each repeat every
variant of a group runs once, so a slow moment of a shared machine hits all of
them alike. Ratios are taken within a group, never across processes.

Usage::

    python benchmarks/run.py --quick --markdown - --json out.json
    python benchmarks/run.py --json r.json --markdown benchmarks/RESULTS.md
    python benchmarks/run.py --from-json r.json --png docs/benchmark.png

The peers are imported only in subprocesses run with ``--peer-python``
(default ``$JAXSURROGATE_BENCH_PYTHON``, else ``venv-bench/bin/python`` in the
checkout):
they pin other stacks (and braintools switches JAX's x64 mode off on import),
so they never share a process with the main measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

DEFAULT_PEER_PYTHON = os.environ.get("JAXSURROGATE_BENCH_PYTHON",
                                     str(REPO / "venv-bench" / "bin" / "python"))

# Norse's LIFParameters defaults (norse 1.1.0), used by every LIF below.
LIF = dict(dt=1e-3, tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.0,
           v_th=1.0, v_reset=0.0, alpha=100.0)

PEERS = ("spyx", "braintools", "norse", "norse_compile", "snntorch")

# Hand-written custom_vjp twins, for the overhead section: the obvious code a
# user would write, the same derivative maths as jaxsurrogate, half precision
# computed in float32 like jaxsurrogate does.
HANDWRITTEN_SHAPES = ("superspike", "triangle", "heavi_tanh", "heavi_erfc",
                      "heavi_circ", "heaviside")


# --------------------------------------------------------------------------
# machine, timing
# --------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    import jax
    import jaxlib
    info = {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind,
    }
    try:
        import torch  # only for its version; the torch peers run elsewhere
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    info["allocator"] = current_allocator()
    return info


# Allocators a peer run can be repeated under (LD_PRELOAD), by library name.
# glibc's malloc hands every buffer above 32 MiB back to the kernel when it
# is freed, so a step with large temporaries pays fresh page faults on every
# call; tcmalloc keeps the memory. Both libraries feel it, differently.
ALLOCATOR_LIBS = {"tcmalloc": ("libtcmalloc_minimal.so.4", "libtcmalloc.so.4"),
                  "jemalloc": ("libjemalloc.so.2",)}


def current_allocator() -> str:
    preload = os.environ.get("LD_PRELOAD", "")
    for name in ALLOCATOR_LIBS:
        if name in preload:
            return name
    return "system"


def find_allocator(name: str) -> str | None:
    """The shared library to LD_PRELOAD for allocator ``name``, or None.

    ``$JAXSURROGATE_BENCH_<NAME>`` (a path) wins; then ``ldconfig -p``; then
    the usual library folders.
    """
    if name not in ALLOCATOR_LIBS:
        raise SystemExit(f"--allocators: unknown allocator {name!r}; expected "
                         f"system or one of {', '.join(ALLOCATOR_LIBS)}")
    given = os.environ.get(f"JAXSURROGATE_BENCH_{name.upper()}")
    if given:
        return given if Path(given).is_file() else None
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True,
                                 text=True, check=False).stdout
    except OSError:
        listing = ""
    for lib in ALLOCATOR_LIBS[name]:
        for line in listing.splitlines():
            if line.strip().startswith(lib + " ") and "=>" in line:
                return line.split("=>", 1)[1].strip()
        for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                       "/usr/lib64", "/usr/lib", "/usr/local/lib"):
            if (Path(folder) / lib).is_file():
                return str(Path(folder) / lib)
    return None


def faults_per_call(fns: dict, block, calls: int = 3) -> dict:
    """Minor page faults per call of each (already warm) fn, this process."""
    import resource
    out = {}
    for name, fn in fns.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(calls):
            block(fn())
        out[name] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                     - before) / calls
    return out


def _block(out):
    import jax
    return jax.block_until_ready(out)


def time_group(fns: dict, repeats: int, min_time: float,
               block=_block, pause: float = 0.0) -> dict:
    """Median seconds per call of each fn, over interleaved repeats.

    Each fn is called once to compile and once more to size an inner loop of
    about ``min_time`` seconds; then every repeat runs every fn's inner loop
    (alternating the order), blocking on each result. ``pause`` sleeps
    before each sample: JAX's and torch's thread pools spin for a while
    after their work, and in one process they would slow each other down.
    """
    inner = {}
    for name, fn in fns.items():
        block(fn())
        t0 = time.perf_counter()
        block(fn())
        dt = time.perf_counter() - t0
        inner[name] = max(1, min(10_000, int(min_time / max(dt, 1e-7))))
    samples = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, n = fns[name], inner[name]
            if pause:
                time.sleep(pause)
            t0 = time.perf_counter()
            for _ in range(n):
                block(fn())
            samples[name].append((time.perf_counter() - t0) / n)
    return Timings(samples)


class Timings(dict):
    """Median seconds per call by name; ``ratio`` pairs samples by repeat."""

    def __init__(self, samples):
        super().__init__({k: statistics.median(v) for k, v in samples.items()})
        self.samples = samples

    def ratio(self, num, den):
        """Median over repeats of time[num] / time[den], same repeat each.

        Pairing cancels a slow moment of the machine that hit both.
        """
        return statistics.median(a / b for a, b in
                                 zip(self.samples[num], self.samples[den]))


# --------------------------------------------------------------------------
# hand-written custom_vjp spike functions
# --------------------------------------------------------------------------

def handwritten(name: str, alpha: float | None):
    """A hand-written custom_vjp spike function with jaxsurrogate's maths."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import erf  # noqa: F401  (kept for symmetry)

    def g(x, a):
        if name == "superspike":
            return 1 / (a * jnp.abs(x) + 1) ** 2
        if name == "triangle":
            return a * jnp.maximum(0, 1 - jnp.abs(x))
        if name == "heavi_tanh":  # jaxsurrogate's sech^2 form (no cancellation)
            return 1 / jnp.cosh(a * x) ** 2
        if name == "heavi_erfc":
            return (2 / math.sqrt(math.pi)) * jnp.exp(-((a * x) ** 2))
        if name == "heavi_circ":
            return (a / jnp.hypot(a, x)) ** 3
        if name == "heaviside":
            return jnp.where(jnp.isnan(x), x, jnp.zeros_like(x))
        raise KeyError(name)

    @jax.custom_vjp
    def spike(x):
        return (x > 0).astype(x.dtype)

    def fwd(x):
        return spike(x), x

    def bwd(x, ct):
        dt = jnp.promote_types(x.dtype, jnp.float32)
        xc = x.astype(dt)
        a = None if alpha is None else jnp.asarray(alpha, dt)
        return ((ct.astype(dt) * g(xc, a)).astype(x.dtype),)

    spike.defvjp(fwd, bwd)
    return spike


# --------------------------------------------------------------------------
# element-wise + overhead
# --------------------------------------------------------------------------

def plain_twin(name: str):
    """A plain custom_vjp around the shape's declared derivative, or None.

    Not hand-written maths: the same ``g`` the library calls, so the only
    difference left is the mechanism (input checks, dtype policy, residuals,
    the bit-pattern step). None for stochastic shapes.
    """
    import jax
    import jax.numpy as jnp

    import jaxsurrogate as js
    d = js.get(name).declaration
    if d.stochastic:
        return None
    params = dict(d.params)

    def call(fn, x):
        dt = jnp.promote_types(x.dtype, jnp.float32)
        xc = x.astype(dt)
        pc = {k: jnp.asarray(v, dt) for k, v in params.items()}
        if d.alpha is None:
            return fn(xc, **pc)
        return fn(xc, jnp.asarray(d.alpha, dt), **pc)

    @jax.custom_vjp
    def spike(x):
        if d.forward is not None:
            return call(d.forward, x).astype(x.dtype)
        if d.at_zero == 0:
            return (x > 0).astype(x.dtype)
        if d.at_zero == 1:
            return (x >= 0).astype(x.dtype)
        return jnp.where(x == 0, jnp.asarray(d.at_zero, x.dtype),
                         (x > 0).astype(x.dtype))

    def fwd(x):
        return spike(x), x

    def bwd(x, ct):
        dt = jnp.promote_types(x.dtype, jnp.float32)
        return ((ct.astype(dt) * call(d.derivative, x)).astype(x.dtype),)

    spike.defvjp(fwd, bwd)
    return spike


def shape_callable(name: str):
    """(callable x -> spikes, note) for a canonical jaxsurrogate shape."""
    import jax

    import jaxsurrogate as js
    f = js.get(name)
    if f.declaration.stochastic:
        key = jax.random.key(0)
        return (lambda x: f(x, key=key)), "stochastic: includes drawing uniforms"
    return f, ""


def elementwise_modes(f):
    import jax
    import jax.numpy as jnp

    def loss(x, w):
        return jnp.sum(w * f(x))

    return {
        "forward": jax.jit(f),
        "grad": jax.jit(jax.grad(loss)),
        "value_and_grad": jax.jit(jax.value_and_grad(loss)),
    }


def run_elementwise(log2_sizes, dtypes, shapes, repeats, min_time, log):
    import jax
    import jax.numpy as jnp
    import numpy as np

    import jaxsurrogate as js

    floor = jax.jit(lambda x, w: x * w)
    copy = jax.jit(lambda x: -x)  # read one, write one (a copy that XLA keeps)
    reduce = jax.jit(lambda x, w: jnp.sum(x * w))  # read two, write a scalar
    ew, ov, bw = [], [], []
    notes = {}
    for dtype_name in dtypes:
        dtype = jnp.dtype(dtype_name)
        for lg in log2_sizes:
            n = 2 ** lg
            rng = np.random.default_rng(lg)
            x = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
            w = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
            fns = {"floor": lambda x=x, w=w: floor(x, w),
                   "copy": lambda x=x: copy(x),
                   "reduce": lambda x=x, w=w: reduce(x, w)}
            for name in shapes:
                f, note = shape_callable(name)
                if note:
                    notes[name] = note
                for mode, jf in elementwise_modes(f).items():
                    if mode == "forward":
                        fns[(name, mode)] = (lambda jf=jf, x=x: jf(x))
                    else:
                        fns[(name, mode)] = (lambda jf=jf, x=x, w=w: jf(x, w))
                if name in HANDWRITTEN_SHAPES:
                    h = handwritten(name, js.get(name).declaration.alpha)
                    for mode, jf in elementwise_modes(h).items():
                        if mode == "forward":
                            fns[("hw:" + name, mode)] = (
                                lambda jf=jf, x=x: jf(x))
                        else:
                            fns[("hw:" + name, mode)] = (
                                lambda jf=jf, x=x, w=w: jf(x, w))
            t0 = time.perf_counter()
            t = time_group(fns, repeats, min_time)
            itemsize = dtype.itemsize
            bw.append({"dtype": dtype_name, "log2n": lg, "n": n,
                       "floor_s": t["floor"], "copy_s": t["copy"],
                       "reduce_s": t["reduce"],
                       "floor_GBps": 3 * n * itemsize / t["floor"] / 1e9,
                       "copy_GBps": 2 * n * itemsize / t["copy"] / 1e9})
            for name in shapes:
                row = {"shape": name, "dtype": dtype_name, "log2n": lg, "n": n,
                       "floor_s": t["floor"]}
                for mode in ("forward", "grad", "value_and_grad"):
                    row[mode + "_s"] = t[(name, mode)]
                    row[mode + "_ratio"] = t.ratio("floor", (name, mode))
                ew.append(row)
                if name in HANDWRITTEN_SHAPES:
                    for mode in ("forward", "grad", "value_and_grad"):
                        ours, theirs = t[(name, mode)], t[("hw:" + name, mode)]
                        ov.append({"shape": name, "dtype": dtype_name,
                                   "log2n": lg, "n": n, "mode": mode,
                                   "jaxsurrogate_s": ours,
                                   "handwritten_s": theirs,
                                   "ratio": t.ratio(("hw:" + name, mode),
                                                    (name, mode))})
            log(f"  element-wise {dtype_name} 2^{lg}: floor "
                f"{t['floor'] * 1e6:9.1f} us ({bw[-1]['floor_GBps']:.1f} GB/s), "
                f"{len(fns)} variants in {time.perf_counter() - t0:.1f} s")
    return ew, ov, bw, notes


def run_focus(lg, dtype_name, shapes, repeats, min_time, log):
    """The target check: grad (all shapes) and every mode of the hand-written
    twins at one size, with many short interleaved repeats.

    On a shared machine a few repeats of long samples are at the mercy of
    the neighbours; many short ones paired by repeat are not.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    import jaxsurrogate as js

    dtype = jnp.dtype(dtype_name)
    n = 2 ** lg
    rng = np.random.default_rng(lg)
    x = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
    w = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
    floor = jax.jit(lambda x, w: x * w)
    fns = {"floor": lambda: floor(x, w)}
    twin_kind = {}
    for name in shapes:
        f, _ = shape_callable(name)
        twins = [(name, f)]
        if name in HANDWRITTEN_SHAPES:
            twins.append(("hw:" + name,
                          handwritten(name, js.get(name).declaration.alpha)))
            twin_kind[name] = "hand-written formula"
        elif plain_twin(name) is not None:
            twins.append(("hw:" + name, plain_twin(name)))
            twin_kind[name] = "plain custom_vjp of the declared derivative"
        for label, fn in twins:
            modes = elementwise_modes(fn)
            for mode, jf in modes.items():
                fns[(label, mode)] = ((lambda jf=jf: jf(x)) if mode == "forward"
                                      else (lambda jf=jf: jf(x, w)))
    t0 = time.perf_counter()
    t = time_group(fns, repeats, min_time)
    out = {"log2n": lg, "dtype": dtype_name, "repeats": repeats,
           "min_time_s": min_time, "floor_s": t["floor"],
           "grad_ratio": {s: t.ratio("floor", (s, "grad")) for s in shapes},
           "overhead": [{"shape": s, "mode": m, "twin": twin_kind[s],
                         "ratio": t.ratio(("hw:" + s, m), (s, m))}
                        for s in shapes if s in twin_kind
                        for m in ("forward", "grad", "value_and_grad")]}
    log(f"  focus {dtype_name} 2^{lg}: {len(fns)} variants x {repeats} "
        f"repeats in {time.perf_counter() - t0:.1f} s")
    return out


# --------------------------------------------------------------------------
# the LIF step
# --------------------------------------------------------------------------

def lif_data(T, B, nin, nout, seed=0):
    """Input spikes (T, B, nin) and weights (nin, nout), float32 numpy."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = (rng.random((T, B, nin)) < 0.1).astype(np.float32)
    w = rng.normal(0, 0.1, (nin, nout)).astype(np.float32)
    return x, w


LIF_ONLY = " (LIF only)"


def make_jax_lif(spike, T, B, nin, nout, checkpoint=False, dense=True):
    """(jit(grad(loss)), args): dense -> LIF (Norse's maths) over lax.scan.

    With ``dense=False`` only the LIF recurrence: the input current is given
    and the gradient is taken with respect to it.
    """
    import jax
    import jax.numpy as jnp
    from jax import lax
    p = LIF
    a_mem = p["dt"] * p["tau_mem_inv"]
    a_syn = p["dt"] * p["tau_syn_inv"]

    def step(carry, cur):
        v, i = carry
        i_new = i + cur
        v_dec = v + a_mem * ((p["v_leak"] - v) + i_new)
        i_dec = i_new - a_syn * i_new
        z = spike(v_dec - p["v_th"])
        v_new = (1 - z) * v_dec + z * p["v_reset"]
        return (v_new, i_dec), z

    body = jax.checkpoint(step) if checkpoint else step

    def loss(w, x):
        cur = jnp.einsum("tbi,io->tbo", x, w)
        zeros = jnp.zeros((x.shape[1], w.shape[1]), x.dtype)
        _, z = lax.scan(body, (zeros, zeros), cur)
        return jnp.mean((z.mean(0) - 0.05) ** 2)

    def lif_loss(cur):
        zeros = jnp.zeros(cur.shape[1:], cur.dtype)
        _, z = lax.scan(body, (zeros, zeros), cur)
        return jnp.mean((z.mean(0) - 0.05) ** 2)

    x, w = lif_data(T, B, nin, nout)
    if not dense:
        return jax.jit(jax.grad(lif_loss)), (jnp.asarray(x @ w),)
    return jax.jit(jax.grad(loss)), (jnp.asarray(w), jnp.asarray(x))


MATMULS = "matrix products only"


def make_jax_matmuls(T, B, nin, nout):
    """(jit(value_and_grad), args): only the step's two matrix products.

    The dense layer's forward ``x @ w`` and its weight gradient ``x^T @ g``,
    with ``g`` given: what every library pays in the step whatever its LIF
    costs, so ``other time / this`` bounds the ratio ours could reach.
    """
    import jax
    import jax.numpy as jnp

    def loss(w, x, g):
        return jnp.sum(jnp.einsum("tbi,io->tbo", x, w) * g)

    x, w = lif_data(T, B, nin, nout)
    g = jnp.full((T, B, nout), 1e-3, jnp.float32)
    return jax.jit(jax.value_and_grad(loss)), (jnp.asarray(w), jnp.asarray(x), g)


def _torch_matmuls(torch, x, w):
    """The same two products in torch, eagerly (what Norse's step runs)."""
    xt = torch.from_numpy(x.reshape(-1, x.shape[-1]))
    wt = torch.from_numpy(w)
    g = torch.full((xt.shape[0], w.shape[1]), 1e-3)

    def products():
        return (xt @ wt * g).sum(), xt.T @ g

    return products


def jax_spikes(names):
    """The JAX spike functions for a LIF run, SuperSpike alpha 100 each."""
    import jaxsurrogate as js
    out = {}
    for n in names:
        if n == "jaxsurrogate":
            out[n] = lambda v: js.superspike(v, LIF["alpha"])
        elif n == "handwritten":
            out[n] = handwritten("superspike", LIF["alpha"])
        elif n == "spyx":
            import spyx.axn
            out[n] = spyx.axn.superspike(k=LIF["alpha"])
        elif n == "braintools":
            import braintools.surrogate
            out[n] = braintools.surrogate.InvSquareGrad(alpha=LIF["alpha"])
    return out


def memory_row(name, ckpt, compiled):
    m = compiled.memory_analysis()

    def get(attr):
        v = getattr(m, attr, None) if m is not None else None
        return None if v is None else int(v)

    return {"impl": name, "checkpoint": ckpt,
            "temp_bytes": get("temp_size_in_bytes"),
            "argument_bytes": get("argument_size_in_bytes"),
            "output_bytes": get("output_size_in_bytes")}


def run_lif_local(T, B, nin, nout, repeats, min_time, log, timing=True):
    """Times jaxsurrogate vs hand-written, each with and without checkpoint.

    Each step is compiled once (``lower().compile()``); the same executable
    is timed and gives the memory analysis.
    """
    fns, memory = {}, []
    for name, spike in jax_spikes(["jaxsurrogate", "handwritten"]).items():
        for ckpt in (False, True):
            f, args = make_jax_lif(spike, T, B, nin, nout, checkpoint=ckpt)
            compiled = f.lower(*args).compile()
            memory.append(memory_row(name, ckpt, compiled))
            label = name + ("+checkpoint" if ckpt else "")
            fns[label] = lambda c=compiled, args=args: c(*args)
        f, args = make_jax_lif(spike, T, B, nin, nout, dense=False)
        fns[name + LIF_ONLY] = lambda f=f, args=args: f(*args)
    f, args = make_jax_matmuls(T, B, nin, nout)
    fns[MATMULS] = lambda: f(*args)
    for r in memory:
        log(f"  memory {r['impl']} checkpoint={r['checkpoint']}: temp "
            f"{fmt_bytes(r['temp_bytes'])}")
    if not timing:
        return None, memory
    t = time_group(fns, repeats, min_time)
    t = {"times_s": dict(t), "ratios_vs_jaxsurrogate":
         {k: t.ratio(k, ref_label(k)) for k in t},
         "faults_per_call": faults_per_call(fns, _block),
         "allocator": current_allocator()}
    log("  LIF (this process): " + ", ".join(
        f"{k} {v * 1e3:.1f} ms" for k, v in t["times_s"].items()))
    return t, memory


# ---- peer workers (run in a subprocess with the peer python) -------------

def _torch_setup():
    import torch
    n = os.cpu_count() or 1
    torch.set_num_threads(n)
    return torch, torch.get_num_threads()


def _torch_step(torch, run_layer, x, w):
    """fwd+bwd of dense -> layer(cur) -> loss; returns a callable."""
    xt = torch.from_numpy(x)
    wt = torch.from_numpy(w.copy()).requires_grad_(True)

    def step():
        wt.grad = None
        cur = torch.einsum("tbi,io->tbo", xt, wt)
        z = run_layer(cur)
        loss = ((z.mean(0) - 0.05) ** 2).mean()
        loss.backward()
        return wt.grad

    def forward_only():
        with torch.no_grad():
            cur = torch.einsum("tbi,io->tbo", xt, wt)
            z = run_layer(cur)
            return ((z.mean(0) - 0.05) ** 2).mean()

    return step, forward_only


def _torch_lif_only(torch, run_layer, x, w):
    """fwd+bwd of layer(cur) -> loss, gradient with respect to cur."""
    ct = torch.from_numpy(x @ w).requires_grad_(True)

    def step():
        ct.grad = None
        z = run_layer(ct)
        loss = ((z.mean(0) - 0.05) ** 2).mean()
        loss.backward()
        return ct.grad

    return step


def ref_label(k):
    return "jaxsurrogate" + (LIF_ONLY if k.endswith(LIF_ONLY) else "")


def worker(name, T, B, nin, nout, repeats, min_time):
    """Times peer `name` next to jaxsurrogate's step, in this process."""
    ref, ref_args = make_jax_lif(jax_spikes(["jaxsurrogate"])["jaxsurrogate"],
                                 T, B, nin, nout)
    fns = {"jaxsurrogate": lambda: ref(*ref_args)}
    if name == "norse":
        ref2, ref2_args = make_jax_lif(
            jax_spikes(["jaxsurrogate"])["jaxsurrogate"], T, B, nin, nout,
            dense=False)
        fns["jaxsurrogate" + LIF_ONLY] = lambda: ref2(*ref2_args)
    info = {"peer": name, "notes": {}}
    x, w = lif_data(T, B, nin, nout)
    block = _block
    if name in ("spyx", "braintools"):
        import importlib.metadata as md
        info["version"] = md.version(name)
        spike = jax_spikes([name])[name]
        f, args = make_jax_lif(spike, T, B, nin, nout)
        label = {"spyx": "spyx (axn.superspike k=100)",
                 "braintools": "braintools (InvSquareGrad alpha=100)"}[name]
        fns[label] = lambda: f(*args)
        info["notes"][label] = "same scan, the peer's spike function"
    elif name in ("norse", "norse_compile"):
        import norse
        import norse.torch as nt
        torch, threads = _torch_setup()
        info["version"] = norse.__version__
        info["torch"] = torch.__version__
        info["torch_threads"] = threads
        p = nt.LIFParameters(method="super", alpha=torch.as_tensor(LIF["alpha"]))
        if name == "norse":
            f, args = make_jax_matmuls(T, B, nin, nout)
            # a tuple, which mixed_block would not wait for
            fns[MATMULS + " (JAX)"] = lambda: _block(f(*args))
            fns[MATMULS + " (torch)"] = _torch_matmuls(torch, x, w)
            module = nt.LIF(p)
            step, fwd = _torch_step(torch, lambda c: module(c)[0], x, w)
            fns["Norse LIF module"] = step
            fns["Norse LIF module (forward only)"] = fwd
            fns["Norse LIF module" + LIF_ONLY] = _torch_lif_only(
                torch, lambda c: module(c)[0], x, w)
        cell = nt.LIFCell(p)

        def cell_loop(c, cell_fn):
            s, zs = None, []
            for t in range(c.shape[0]):
                z, s = cell_fn(c[t], s)
                zs.append(z)
            return torch.stack(zs)

        if name == "norse":
            step, _ = _torch_step(torch, lambda c: cell_loop(c, cell), x, w)
            fns["Norse LIFCell loop"] = step
        else:
            compiled = torch.compile(cell)
            step, _ = _torch_step(torch, lambda c: cell_loop(c, compiled), x, w)
            label = "Norse LIFCell loop, torch.compile"
            t0 = time.perf_counter()
            step()
            step()
            info["compile_s"] = time.perf_counter() - t0
            fns[label] = step

        def block(out):
            return out
        info["notes"]["all"] = ("norse 1.1.0 ignores alpha: its SuperSpike is "
                                "1/(|x|+1)^2, so the maths differ in the "
                                "derivative's width, not in cost")
    elif name == "snntorch":
        import snntorch
        import snntorch as snn
        from snntorch import surrogate
        torch, threads = _torch_setup()
        info["version"] = snntorch.__version__
        info["torch"] = torch.__version__
        info["torch_threads"] = threads
        beta = 1 - LIF["dt"] * LIF["tau_mem_inv"]
        leaky = snn.Leaky(beta=beta, spike_grad=surrogate.fast_sigmoid(
            slope=LIF["alpha"]))

        def run_leaky(c):
            mem = leaky.init_leaky()
            zs = []
            for t in range(c.shape[0]):
                z, mem = leaky(c[t], mem)
                zs.append(z)
            return torch.stack(zs)

        step, _ = _torch_step(torch, run_leaky, x, w)
        fns["snnTorch Leaky loop"] = step
        info["notes"]["snnTorch Leaky loop"] = (
            "snn.Leaky: one state (no synaptic current), subtract reset; "
            "fast_sigmoid slope 100 = SuperSpike alpha 100")

        def block(out):
            return out
    else:
        raise SystemExit(f"unknown peer {name}")

    def mixed_block(out):
        # torch results are ready when returned; JAX ones need blocking
        return _block(out) if hasattr(out, "block_until_ready") else out

    pause = 0.05 if "torch" in info else 0.0
    info["pause_s"] = pause
    t = time_group(fns, repeats, min_time, block=mixed_block, pause=pause)
    info["times_s"] = dict(t)
    info["ratios_vs_jaxsurrogate"] = {k: t.ratio(k, ref_label(k)) for k in t}
    info["faults_per_call"] = faults_per_call(fns, mixed_block)
    info["allocator"] = current_allocator()
    info["jax"] = __import__("jax").__version__
    return info


def run_peers(peers, python, T, B, nin, nout, repeats, min_time, timeout, log,
              allocators=("system",)):
    """Each peer in its own subprocess, once per allocator."""
    results, skipped = [], []
    if not Path(python).exists():
        return results, [{"peer": p, "reason": f"no peer python at {python}"}
                         for p in peers]
    for allocator in allocators:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env.pop("JAX_ENABLE_X64", None)
        env.pop("LD_PRELOAD", None)
        if allocator != "system":
            lib = find_allocator(allocator)
            if lib is None:
                skipped += [{"peer": p, "allocator": allocator, "reason":
                             f"{allocator} not found (set "
                             f"JAXSURROGATE_BENCH_{allocator.upper()})"}
                            for p in peers]
                log(f"  {allocator}: not found, peers not run under it")
                continue
            env["LD_PRELOAD"] = lib
        res, skip = _run_peer_processes(peers, python, env, T, B, nin, nout,
                                        repeats, min_time, timeout, log)
        results += res
        skipped += [dict(s, allocator=allocator) for s in skip]
    return results, skipped


def _run_peer_processes(peers, python, env, T, B, nin, nout, repeats,
                        min_time, timeout, log):
    results, skipped = [], []
    for peer in peers:
        cmd = [python, str(Path(__file__).resolve()), "--worker", peer,
               "--lif", f"{T},{B},{nin},{nout}", "--repeats", str(repeats),
               "--min-time", str(min_time)]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            skipped.append({"peer": peer, "reason": f"timed out after {timeout} s"})
            log(f"  peer {peer}: timed out")
            continue
        last = proc.stdout.strip().splitlines()[-1:] if proc.stdout else []
        if proc.returncode != 0 or not last or not last[0].startswith("{"):
            err = (proc.stderr or proc.stdout or "").strip().splitlines()
            reason = err[-1] if err else f"exit {proc.returncode}"
            if "ModuleNotFoundError" in reason or "No module named" in reason:
                reason = "not installed: " + reason
            skipped.append({"peer": peer, "reason": reason[:300]})
            log(f"  peer {peer}: skipped ({reason[:120]})")
            continue
        info = json.loads(last[0])
        info["wall_s"] = time.perf_counter() - t0
        results.append(info)
        log(f"  peer {peer} [{info.get('allocator')}]: " + ", ".join(
            f"{k} {v * 1e3:.1f} ms" for k, v in info["times_s"].items()))
    return results, skipped


# --------------------------------------------------------------------------
# summary, targets, outputs
# --------------------------------------------------------------------------

def summarize(res):
    """The target checks, each with the measured number."""
    targets = []
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
    if ratios:
        head = "superspike" if "superspike" in ratios else min(ratios, key=ratios.get)
        worst = min(ratios, key=ratios.get)
        ok = sum(v >= 0.85 for v in ratios.values())
        targets.append({
            "target": f"grad of element-wise surrogate at 2^{lg} {dtype} "
                      f">= 0.85 of floor",
            "measured": f"{head} {ratios[head]:.2f}; {ok} of {len(ratios)} "
                        f"shapes >= 0.85; worst {worst} {ratios[worst]:.2f}; "
                        f"median {statistics.median(ratios.values()):.2f} ({how})",
            "met": ratios[head] >= 0.85, "value": ratios[head]})
    ov = res["overhead"]
    if ov:
        per = {}
        for r in ov:
            per.setdefault((r["shape"], r["mode"]), []).append(r["ratio"])
        med = {k: statistics.median(v) for k, v in per.items()}
        worst = min(med, key=med.get)
        targets.append({
            "target": "within 5% of a hand-written custom_vjp: the shapes "
                      "with hand-written twins (" + ", ".join(
                          sorted({k[0] for k in per})) + "), median over "
                      "sizes and dtypes",
            "measured": f"worst {worst[0]} {worst[1]} {med[worst]:.3f}; "
                        f"overall median {statistics.median(med.values()):.3f}",
            "met": med[worst] >= 0.95, "value": med[worst]})
    if focus and focus["overhead"]:
        fo = {(r["shape"], r["mode"]): r["ratio"] for r in focus["overhead"]}
        worst = min(fo, key=fo.get)
        targets.append({
            "target": f"within 5% of a twin custom_vjp at 2^{focus['log2n']} "
                      f"{focus['dtype']}, every non-stochastic shape "
                      f"({focus['repeats']} interleaved repeats)",
            "measured": f"worst {worst[0]} {worst[1]} {fo[worst]:.3f}; median "
                        f"{statistics.median(fo.values()):.3f}; "
                        f"{sum(v >= 0.95 for v in fo.values())} of {len(fo)} "
                        f"(shape, mode) pairs >= 0.95",
            "met": fo[worst] >= 0.95, "value": fo[worst]})
    L = res.get("lif", {}).get("config")
    size = f" (T={L['T']}, batch {L['B']}, {L['nin']}->{L['nout']})" if L else ""
    lif = res.get("lif", {}).get("local")
    if lif:
        r = lif["ratios_vs_jaxsurrogate"]["handwritten"]
        targets.append({
            "target": "LIF step within 5% of the hand-written custom_vjp" + size,
            "measured": f"{r:.3f} (hand-written time / ours)",
            "met": r >= 0.95, "value": r})
    peers = res.get("lif", {}).get("peers", [])
    jax_peer = [(k, v) for p in peers if p["peer"] in ("spyx", "braintools")
                for k, v in p["ratios_vs_jaxsurrogate"].items()
                if k != "jaxsurrogate"]
    if jax_peer:
        k, r = min(jax_peer, key=lambda kv: kv[1])
        targets.append({
            "target": "LIF step no slower than the fastest JAX peer" + size,
            "measured": f"{k}: peer time / ours = {r:.3f}",
            "met": r >= 0.95, "value": r})
    norse = [p for p in peers if p["peer"] == "norse"]
    if norse:
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
        targets.append({
            "target": ">= 10x faster than Norse's LIF module backward" + size,
            "measured": "; ".join(parts),
            "met": min(ratios) >= 10, "value": min(ratios)})
    return targets


def _faults(run, k):
    v = run.get("faults_per_call", {}).get(k)
    return "" if v is None else f"{v:,.0f}"


def fmt_bytes(b):
    if b is None:
        return "n/a"
    return f"{b / 2 ** 20:.1f} MiB"


def markdown(res) -> str:
    m = res["machine"]
    c = res["config"]
    out = ["# jaxsurrogate benchmark", ""]
    out.append(f"Machine: {m['cores']} cores, {m['cpu']}, backend "
               f"{m['backend']} ({m['device_kind']}); jax {m['jax']}, jaxlib "
               f"{m['jaxlib']}, torch {m.get('torch')}, Python {m['python']}. "
               f"Medians over {c['repeats']} interleaved repeats. "
               f"Started {res['started']}, took {res.get('wall_s', 0):.0f} s.")
    peer_versions = list(dict.fromkeys(
        f"{p['peer']} {p.get('version')}" for p in res.get("lif", {}).get("peers", [])))
    allocators = list(dict.fromkeys(
        p.get("allocator", "system") for p in res.get("lif", {}).get("peers", [])))
    if peer_versions:
        threads = {p.get("torch_threads") for p in res["lif"]["peers"]} - {None}
        out.append("")
        out.append("Peers (each in its own subprocess, jax "
                   f"{res['lif']['peers'][0].get('jax')}): "
                   + ", ".join(peer_versions)
                   + (f"; torch threads = {', '.join(map(str, threads))}"
                      if threads else "")
                   + f"; each peer run under these allocators: {', '.join(allocators)}.")
    out += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in res["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | "
                   f"{'yes' if t['met'] else '**no**'} |")

    out += ["", "## Bandwidth floor", "",
            "| dtype | N | floor `x*w` | floor GB/s | copy GB/s | "
            "`sum(x*w)` / floor time |",
            "|---|---|---|---|---|---|"]
    for r in res["bandwidth"]:
        out.append(f"| {r['dtype']} | 2^{r['log2n']} | {r['floor_s'] * 1e6:.1f} us "
                   f"| {r['floor_GBps']:.1f} | {r['copy_GBps']:.1f} | "
                   f"{r['reduce_s'] / r['floor_s']:.2f} |")

    focus = res.get("focus")
    if focus:
        out += ["", f"## Target check at 2^{focus['log2n']} {focus['dtype']}: "
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
                     for m in ("forward", "grad", "value_and_grad")]
            note = res.get("notes", {}).get(shape)
            tw = {"hand-written formula": "formula",
                  "plain custom_vjp of the declared derivative": "declared g"
                  }.get(kind.get(shape), "")
            out.append(f"| {shape}{' (' + note + ')' if note else ''} | "
                       f"{v:.2f} | {tw} | " + " | ".join(cells) + " |")

    ew = res["elementwise"]
    if ew:
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
                    cells.append(f"{r[0]['forward_ratio']:.2f} / "
                                 f"{r[0]['grad_ratio']:.2f} / "
                                 f"{r[0]['value_and_grad_ratio']:.2f}"
                                 if r else "")
                note = res.get("notes", {}).get(shape)
                out.append(f"| {shape}{' (' + note + ')' if note else ''} | "
                           + " | ".join(cells) + " |")

    ov = res["overhead"]
    if ov:
        out += ["", "## Overhead: hand-written custom_vjp time / jaxsurrogate "
                "time (1.0 = same; > 1 = ours faster)", "",
                "median over sizes; [min, max] in brackets", "",
                "| shape | dtype | forward | grad | value_and_grad |",
                "|---|---|---|---|---|"]
        keys = sorted({(r["shape"], r["dtype"]) for r in ov},
                      key=lambda k: (k[0], k[1] != "float32"))
        for shape, dtype in keys:
            cells = []
            for mode in ("forward", "grad", "value_and_grad"):
                v = [r["ratio"] for r in ov if r["shape"] == shape and
                     r["dtype"] == dtype and r["mode"] == mode]
                cells.append(f"{statistics.median(v):.3f} [{min(v):.2f}, "
                             f"{max(v):.2f}]")
            out.append(f"| {shape} | {dtype} | " + " | ".join(cells) + " |")

    lif = res.get("lif")
    if lif:
        L = lif["config"]
        out += ["", f"## LIF training step: jit(grad(loss)), T={L['T']}, batch "
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
    mem = res.get("memory")
    if mem:
        out += ["", "## Compiled temporary memory of the LIF step "
                "(`memory_analysis().temp_size_in_bytes`)", "",
                "| implementation | jax.checkpoint of the scan step | temp | "
                "arguments | output |", "|---|---|---|---|---|"]
        for r in mem:
            out.append(f"| {r['impl']} | {'yes' if r['checkpoint'] else 'no'} | "
                       f"{fmt_bytes(r['temp_bytes'])} | "
                       f"{fmt_bytes(r['argument_bytes'])} | "
                       f"{fmt_bytes(r['output_bytes'])} |")
    return "\n".join(out) + "\n"


def plot(res, path):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ew = [r for r in res["elementwise"] if r["dtype"] == "float32"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
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

    ax = axes[1]
    lif = res.get("lif", {})
    labels, vals, colors = [], [], []
    local = lif.get("local", {}).get("ratios_vs_jaxsurrogate", {})
    for k, v in local.items():
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
    if vals:
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
    m = res["machine"]
    fig.suptitle(f"jaxsurrogate, {m['cores']} x {m['cpu']} ({m['backend']}), "
                 f"jax {m['jax']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def parse_ints(s):
    return [int(v) for v in s.split(",") if v]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="fewer sizes, shapes and repeats (under 2 minutes)")
    mode.add_argument("--smoke", action="store_true",
                      help="one tiny size, two shapes, no peers (for tests)")
    ap.add_argument("--gpu", action="store_true",
                    help="large sizes (default 2^24, 2^26, 2^28), no peers")
    ap.add_argument("--sizes", type=parse_ints,
                    help="comma-separated log2 sizes, e.g. 12,16,20")
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--shapes", help="comma-separated names (default: all)")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--min-time", type=float,
                    help="seconds per timed sample (inner loop)")
    ap.add_argument("--lif", help="T,B,nin,nout (default 100,256,784,512)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated peers to run, '' for none")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    ap.add_argument("--peer-timeout", type=float, default=600)
    ap.add_argument("--allocators", help="comma-separated: run the peers "
                    "under each (system, tcmalloc, jemalloc; LD_PRELOAD); "
                    "default system,tcmalloc for the full run, else system")
    ap.add_argument("--skip", default="",
                    help="sections to skip: elementwise,focus,lif,memory")
    ap.add_argument("--focus", help="log2 size,dtype,repeats of the target "
                    "check (default 22,float32,31; 'none' to skip)")
    ap.add_argument("--json", help="write the raw numbers here")
    ap.add_argument("--markdown", help="write a markdown table ('-': stdout)")
    ap.add_argument("--png", help="write a chart (needs matplotlib)")
    ap.add_argument("--from-json", help="only render --markdown/--png from "
                    "an earlier --json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.from_json:
        res = json.loads(Path(a.from_json).read_text())
        res["targets"] = summarize(res)
        write_outputs(res, a)
        return 0

    if a.smoke:
        sizes, shapes_n, repeats, min_time = [12], 2, 1, 0.001
        lif = (4, 8, 16, 8)
        peers = []
        focus = None
    elif a.quick:
        sizes, shapes_n, repeats, min_time = [14, 18, 22], 4, 3, 0.01
        lif = (25, 64, 784, 512)
        peers = [p for p in PEERS if p != "norse_compile"]
        focus = (22, "float32", 11, 0.005)
    elif a.gpu:
        sizes, shapes_n, repeats, min_time = [24, 26, 28], None, 5, 0.05
        lif = (100, 256, 784, 512)
        peers = []
        focus = (28, "float32", 15, 0.005)
    else:
        sizes, shapes_n, repeats, min_time = list(range(12, 25, 2)), None, 7, 0.01
        lif = (100, 256, 784, 512)
        peers = list(PEERS)
        focus = (22, "float32", 31, 0.005)
    if a.sizes:
        sizes = a.sizes
    if a.repeats:
        repeats = a.repeats
    if a.min_time:
        min_time = a.min_time
    lif_repeats = repeats if (a.smoke or a.quick) else max(repeats, 7)
    if a.lif:
        lif = tuple(parse_ints(a.lif))
    if a.focus:
        if a.focus == "none":
            focus = None
        else:
            fl, fd, fr = a.focus.split(",")
            focus = (int(fl), fd, int(fr), 0.005)
    if a.worker:
        info = worker(a.worker, *lif, repeats, min_time)
        print(json.dumps(info))
        return 0
    allocators = (a.allocators.split(",") if a.allocators else
                  ["system"] if (a.smoke or a.quick or a.gpu) else
                  ["system", "tcmalloc"])
    for name in allocators:
        if name != "system":
            find_allocator(name)  # rejects an unknown name before any work
    if a.no_peers:
        peers = []
    elif "--peers" in (argv if argv is not None else sys.argv):
        peers = [p for p in a.peers.split(",") if p]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    import jaxsurrogate as js
    if a.shapes:
        shapes = a.shapes.split(",")
    else:
        shapes = list(js.names())
        if shapes_n is not None:  # superspike and heaviside first, then others
            first = [s for s in ("superspike", "heaviside") if s in shapes]
            shapes = (first + [s for s in shapes if s not in first])[:shapes_n]
    dtypes = a.dtypes.split(",") if not a.smoke else ["float32"]
    skip = set(a.skip.split(",")) - {""}

    t_start = time.perf_counter()
    res = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": machine_info(),
           "config": {"sizes_log2": sizes, "dtypes": dtypes, "shapes": shapes,
                      "repeats": repeats, "min_time_s": min_time,
                      "mode": "smoke" if a.smoke else "quick" if a.quick else
                      "gpu" if a.gpu else "full"}}
    m = res["machine"]
    log(f"machine: {m['cores']} cores, {m['cpu']}, {m['backend']} "
        f"({m['device_kind']}); jax {m['jax']}, jaxlib {m['jaxlib']}, "
        f"torch {m['torch']}")
    ew, ov, bw, notes = [], [], [], {}
    if "elementwise" not in skip:
        log(f"element-wise: {len(shapes)} shapes x {len(sizes)} sizes x "
            f"{len(dtypes)} dtypes")
        ew, ov, bw, notes = run_elementwise(sizes, dtypes, shapes, repeats,
                                            min_time, log)
    res.update(elementwise=ew, overhead=ov, bandwidth=bw, notes=notes)
    if "focus" not in skip and focus is not None:
        log(f"target check: grad at 2^{focus[0]} {focus[1]}")
        res["focus"] = run_focus(focus[0], focus[1], shapes, focus[2],
                                 focus[3], log)
    T, B, nin, nout = lif
    if "lif" not in skip:
        log(f"LIF step T={T} B={B} {nin}->{nout}")
        lif_res = {"config": {"T": T, "B": B, "nin": nin, "nout": nout,
                              **LIF}}
        lif_res["local"], res["memory"] = run_lif_local(
            T, B, nin, nout, lif_repeats, min_time, log)
        lif_res["peers"], lif_res["skipped"] = run_peers(
            peers, a.peer_python, T, B, nin, nout, lif_repeats, min_time,
            a.peer_timeout, log, allocators)
        res["lif"] = lif_res
    elif "memory" not in skip:
        _, res["memory"] = run_lif_local(T, B, nin, nout, repeats, min_time,
                                         log, timing=False)
    res["targets"] = summarize(res)
    res["wall_s"] = time.perf_counter() - t_start
    for t in res["targets"]:
        log(f"target: {t['target']}: {t['measured']} -> "
            f"{'met' if t['met'] else 'MISSED'}")
    log(f"done in {res['wall_s']:.0f} s")
    write_outputs(res, a)
    return 0


def write_outputs(res, a):
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    if a.markdown:
        text = markdown(res)
        if a.markdown == "-":
            print(text)
        else:
            Path(a.markdown).write_text(text)
    if a.png:
        plot(res, a.png)


if __name__ == "__main__":
    sys.exit(main())
