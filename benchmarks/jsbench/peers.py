"""The peers: spyx, braintools, Norse and snnTorch, each timed next to our
step in its own subprocess (``run.py --worker NAME`` with the peer python).

``PEERS`` maps a peer's name to how its worker builds the peer's variants of
the step; the parent side (``run_peers``) starts one subprocess per peer and
allocator and reads the worker's JSON from its last line of output.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jax

from .lif import LIF_ONLY, MATMULS, jaxsurrogate_spike, make_jax_lif, make_jax_matmuls, measure_lif
from .machine import find_allocator
from .norse_lif import LIF_PARAMS, lif_data
from .timing import block_mixed, format_ms

RUN_PY = Path(__file__).resolve().parents[1] / "run.py"  # the workers' entry point
REPO = RUN_PY.parents[1]
DEFAULT_PEER_PYTHON = os.environ.get("JAXSURROGATE_BENCH_PYTHON",
                                     str(REPO / "venv-bench" / "bin" / "python"))

NORSE_NOTE = ("norse 1.1.0 ignores alpha: its SuperSpike is 1/(|x|+1)^2, so "
              "the maths differ in the derivative's width, not in cost")


@dataclass(frozen=True)
class Peer:
    """How a worker times one peer.

    ``variants(info, lif, x, w)`` returns the callables to time next to our
    whole step, by label (first any other step of ours that some of them are
    compared with: Norse's, our LIF only) and records the peer's version and
    notes in ``info``; ``lif`` is (T, B, nin, nout), ``x`` and ``w`` the
    step's data. A torch peer's samples are paused: torch's thread pool
    spins for a while after its work and would slow ours.
    """
    framework: str  # "jax" or "torch"
    variants: Callable[[dict, tuple, object, object], dict]


# ---- JAX peers: their spike function in the same scan as ours ------------

def _jax_peer(package, label, make_spike):
    def variants(info, lif, x, w):
        info["version"] = importlib.metadata.version(package)
        step, args = make_jax_lif(make_spike(), *lif)
        info["notes"][label] = "same scan, the peer's spike function"
        return {label: lambda: step(*args)}
    return Peer("jax", variants)


def _spyx_superspike():
    import spyx.axn
    return spyx.axn.superspike(k=LIF_PARAMS["alpha"])


def _braintools_inv_square():
    import braintools.surrogate
    return braintools.surrogate.InvSquareGrad(alpha=LIF_PARAMS["alpha"])


# ---- torch peers ---------------------------------------------------------

def _torch(info, version):
    """torch on every core, its version and threads recorded in ``info``."""
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    info["version"] = version
    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    return torch


def _rate_loss(z):
    return ((z.mean(0) - 0.05) ** 2).mean()


def _torch_backward(leaf, loss):
    """A step: ``loss()`` backward, returning the gradient of ``leaf``."""
    def step():
        leaf.grad = None
        loss().backward()
        return leaf.grad
    return step


def _torch_dense_step(torch, run_layer, x, w):
    """(fwd+bwd, forward only) of dense -> layer(cur) -> loss."""
    xt = torch.from_numpy(x)
    wt = torch.from_numpy(w.copy()).requires_grad_(True)

    def loss():
        return _rate_loss(run_layer(torch.einsum("tbi,io->tbo", xt, wt)))

    def forward_only():
        with torch.no_grad():
            return loss()

    return _torch_backward(wt, loss), forward_only


def _torch_lif_only_step(torch, run_layer, x, w):
    """fwd+bwd of layer(cur) -> loss, gradient with respect to cur."""
    ct = torch.from_numpy(x @ w).requires_grad_(True)
    return _torch_backward(ct, lambda: _rate_loss(run_layer(ct)))


def _torch_matmuls(torch, x, w):
    """The step's two products in torch, eagerly (what Norse's step runs)."""
    xt = torch.from_numpy(x.reshape(-1, x.shape[-1]))
    wt = torch.from_numpy(w)
    g = torch.full((xt.shape[0], w.shape[1]), 1e-3)

    def products():
        return (xt @ wt * g).sum(), xt.T @ g

    return products


def _time_loop(torch, cell, initial_state):
    """layer(cur): a Python loop of ``cell(cur[t], state)`` over time."""
    def run(cur):
        state, zs = initial_state(), []
        for t in range(cur.shape[0]):
            z, state = cell(cur[t], state)
            zs.append(z)
        return torch.stack(zs)
    return run


def _norse_setup(info):
    import norse
    import norse.torch as nt
    torch = _torch(info, norse.__version__)
    info["notes"]["all"] = NORSE_NOTE
    params = nt.LIFParameters(method="super",
                              alpha=torch.as_tensor(LIF_PARAMS["alpha"]))
    return torch, nt, params


def _norse(info, lif, x, w):
    """Norse's LIF module (also LIF only and forward only), a LIFCell loop
    and the step's matrix products alone in JAX and in torch."""
    ours_lif_only, ours_args = make_jax_lif(jaxsurrogate_spike, *lif, dense=False)
    torch, nt, params = _norse_setup(info)
    products, products_args = make_jax_matmuls(*lif)
    module = nt.LIF(params)

    def run_module(cur):
        return module(cur)[0]

    step, forward_only = _torch_dense_step(torch, run_module, x, w)
    cell_loop = _time_loop(torch, nt.LIFCell(params), lambda: None)
    return {
        "jaxsurrogate" + LIF_ONLY: lambda: ours_lif_only(*ours_args),
        # blocked here: a tuple, which block_mixed would not wait for
        MATMULS + " (JAX)": lambda: jax.block_until_ready(products(*products_args)),
        MATMULS + " (torch)": _torch_matmuls(torch, x, w),
        "Norse LIF module": step,
        "Norse LIF module (forward only)": forward_only,
        "Norse LIF module" + LIF_ONLY: _torch_lif_only_step(torch, run_module, x, w),
        "Norse LIFCell loop": _torch_dense_step(torch, cell_loop, x, w)[0],
    }


