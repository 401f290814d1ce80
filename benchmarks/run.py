#!/usr/bin/env python
"""Speed benchmark of jaxsurrogate's spike functions (issue #6).

The code is the package ``jsbench`` next to this file; its docstring says
what is measured and how. Usage::

    python benchmarks/run.py --quick --markdown - --json out.json
    python benchmarks/run.py --json r.json --markdown benchmarks/RESULTS.md
    python benchmarks/run.py --from-json r.json --png docs/benchmark.png

This file is also what the peers' subprocesses run (``--worker NAME``).
"""

import sys
from pathlib import Path

# ``python benchmarks/run.py`` puts benchmarks/ on sys.path, so that jsbench
# imports; other ways in (``python -m benchmarks.run``, importlib) may not.
# The checkout goes there too, to import jaxsurrogate uninstalled.
HERE = Path(__file__).resolve().parent
for folder in (HERE.parent, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from jsbench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
