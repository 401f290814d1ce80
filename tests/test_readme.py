"""The README's code runs as written, and its test command is what CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 3
    # A fresh process: JAX's defaults, as a reader has them.
    script = "\n".join(blocks) + "\nassert 'alpha must be finite' in err.get()\nprint('ok')\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]


def test_ci_runs_the_readme_test_command():
    command = re.search(r"The test command.*?```bash\n(.*?)\n```", README, re.S).group(1)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == command
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1)
    assert quick_start.strip().splitlines()[1].endswith("&& " + command)
    # The quick start installs what CI installs.
    for line in ci:
        if line.startswith("python -m pip install -q --no-deps"):
            assert line.replace("python -m pip install -q ", "pip install ") in quick_start
