"""The README's code runs as written, and its test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import codeblocks

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_python_blocks_run_as_doctests():
    # Every block is a doctest: its shown outputs are checked, in a fresh
    # process with JAX's defaults, as a reader has them.
    blocks = codeblocks.python_blocks(README)
    assert blocks and all(b.lstrip().startswith(">>>") for b in blocks)
    proc = codeblocks.run(ROOT / "README.md", ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert int(re.search(r"doctest examples: (\d+)", proc.stdout).group(1)) >= 8


def test_readme_fits_on_a_page():
    assert len(README) <= 12_000, len(README)


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
