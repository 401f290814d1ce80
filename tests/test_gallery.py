"""``python -m jaxsurrogate gallery OUT.png``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import jaxsurrogate as js
from jaxsurrogate._src import gallery
from tests.helpers import derivative_of

ROOT = Path(__file__).resolve().parents[1]


def test_gallery_cli_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the gallery draws with "
                        "matplotlib: pip install -e '.[examples]'")
    out = tmp_path / "gallery.png"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run(
        [sys.executable, "-m", "jaxsurrogate", "gallery", str(out),
         "--dpi", "60"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(js.names())} surrogates" in proc.stdout
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # A grid of a few dozen plotted panels, not an empty canvas.
    assert len(data) > 50_000, len(data)


def test_gallery_curves_are_the_public_derivative_and_primitive() -> None:
    import jax.numpy as jnp
    import numpy as np

    x = np.linspace(-3, 3, 7, dtype=np.float32)
    for name in js.names():
        g, s, alpha = gallery.curves(name, x)
        fn = js.get(name)
        assert g.dtype == np.float32 and g.shape == x.shape, name
        np.testing.assert_array_equal(g, derivative_of(fn, jnp.asarray(x)))
        assert (s is None) == (js.primitive(fn) is None), name
        assert alpha == fn.declaration.alpha


def test_gallery_without_matplotlib_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(ImportError, match=r"pip install jaxsurrogate\[examples\]"):
        gallery.draw(tmp_path / "g.png")