def _norse_compile(info, lif, x, w):
    """Norse's LIFCell under torch.compile, looped; the compile time apart."""
    torch, nt, params = _norse_setup(info)
    compiled = torch.compile(nt.LIFCell(params))
    step, _ = _torch_dense_step(torch, _time_loop(torch, compiled, lambda: None),
                                x, w)
    t0 = time.perf_counter()
    step()
    step()
    info["compile_s"] = time.perf_counter() - t0
    return {"Norse LIFCell loop, torch.compile": step}


def _snntorch(info, lif, x, w):
    import snntorch as snn
    from snntorch import surrogate
    torch = _torch(info, snn.__version__)
    beta = 1 - LIF_PARAMS["dt"] * LIF_PARAMS["tau_mem_inv"]
    leaky = snn.Leaky(beta=beta, spike_grad=surrogate.fast_sigmoid(
        slope=LIF_PARAMS["alpha"]))
    step, _ = _torch_dense_step(torch, _time_loop(torch, leaky, leaky.init_leaky),
                                x, w)
    label = "snnTorch Leaky loop"
    info["notes"][label] = ("snn.Leaky: one state (no synaptic current), "
                            "subtract reset; fast_sigmoid slope 100 = "
                            "SuperSpike alpha 100")
    return {label: step}


PEERS = {
    "spyx": _jax_peer("spyx", "spyx (axn.superspike k=100)", _spyx_superspike),
    "braintools": _jax_peer("braintools", "braintools (InvSquareGrad alpha=100)",
                            _braintools_inv_square),
    "norse": Peer("torch", _norse),
    "norse_compile": Peer("torch", _norse_compile),
    "snntorch": Peer("torch", _snntorch),
}
JAX_PEERS = tuple(name for name, p in PEERS.items() if p.framework == "jax")


def worker(name, T, B, nin, nout, repeats, min_time):
    """Times peer ``name`` next to jaxsurrogate's step, in this process."""
    if name not in PEERS:
        raise SystemExit(f"unknown peer {name}")
    peer = PEERS[name]
    lif = (T, B, nin, nout)
    ours, ours_args = make_jax_lif(jaxsurrogate_spike, *lif)
    fns = {"jaxsurrogate": lambda: ours(*ours_args)}
    info = {"peer": name, "notes": {}}
    x, w = lif_data(*lif)
    fns.update(peer.variants(info, lif, x, w))
    info["pause_s"] = 0.05 if peer.framework == "torch" else 0.0
    info.update(measure_lif(fns, repeats, min_time, block=block_mixed,
                            pause=info["pause_s"]))
    info["jax"] = jax.__version__
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
        for peer in peers:
            cmd = [python, str(RUN_PY), "--worker", peer,
                   "--lif", f"{T},{B},{nin},{nout}", "--repeats", str(repeats),
                   "--min-time", str(min_time)]
            info, reason = _run_worker(peer, cmd, env, timeout, log)
            if info is None:
                skipped.append({"peer": peer, "reason": reason,
                                "allocator": allocator})
            else:
                results.append(info)
    return results, skipped


def _run_worker(peer, cmd, env, timeout, log):
    """(the worker's info, None), or (None, why it was skipped); logs either."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        log(f"  peer {peer}: timed out")
        return None, f"timed out after {timeout} s"
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout else []
    if proc.returncode != 0 or not last or not last[0].startswith("{"):
        err = (proc.stderr or proc.stdout or "").strip().splitlines()
        reason = err[-1] if err else f"exit {proc.returncode}"
        if "ModuleNotFoundError" in reason or "No module named" in reason:
            reason = "not installed: " + reason
        log(f"  peer {peer}: skipped ({reason[:120]})")
        return None, reason[:300]
    info = json.loads(last[0])
    info["wall_s"] = time.perf_counter() - t0
    log(f"  peer {peer} [{info.get('allocator')}]: " + format_ms(info["times_s"]))
    return info, None
