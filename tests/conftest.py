"""Shared test setup.

- float64 on, so that references can be computed exactly; every test states its
  dtypes explicitly and relies on no default.
- 8 simulated CPU devices (unless the caller chose a count), so that the
  sharding tests really shard. Must be set before JAX initialises a backend.
"""

import os

_DEVICES = "--xla_force_host_platform_device_count"
if _DEVICES not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICES}=8".strip()

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
    "test_fire_memory.py", "test_gallery.py", "test_neurons_parity.py", "test_norse_parity.py",
    "test_packaging.py", "test_width_examples.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
