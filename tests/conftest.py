"""Shared test setup.

- float64 on, so that references can be computed exactly; every test states its
  dtypes explicitly and relies on no default.
- 8 simulated CPU devices (unless the caller chose a count), so that the
  sharding tests really shard. Must be set before JAX initialises a backend.
- One compilation cache for the run, shared by every process (below).
- Python's garbage collector tuned for JAX's many short-lived objects (below).
- Machine code compiled without LLVM's optimisations, except where a test holds
  our bits to another library's or runs what a reader reads (below).
"""

import atexit
import gc
import os
import shutil
import tempfile

_DEVICES = "--xla_force_host_platform_device_count"
if _DEVICES not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICES}=8".strip()

# Compiling is most of this suite's time: thousands of small programs, each
# run once on a few numbers. JAX's "disable most optimizations" skips LLVM's
# optimisation of their machine code (XLA's own passes, and so every memory
# analysis, are unchanged): the suite took an eighth to a quarter less CPU
# time (docs/contributing.md). What it changes is rounding: unoptimised code
# does not fuse a * b + c into one FMA.
# So what holds our bits to another library's (USERS_COMPILER_FILES, below)
# and the code a reader runs and sees the output of (the docs' pages, the
# README, the docstrings: tests/codeblocks.py's readers_environment) compile
# as users' programs do. The processes the tests start inherit the setting.
# A caller's own JAX_DISABLE_MOST_OPTIMIZATIONS decides everything: 0 runs
# the whole suite at JAX's default.
if "JAX_DISABLE_MOST_OPTIMIZATIONS" not in os.environ:
    os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] = "1"
    os.environ["JAXSURROGATE_TESTS_CHOSE_COMPILER"] = "1"  # and its workers see that
SUITE_CHOSE_COMPILER = os.environ.get("JAXSURROGATE_TESTS_CHOSE_COMPILER") == "1"

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


# Files that hold our results bit for bit to another library's.
USERS_COMPILER_FILES = {
    "test_crosslib_parity.py", "test_neurons_parity.py", "test_nir_parity.py",
    "test_norse_parity.py",
}


@pytest.fixture(autouse=True, scope="module")
def users_compiler(request):
    """JAX's default compiler for the module's tests when it is in USERS_COMPILER_FILES."""
    if not SUITE_CHOSE_COMPILER or request.path.name not in USERS_COMPILER_FILES:
        yield
        return
    # Cached executables (of jitted functions and of eager operations) were
    # compiled under the suite's setting: compile again.
    jax.config.update("jax_disable_most_optimizations", False)
    jax.clear_caches()
    yield
    # What it compiled stays cached: optimised code, correct for the tests after.
    jax.config.update("jax_disable_most_optimizations", True)


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
