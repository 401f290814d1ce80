"""Smoke test of benchmarks/run.py: it runs, and its JSON has sane numbers.

No timing assertions: the numbers depend on the machine and its load.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

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
        "handwritten", "handwritten+checkpoint", "handwritten (LIF only)"}
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
