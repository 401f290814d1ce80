"""Runs the ```python blocks of a markdown file, in order, in one namespace.

A block whose first line starts with ``>>>`` is a doctest: its shown outputs
must match (NORMALIZE_WHITESPACE; ``...`` only where a line says
``# doctest: +ELLIPSIS``). Any other block runs as a script. Used for the
README (``tests/test_readme.py``) and the documentation pages
(``tests/test_docs.py``), each in a fresh process, with JAX's defaults as a
reader has them (the test session itself runs with float64 on, and compiles
without LLVM's optimisations: ``readers_environment``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

_RUNNER = r'''
import contextlib, doctest, io, json, re, sys, traceback
fence = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
parser = doctest.DocTestParser()


def run_page(path):
    text = open(path, encoding="utf-8").read()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs = {"__name__": "__main__"}
    failed = attempted = 0
    for match in fence.finditer(text):
        code = match.group(1)
        line = text.count("\n", 0, match.start()) + 2
        if code.lstrip().startswith(">>>"):
            test = parser.get_doctest(code, globs, f"{path}:{line}", path, line - 1)
            result = runner.run(test, clear_globs=False)
            failed += result.failed
            attempted += result.attempted
            globs = test.globs
        else:
            exec(compile("\n" * (line - 1) + code, path, "exec"), globs)
    print(f"doctest examples: {attempted}, failed: {failed}")
    return failed


# Each page in its own namespace, one interpreter for all of them (one JAX
# start-up, not one per page); a page's output and exit status are its own.
results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            status = 1 if run_page(path) else 0
        except BaseException:
            traceback.print_exc(file=out)
            status = 1
    results[path] = {"returncode": status, "stdout": out.getvalue()}
print(json.dumps(results))
sys.exit(max((r["returncode"] for r in results.values()), default=0))
'''


def readers_environment() -> dict[str, str]:
    """This process's environment with JAX's compiler as a reader has it: the
    unoptimised compilation that tests/conftest.py chose for the suite left out."""
    env = dict(os.environ)
    if env.pop("JAXSURROGATE_TESTS_CHOSE_COMPILER", None) == "1":
        env.pop("JAX_DISABLE_MOST_OPTIMIZATIONS", None)
    return env


def readers_compile_unoptimised() -> bool:
    """Whether a reader's JAX (``readers_environment``) compiles without LLVM's
    optimisations: JAX's own reading of JAX_DISABLE_MOST_OPTIMIZATIONS."""
    value = readers_environment().get("JAX_DISABLE_MOST_OPTIMIZATIONS", "0")
    return value.lower() in ("1", "true", "yes", "on", "t", "y")


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a markdown text."""
    return [m.group(1) for m in FENCE.finditer(text)]


def run_all(paths: list[Path], cwd: Path) -> dict[Path, subprocess.CompletedProcess]:
    """Runs each file's python blocks, each file in its own namespace, in one fresh
    interpreter; a result per file (its exit status and its own output)."""
    proc = subprocess.run([sys.executable, "-c", _RUNNER, *map(str, paths)], cwd=cwd,
                          env=readers_environment(), capture_output=True, text=True,
                          timeout=600, check=False)
    try:
        results = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise AssertionError(f"the runner itself failed:\n{proc.stdout[-3000:]}"
                             f"{proc.stderr[-3000:]}") from None
    return {path: subprocess.CompletedProcess(proc.args, results[str(path)]["returncode"],
                                              results[str(path)]["stdout"], proc.stderr)
            for path in paths}


def run(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Runs ``path``'s python blocks in a fresh interpreter."""
    return run_all([path], cwd)[path]
