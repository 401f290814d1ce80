"""Command line: the modes' presets, the flags that override them, the run."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jaxsurrogate as js

from . import __doc__ as PACKAGE_DOC
from .elementwise import run_elementwise, run_focus
from .lif import run_lif_local
from .machine import find_allocator, machine_info
from .norse_lif import LIF_PARAMS
from .peers import DEFAULT_PEER_PYTHON, PEERS, run_peers, worker
from .report import write_outputs
from .targets import summarize

FULL_LIF = (100, 256, 784, 512)  # T, batch, inputs, outputs
FOCUS_MIN_TIME = 0.005  # seconds per sample of the target check: many short ones


@dataclass(frozen=True)
class Preset:
    """What a mode measures unless a flag says otherwise."""
    sizes: tuple[int, ...]  # log2 sizes of the element-wise cases
    shapes_n: int | None  # superspike, heaviside, then the others; None: all
    repeats: int
    min_time: float  # seconds per timed sample (inner loop)
    lif: tuple[int, int, int, int]  # T, B, nin, nout
    peers: tuple[str, ...]
    focus: tuple[int, str, int] | None  # log2 size, dtype, repeats
    allocators: tuple[str, ...]  # the peers run under each
    min_lif_repeats: int = 0  # the LIF step is repeated at least this often
    dtypes: tuple[str, ...] | None = None  # whatever --dtypes says; None: --dtypes


PRESETS = {
    "smoke": Preset(sizes=(12,), shapes_n=2, repeats=1, min_time=0.001,
                    lif=(4, 8, 16, 8), peers=(), focus=None,
                    allocators=("system",), dtypes=("float32",)),
    "quick": Preset(sizes=(14, 18, 22), shapes_n=4, repeats=3, min_time=0.01,
                    lif=(25, 64, 784, 512),
                    peers=tuple(p for p in PEERS if p != "norse_compile"),
                    focus=(22, "float32", 11), allocators=("system",)),
    "gpu": Preset(sizes=(24, 26, 28), shapes_n=None, repeats=5, min_time=0.05,
                  lif=FULL_LIF, peers=(), focus=(28, "float32", 15),
                  allocators=("system",), min_lif_repeats=7),
    "full": Preset(sizes=tuple(range(12, 25, 2)), shapes_n=None, repeats=7,
                   min_time=0.01, lif=FULL_LIF, peers=tuple(PEERS),
                   focus=(22, "float32", 31), allocators=("system", "tcmalloc"),
                   min_lif_repeats=7),
}


def parse_ints(s):
    return [int(v) for v in s.split(",") if v]


def parse_focus(s):
    """'log2 size,dtype,repeats' of the target check, or 'none'."""
    if s == "none":
        return None
    lg, dtype, repeats = s.split(",")
    return int(lg), dtype, int(repeats)


def parser():
    ap = argparse.ArgumentParser(description=PACKAGE_DOC.split("\n\n")[0])
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
    ap.add_argument("--peers", help="comma-separated peers to run, '' for none "
                    f"(default {','.join(PEERS)}; --quick leaves norse_compile out)")
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
    return ap


@dataclass(frozen=True)
class Run:
    """What one run measures: its mode's preset with the flags applied."""
    mode: str
    sizes: list[int]
    dtypes: list[str]
    shapes: list[str]
    repeats: int
    min_time: float
    focus: tuple[int, str, int] | None
    lif: tuple[int, int, int, int]
    lif_repeats: int
    peers: list[str]
    allocators: list[str]
    peer_python: str
    peer_timeout: float
    skip: set[str]


