"""Every public function documents itself in the jax.nn style, and its example runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import codeblocks
import jaxsurrogate as js

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = sorted(n for n in js.__all__ if callable(getattr(js, n)) and n[0].islower())


def test_spike_functions_have_formula_args_returns_example_reference():
    for name in [*js.names(), *js.presets()]:
        doc = js.get(name).__doc__ or ""
        for part in (".. math::", "Args:", "Returns:", "Example", ">>>"):
            assert part in doc, (name, part)
        summary = doc.strip().splitlines()[0]
        assert summary and len(summary) <= 100, name
    for name in js.names():
        assert "Reference" in (js.get(name).__doc__ or ""), name


def test_every_public_function_has_an_example():
    for name in PUBLIC:
        assert ">>>" in (getattr(js, name).__doc__ or ""), name


def test_docstring_examples_run():
    # A fresh process: the test session runs with float64 on, the examples
    # show JAX's defaults.
    script = textwrap.dedent("""
        import doctest, sys
        import jaxsurrogate as js
        seen, failed = set(), 0
        attempted = 0
        objs = [getattr(js, n) for n in js.__all__] + [js.get(n) for n in js.presets()]
        finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        for obj in objs:
            if id(obj) in seen or not callable(obj):
                continue
            seen.add(id(obj))
            for test in finder.find(obj, getattr(obj, "__name__", "obj"), globs={}):
                r = runner.run(test)
                failed += r.failed
                attempted += r.attempted
        print("attempted", attempted, "failed", failed)
        sys.exit(1 if failed or attempted < 50 else 0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          env=codeblocks.readers_environment(), text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
