"""Smoke test of benchmarks/fire_memory.py: it runs, and its numbers are sane.

Tiny sizes, no peers and no timing assertions (times depend on the machine);
what is structural is checked: which arrays each formulation keeps for the
backward pass, identical spikes, gradients equal to rounding.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_smoke_run_writes_table_and_json(tmp_path):
    out, md = tmp_path / "fire.json", tmp_path / "fire.md"
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fire_memory.py"), "--smoke",
         "--peer-python", "", "--json", str(out), "--markdown", str(md)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads(out.read_text())
    names = ["composition", "fire", "fire, bfloat16 residual"]
    assert list(res["memory"]) == names
    t, b, n = res["sizes"]["T"], res["sizes"]["batch"], res["sizes"]["hidden"]
    assert res["kept"]["composition"] == [["float32", t * b * n * 4]] * 3
    assert res["kept"]["fire"] == [["float32", t * b * n * 4]]
    assert res["kept"]["fire, bfloat16 residual"] == [["bfloat16", t * b * n * 2]]
    assert all(res["spikes_identical"].values())
    assert res["gradients"]["fire"]["max_abs_over_max"] < 1e-5
    assert res["gradients"]["fire, bfloat16 residual"]["max_abs_over_max"] < 5e-2
    for name in names:
        assert res["memory"][name] > 0
        for key in ("times_s", "speed_vs_composition", "memory_ratio"):
            assert math.isfinite(res[key][name]) and res[key][name] > 0
    assert res["peers"] == []
    rows = [line.split(" | ")[0] for line in md.read_text().splitlines() if line.startswith("| ")]
    # The results table and the memory breakdown, each a header and three formulations.
    assert rows == ["| formulation", *(f"| {n}" for n in names)] * 2