def resolve(a) -> Run:
    # --gpu may come with --quick or --smoke (exclusive of each other); they win
    mode = next((m for m in ("smoke", "quick", "gpu") if getattr(a, m)), "full")
    preset = PRESETS[mode]
    repeats = a.repeats or preset.repeats
    if a.no_peers:
        peers = []
    elif a.peers is not None:
        peers = [p for p in a.peers.split(",") if p]
    else:
        peers = list(preset.peers)
    if a.shapes:
        shapes = a.shapes.split(",")
    else:
        shapes = list(js.names())
        if preset.shapes_n is not None:
            first = [s for s in ("superspike", "heaviside") if s in shapes]
            shapes = (first + [s for s in shapes if s not in first])[:preset.shapes_n]
    return Run(
        mode=mode, sizes=a.sizes or list(preset.sizes),
        dtypes=list(preset.dtypes or a.dtypes.split(",")), shapes=shapes,
        repeats=repeats, min_time=a.min_time or preset.min_time,
        focus=parse_focus(a.focus) if a.focus else preset.focus,
        lif=tuple(parse_ints(a.lif)) if a.lif else preset.lif,
        lif_repeats=max(repeats, preset.min_lif_repeats), peers=peers,
        allocators=a.allocators.split(",") if a.allocators else list(preset.allocators),
        peer_python=a.peer_python, peer_timeout=a.peer_timeout,
        skip=set(a.skip.split(",")) - {""})


def main(argv=None):
    a = parser().parse_args(argv)
    if a.from_json:
        res = json.loads(Path(a.from_json).read_text())
        res["targets"] = summarize(res)
        write_outputs(res, a.json, a.markdown, a.png)
        return 0
    run = resolve(a)
    if a.worker:
        print(json.dumps(worker(a.worker, *run.lif, run.repeats, run.min_time)))
        return 0
    for name in run.allocators:
        if name != "system":
            find_allocator(name)  # rejects an unknown name before any work
    write_outputs(run_benchmark(run), a.json, a.markdown, a.png)
    return 0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_benchmark(run: Run) -> dict:
    """Every section not in ``run.skip``, then the targets: the results dict."""
    t_start = time.perf_counter()
    res = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": machine_info(),
           "config": {"sizes_log2": run.sizes, "dtypes": run.dtypes,
                      "shapes": run.shapes, "repeats": run.repeats,
                      "min_time_s": run.min_time, "mode": run.mode}}
    m = res["machine"]
    log(f"machine: {m['cores']} cores, {m['cpu']}, {m['backend']} "
        f"({m['device_kind']}); jax {m['jax']}, jaxlib {m['jaxlib']}, "
        f"torch {m['torch']}")
    ew, ov, bw, notes = [], [], [], {}
    if "elementwise" not in run.skip:
        log(f"element-wise: {len(run.shapes)} shapes x {len(run.sizes)} sizes x "
            f"{len(run.dtypes)} dtypes")
        ew, ov, bw, notes = run_elementwise(run.sizes, run.dtypes, run.shapes,
                                            run.repeats, run.min_time, log)
    res.update(elementwise=ew, overhead=ov, bandwidth=bw, notes=notes)
    if "focus" not in run.skip and run.focus is not None:
        lg, dtype, focus_repeats = run.focus
        log(f"target check: grad at 2^{lg} {dtype}")
        res["focus"] = run_focus(lg, dtype, run.shapes, focus_repeats,
                                 FOCUS_MIN_TIME, log)
    T, B, nin, nout = run.lif
    if "lif" not in run.skip:
        log(f"LIF step T={T} B={B} {nin}->{nout}")
        lif_res = {"config": {"T": T, "B": B, "nin": nin, "nout": nout,
                              **LIF_PARAMS}}
        lif_res["local"], res["memory"] = run_lif_local(
            T, B, nin, nout, run.lif_repeats, run.min_time, log)
        lif_res["peers"], lif_res["skipped"] = run_peers(
            run.peers, run.peer_python, T, B, nin, nout, run.lif_repeats,
            run.min_time, run.peer_timeout, log, run.allocators)
        res["lif"] = lif_res
    elif "memory" not in run.skip:
        _, res["memory"] = run_lif_local(T, B, nin, nout, run.repeats,
                                         run.min_time, log, timing=False)
    res["targets"] = summarize(res)
    res["wall_s"] = time.perf_counter() - t_start
    for t in res["targets"]:
        log(f"target: {t['target']}: {t['measured']} -> "
            f"{'met' if t['met'] else 'MISSED'}")
    log(f"done in {res['wall_s']:.0f} s")
    return res
