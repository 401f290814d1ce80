"""The machine: CPU, versions, the process's allocator, minor page faults."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import resource
import subprocess
from pathlib import Path

import jax
import jaxlib

# Allocators a peer run can be repeated under (LD_PRELOAD), by library name.
# glibc's malloc hands every buffer above 32 MiB back to the kernel when it
# is freed, so a step with large temporaries pays fresh page faults on every
# call; tcmalloc keeps the memory. Both libraries feel it, differently.
ALLOCATOR_LIBS = {"tcmalloc": ("libtcmalloc_minimal.so.4", "libtcmalloc.so.4"),
                  "jemalloc": ("libjemalloc.so.2",)}

# Where an allocator's library is looked for when ldconfig does not list it.
LIBRARY_FOLDERS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                   "/usr/lib64", "/usr/lib", "/usr/local/lib")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    info = {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind,
    }
    try:  # the installed version, without importing torch (seconds)
        info["torch"] = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        info["torch"] = None
    info["allocator"] = current_allocator()
    return info


def current_allocator() -> str:
    preload = os.environ.get("LD_PRELOAD", "")
    for name in ALLOCATOR_LIBS:
        if name in preload:
            return name
    return "system"


def find_allocator(name: str) -> str | None:
    """The shared library to LD_PRELOAD for allocator ``name``, or None.

    ``$JAXSURROGATE_BENCH_<NAME>`` (a path) wins; then ``ldconfig -p``; then
    the usual library folders.
    """
    if name not in ALLOCATOR_LIBS:
        raise SystemExit(f"--allocators: unknown allocator {name!r}; expected "
                         f"system or one of {', '.join(ALLOCATOR_LIBS)}")
    given = os.environ.get(f"JAXSURROGATE_BENCH_{name.upper()}")
    if given:
        return given if Path(given).is_file() else None
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True,
                                 text=True, check=False).stdout
    except OSError:
        listing = ""
    for lib in ALLOCATOR_LIBS[name]:
        for line in listing.splitlines():
            if line.strip().startswith(lib + " ") and "=>" in line:
                return line.split("=>", 1)[1].strip()
        for folder in LIBRARY_FOLDERS:
            if (Path(folder) / lib).is_file():
                return str(Path(folder) / lib)
    return None


def faults_per_call(fns: dict, block, calls: int = 3) -> dict:
    """Minor page faults per call of each (already warm) fn, this process."""
    out = {}
    for name, fn in fns.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(calls):
            block(fn())
        out[name] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                     - before) / calls
    return out
