"""The sdist and the wheel build, pass ``twine check``, and the installed wheel
works on its own: imported from a fresh environment, not from the checkout."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import jaxsurrogate as js

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ["pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "CITATION.cff",
          "jaxsurrogate"]

SMOKE = textwrap.dedent("""
    import importlib.metadata as md, pathlib, subprocess, sys
    import jax, jax.numpy as jnp
    import jaxsurrogate as js
    from jaxsurrogate import neurons

    here = pathlib.Path(js.__file__).resolve().parent
    assert str(here).startswith(sys.prefix), (here, sys.prefix)
    assert (here / "py.typed").is_file()
    assert md.version("jaxsurrogate") == js.__version__
    assert len(js.names()) == %(names)d and len(js.presets()) == %(presets)d
    g = jax.grad(lambda x: js.superspike(x).sum())(jnp.array([0.0, 0.01]))
    assert g.tolist() == [1.0, 0.25], g
    z, v = neurons.fire(jnp.array([0.5, 1.5]), 1.0, spike="snntorch.atan")
    assert z.tolist() == [0.0, 1.0] and v.tolist() == [0.5, 0.0]
    out = subprocess.run([sys.executable, "-I", "-m", "jaxsurrogate", "catalogue"],
                         capture_output=True, text=True, check=True).stdout
    assert "<!-- catalogue:shapes -->" in out and "| `superspike` |" in out
    print("installed", js.__version__, "from", here)
""")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_sdist_and_wheel_build_check_install_and_run(tmp_path: Path) -> None:
    for module in ("build", "twine", "setuptools"):
        pytest.importorskip(module, reason=f"pip install -e '.[test]' (needs {module})")
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCE:  # a clean copy: no build/ or egg-info of the checkout
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path / "dist"
    # The sdist, then the wheel built from it; no network (the test extra
    # provides setuptools).
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist),
         str(src), cwd=tmp_path)
    (sdist,) = dist.glob("jaxsurrogate-*.tar.gz")
    (wheel,) = dist.glob("jaxsurrogate-*.whl")
    _run(sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel),
         cwd=tmp_path)

    with tarfile.open(sdist) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    assert {"LICENSE", "README.md", "pyproject.toml", "jaxsurrogate/py.typed"} <= members
    with zipfile.ZipFile(wheel) as whl:
        files = whl.namelist()
        meta = whl.read(next(f for f in files if f.endswith(".dist-info/METADATA"))).decode()
    assert "jaxsurrogate/py.typed" in files
    assert "jaxsurrogate/_src/catalogue/presets.py" in files
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files), files
    assert not [f for f in files if f.split("/")[0] in ("tests", "examples", "docs",
                                                        "benchmarks")]
    assert "License-Expression: Apache-2.0" in meta
    assert "Home-page" not in meta and "Project-URL" not in meta  # no made-up URLs
    assert f"Version: {js.__version__}" in meta

    # A fresh environment with the wheel alone; jax and numpy come from this
    # test's environment, appended to its path (their .pth files, such as the
    # checkout's editable install, are not processed).
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=tmp_path).stdout.strip()
    Path(purelib, "zz_test_environment.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel), cwd=tmp_path)
    smoke = SMOKE % {"names": len(js.names()), "presets": len(js.presets())}
    proc = _run(str(python), "-I", "-c", smoke, cwd=tmp_path)
    assert "installed" in proc.stdout and str(venv) in proc.stdout, proc.stdout
