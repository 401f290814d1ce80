"""Runs the ```python blocks of a markdown file, in order, in one namespace.

A block whose first line starts with ``>>>`` is a doctest: its shown outputs
must match (NORMALIZE_WHITESPACE; ``...`` only where a line says
``# doctest: +ELLIPSIS``). Any other block runs as a script. Used for the
README (``tests/test_readme.py``) and the documentation pages
(``tests/test_docs.py``), each in a fresh process, with JAX's defaults as a
reader has them (the test session itself runs with float64 on).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

_RUNNER = r'''
import doctest, re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
fence = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
parser = doctest.DocTestParser()
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
sys.exit(1 if failed else 0)
'''


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a markdown text."""
    return [m.group(1) for m in FENCE.finditer(text)]


def run(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Runs ``path``'s python blocks in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", _RUNNER, str(path)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, check=False)
