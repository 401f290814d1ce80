"""Smoke test of benchmarks/run.py: it runs, and its JSON has sane numbers.

No timing assertions: the numbers depend on the machine and its load.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import import_from

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


def _positive_finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


def test_smoke_run_writes_expected_json(tmp_path):
    out = tmp_path / "smoke.json"
    md = tmp_path / "smoke.md"
    env = dict(os.environ)
    env.pop("JAX_ENABLE_X64", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--json", str(out),
         "--markdown", str(md)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env=env,
        check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads(out.read_text())

    for key in ("machine", "config", "elementwise", "overhead", "bandwidth",
                "lif", "memory", "targets"):
        assert key in res, key
    assert res["machine"]["cores"] >= 1
    assert res["config"]["mode"] == "smoke"

    shapes = {r["shape"] for r in res["elementwise"]}
    assert len(shapes) == 2
    for r in res["elementwise"]:
        for mode in ("forward", "grad", "value_and_grad"):
            assert _positive_finite(r[mode + "_ratio"]), (r, mode)
            assert _positive_finite(r[mode + "_s"]), (r, mode)
    assert res["overhead"], "superspike has a hand-written twin"
    for r in res["overhead"]:
        assert _positive_finite(r["ratio"]), r
    for r in res["bandwidth"]:
        assert _positive_finite(r["floor_GBps"]) and _positive_finite(r["copy_GBps"])

    lif = res["lif"]
    assert lif["peers"] == []  # smoke runs no peers
    assert set(lif["local"]["times_s"]) == {
        "jaxsurrogate", "jaxsurrogate+checkpoint", "jaxsurrogate (LIF only)",
        "handwritten", "handwritten+checkpoint", "handwritten (LIF only)",
        "matrix products only"}
    assert lif["local"]["allocator"] in ("system", "tcmalloc", "jemalloc")
    assert set(lif["local"]["faults_per_call"]) == set(lif["local"]["times_s"])
    assert all(v >= 0 for v in lif["local"]["faults_per_call"].values())
    for v in lif["local"]["ratios_vs_jaxsurrogate"].values():
        assert _positive_finite(v)
    assert {(r["impl"], r["checkpoint"]) for r in res["memory"]} == {
        ("jaxsurrogate", False), ("jaxsurrogate", True),
        ("handwritten", False), ("handwritten", True)}
    for r in res["memory"]:
        assert r["temp_bytes"] is None or r["temp_bytes"] >= 0
    for t in res["targets"]:
        assert _positive_finite(t["value"]), t

    text = md.read_text()
    assert "| target | measured | met |" in text
    assert "LIF training step" in text

    # --from-json renders the same report from the raw numbers
    again = tmp_path / "again.md"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--from-json", str(out), "--markdown",
         str(again)], capture_output=True, text=True, timeout=600, cwd=ROOT,
        env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert again.read_text() == text


@pytest.fixture(scope="module")
def jsbench():
    """The benchmark's package, imported as ``python benchmarks/run.py`` does."""
    jsbench, *_ = import_from(RUN.parent, "jsbench", "jsbench.cli", "jsbench.machine",
                              "jsbench.peers")
    return jsbench


def test_unknown_allocator_is_named_in_the_error(jsbench):
    with pytest.raises(SystemExit, match="--allocators: unknown allocator 'mimalloc'"):
        jsbench.machine.find_allocator("mimalloc")


def test_allocator_path_from_the_environment(jsbench, monkeypatch, tmp_path):
    lib = tmp_path / "libtcmalloc_minimal.so.4"
    lib.write_bytes(b"")
    monkeypatch.setenv("JAXSURROGATE_BENCH_TCMALLOC", str(lib))
    assert jsbench.machine.find_allocator("tcmalloc") == str(lib)
    monkeypatch.setenv("JAXSURROGATE_BENCH_TCMALLOC", str(tmp_path / "missing.so"))
    assert jsbench.machine.find_allocator("tcmalloc") is None


