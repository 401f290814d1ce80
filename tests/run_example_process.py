"""Runs example scripts one after another in one Python process, each run as
``python examples/<script> ARGS...`` would: ``sys.argv`` set, the script run as
``__main__`` with its folder first on ``sys.path``, its stdout and stderr
captured, its exit status the one Python would give (``sys.exit(str)`` prints
the string and gives 1; an uncaught exception prints its traceback and gives 1).

Used by tests/test_examples.ExampleRuns: one process for many runs of the
examples instead of one each, so the imports (JAX, Flax, Haiku, Equinox,
scikit-learn, matplotlib) happen once.

Usage: python run_example_process.py SPEC.json RESULT.json, where SPEC maps
run names to ``[script, *args]``; RESULT maps them to
{"returncode", "stdout", "stderr", "seconds"}.
"""

import contextlib
import gc
import io
import json
import runpy
import sys
import time
import traceback
import warnings
from pathlib import Path


def _run(script: Path, args: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    sys.argv = [str(script), *args]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("default")  # each run sees its own warnings
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except BaseException:  # noqa: BLE001 - reported as Python would
            traceback.print_exc()
            code = 1
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "seconds": time.perf_counter() - start}


def main() -> None:
    # As tests/conftest.py: rarer full collections (JAX makes many short-lived
    # objects); what a run prints or writes does not depend on them.
    gc.set_threshold(50_000, 20, 100)
    spec, result = Path(sys.argv[1]), Path(sys.argv[2])
    runs = json.loads(spec.read_text())
    folders = {str(Path(script).parent) for script, *_ in runs.values()}
    sys.path[:0] = sorted(folders)  # as `python script` puts its folder first
    result.write_text(json.dumps({name: _run(Path(script), args)
                                  for name, (script, *args) in runs.items()}))


if __name__ == "__main__":
    main()
