"""Shared test setup.

- float64 on, so that references can be computed exactly; every test states its
  dtypes explicitly and relies on no default.
- 8 simulated CPU devices (unless the caller chose a count), so that the
  sharding tests really shard. Must be set before JAX initialises a backend.
- One compilation cache for the run, shared by every process (below).
- Python's garbage collector tuned for JAX's many short-lived objects (below).
"""

import atexit
import gc
import os
import shutil
import tempfile

_DEVICES = "--xla_force_host_platform_device_count"
if _DEVICES not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICES}=8".strip()

# One JAX compilation cache for the whole run: the pytest-xdist workers and
# the examples' processes (they inherit the environment) compile each program
# once between them instead of once each. Nothing is checked less: the first
# compilation of every program still happens in this run, and the cache is
# removed at the end (a caller's own JAX_COMPILATION_CACHE_DIR is kept).
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="jaxsurrogate-tests-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _cache
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)

# Tracing and compiling make millions of small objects: at Python's default
# thresholds the collector's full passes took about a tenth of the suite's
# time. Rarer passes, and the imported modules frozen out of them once
# collected (pytest_collection_finish); nothing a test checks depends on when
# garbage is collected.
gc.set_threshold(50_000, 20, 100)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import pytest  # noqa: E402

import jaxsurrogate as js  # noqa: E402


@pytest.fixture
def restore_registry():
    """Undoes whatever a test registers, replaces or unregisters (public API only)."""
    names = {n: js.get(n) for n in [*js.names(), *js.presets()]}
    aliases = js.aliases()
    yield
    for name in [*js.names(), *js.presets()]:
        if name not in names:
            js.unregister(name)
    for alias in js.aliases():
        if alias not in aliases:
            js.unregister(alias)
    for name, fn in names.items():
        own = [a for a, n in aliases.items() if n == name]
        js.register(name, fn, aliases=own, replace=True)
    assert js.aliases() == aliases


# What `-m "not slow"` leaves out: the files that start Python processes
# (examples, packaging, benchmarks, the docs build) or run torch (parity).
SLOW_FILES = {
    "test_benchmarks.py", "test_crosslib_parity.py", "test_docs.py", "test_examples.py",
    "test_fire_memory.py", "test_gallery.py", "test_neurons_parity.py", "test_nir_parity.py",
    "test_norse_parity.py",
    "test_packaging.py", "test_width_examples.py",
}


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
    # The long runs first: pytest-xdist hands the files out in this order
    # (pyproject's --dist loadfile: a file's tests stay on one worker, which
    # then compiles their shared work once), so a worker does not start a
    # minute of examples while the other has nothing left.
    items.sort(key=lambda item: item.path.name not in SLOW_FILES)