def test_peers_under_a_missing_allocator_are_skipped_with_the_reason(
        jsbench, monkeypatch, tmp_path):
    monkeypatch.setenv("JAXSURROGATE_BENCH_TCMALLOC", str(tmp_path / "missing.so"))
    results, skipped = jsbench.peers.run_peers(
        ["spyx", "norse"], sys.executable, 2, 2, 2, 2, 1, 0.001, 60,
        log=lambda msg: None, allocators=("tcmalloc",))
    assert results == []
    assert [(s["peer"], s["allocator"]) for s in skipped] == [
        ("spyx", "tcmalloc"), ("norse", "tcmalloc")]
    assert all("tcmalloc not found" in s["reason"] for s in skipped)


def test_every_peer_has_a_worker_and_every_mode_names_known_peers(jsbench):
    peers = jsbench.peers.PEERS
    assert set(peers) == {"spyx", "braintools", "norse", "norse_compile",
                          "snntorch"}
    for name, peer in peers.items():
        assert peer.framework in ("jax", "torch"), name
        assert callable(peer.variants), name
    assert set(jsbench.peers.JAX_PEERS) == {"spyx", "braintools"}
    for mode, preset in jsbench.cli.PRESETS.items():
        assert set(preset.peers) <= set(peers), mode
    assert jsbench.cli.PRESETS["full"].peers == tuple(peers)
    assert "norse_compile" not in jsbench.cli.PRESETS["quick"].peers


def test_an_unknown_peer_is_named_by_its_worker(jsbench):
    with pytest.raises(SystemExit, match="unknown peer spikingjelly"):
        jsbench.peers.worker("spikingjelly", 2, 2, 2, 2, 1, 0.001)


def test_faults_per_call_sees_fresh_memory(jsbench):
    def touch_fresh_memory():
        return np.ones(2 ** 24, np.float32).sum()  # 64 MiB, new every call

    faults = jsbench.machine.faults_per_call(
        {"fresh": touch_fresh_memory, "none": lambda: 0.0}, block=lambda out: out)
    # 64 MiB is 16,384 small pages, or 32 huge ones where the kernel uses them
    assert faults["fresh"] >= 32
    assert faults["none"] < faults["fresh"]


def test_every_plain_twin_equals_its_shape():
    # The twins stand beside every shape in the GPU run's target check; a
    # parameter whose default is None (multispike's grad_high) once broke them.
    import jax
    import jax.numpy as jnp

    import jaxsurrogate as js

    (twins,) = import_from(RUN.parent, "jsbench.twins")
    pairs = {name: (twins.plain_twin(name), js.get(name)) for name in js.names()}
    pairs = {k: v for k, v in pairs.items() if v[0] is not None}  # stochastic: no twin

    @jax.jit  # one compilation for all shapes
    def values_and_grads(x):
        return {name: [(f(x), jax.grad(lambda v, f=f: f(v).sum())(x)) for f in pair]
                for name, pair in pairs.items()}

    for name, (twin, shape) in values_and_grads(jnp.linspace(-1.5, 1.5, 7)).items():
        np.testing.assert_array_equal(twin[0], shape[0], err_msg=name)
        np.testing.assert_allclose(twin[1], shape[1], rtol=1e-6, err_msg=name)
    assert len(pairs) >= 25


def test_gpu_script_dry_run_on_this_machine(tmp_path):
    # benchmarks/gpu.sh only meets a GPU in sessions that are lent one; this
    # keeps its plumbing (arguments, outputs) working in between.
    env = dict(os.environ, SIZES="12", SHAPES="superspike,heaviside",
               LIF="4,8,16,8", FOCUS="12,float32,2", OUT=str(tmp_path),
               PYTHON=sys.executable, SEQUENCE="0")
    env.pop("JAX_ENABLE_X64", None)
    # The fewest repeats and the shortest samples: this checks plumbing, not speed.
    quick = ["--repeats", "1", "--min-time", "0.0005", "--dtypes", "float32"]
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), *quick],
                          capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads((tmp_path / "gpu.json").read_text())
    assert res["config"]["mode"] == "gpu"
    assert {r["log2n"] for r in res["elementwise"]} == {12}
    assert {r["shape"] for r in res["elementwise"]} == {"superspike", "heaviside"}
    assert res["lif"]["peers"] == []
    assert "| target | measured | met |" in proc.stdout
    assert (tmp_path / "gpu.md").read_text() in proc.stdout
