"""Runs one example script several times in one Python process, each run as
``python examples/<script> ARGS...`` would: ``sys.argv`` set, the script run as
``__main__``, its stdout and stderr captured, its exit status the one Python
would give (``sys.exit(str)`` prints the string and gives 1; an uncaught
exception prints its traceback and gives 1).

Used by tests/helpers.run_example_runs: one process per example instead of
one per run, so the imports (JAX, Flax, scikit-learn, matplotlib) happen once.

Usage: python run_example_process.py SCRIPT SPEC.json RESULT.json, where SPEC
maps run names to argument lists; RESULT maps them to
{"returncode", "stdout", "stderr"}.
"""

import contextlib
import io
import json
import runpy
import sys
import traceback
import warnings
from pathlib import Path


def _run(script: Path, args: list[str]) -> dict:
    out, err = io.StringIO(), io.StringIO()
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
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> None:
    script, spec, result = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    sys.path.insert(0, str(script.parent))  # as `python script` puts it first
    runs = json.loads(spec.read_text())
    result.write_text(json.dumps({name: _run(script, args) for name, args in runs.items()}))


if __name__ == "__main__":
    main()
