"""``python -m jaxsurrogate gallery OUT.png``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import jaxsurrogate as js
from jaxsurrogate import __main__ as cli
from jaxsurrogate._src import gallery
from tests.helpers import derivative_of, np_normal


def test_gallery_cli_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("matplotlib", reason="the gallery draws with "
                        "matplotlib: pip install -e '.[examples]'")
    out = tmp_path / "gallery.png"
    # The command's own entry point, in this process: its curves' programs
    # are the ones the tests below compile (`python -m jaxsurrogate` itself
    # starts in tests/test_tables.py).
    assert cli.main(["gallery", str(out), "--dpi", "60"]) == 0
    assert f"{len(js.names())} surrogates" in capsys.readouterr().out
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # A grid of a few dozen plotted panels, not an empty canvas.
    assert len(data) > 50_000, len(data)


def test_gallery_curves_are_the_public_derivative_and_primitive() -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np

    x = np.linspace(-3, 3, 7, dtype=np.float32)
    # The public derivatives, every name in one compiled program.
    public = dict(zip(js.names(), jax.jit(lambda x: [
        derivative_of(js.get(n), x) for n in js.names()])(jnp.asarray(x))))
    for name in js.names():
        g, s, alpha = gallery.curves(name, x)
        fn = js.get(name)
        assert g.dtype == np.float32 and g.shape == x.shape, name
        if "derivative" in fn.declaration.keyed:
            # A random g, drawn as the mean of its draws: near its expectation,
            # the Gaussian of std alpha (6 standard errors at x = 0).
            assert name == "local_zo"
            np.testing.assert_allclose(g, np_normal(x, 0.0, alpha), atol=0.1)
        else:
            np.testing.assert_array_equal(g, public[name])
        assert (s is None) == (js.primitive(fn) is None), name
        assert alpha == fn.declaration.alpha


def test_gallery_without_matplotlib_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(ImportError, match=r"pip install jaxsurrogate\[examples\]"):
        gallery.draw(tmp_path / "g.png")


def _half_width(name: str, alpha=None) -> tuple[float, float]:
    """The panel's half range R, and the farthest |x| of the bump around g's
    peak where g >= peak / 2, measured on the panel's own grid."""
    import numpy as np

    lo, hi = gallery.x_range(name, alpha)
    x = np.linspace(lo, hi, 4001, dtype=np.float32)
    g = gallery.curves(name, x, alpha)[0]
    peak = int(np.argmax(g))
    i = j = peak
    while i > 0 and g[i - 1] >= g[peak] / 2:
        i -= 1
    while j < len(g) - 1 and g[j + 1] >= g[peak] / 2:
        j += 1
    return hi, max(abs(float(x[i])), abs(float(x[j])))


@pytest.mark.parametrize("name", [*js.names(), *js.presets()])
def test_each_panel_s_range_follows_the_shape_s_width(name: str) -> None:
    lo, hi = gallery.x_range(name)
    assert lo == -hi and hi > 0
    if (lo, hi) == gallery.DEFAULT_X_RANGE:
        return
    # Four times the half width, rounded up by at most 1.5x: the bump fills
    # the middle quarter to sixth of the panel, never a needle or a speck.
    r, w = _half_width(name)
    assert r / 6.01 <= w <= r / 4 * 1.01, (name, r, w)


def test_superspike_is_a_bump_not_a_needle() -> None:
    assert gallery.x_range("superspike") == (-0.02, 0.02)  # alpha 100
    assert gallery.x_range("superspike", alpha=1.0) == (-2.0, 2.0)
    # Shapes without a peak keep the default range.
    for name in ("heaviside", "straight_through", "leaky_k_relu", "poisson_pass"):
        assert gallery.x_range(name) == gallery.DEFAULT_X_RANGE, name


def test_draw_chooses_names_alpha_and_range(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="pip install -e '.[examples]'")
    import matplotlib.figure

    saved = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: saved.append(fig))
    names = ["superspike", "snntorch.atan", "heaviside"]
    assert gallery.draw(tmp_path / "g.png", names=names, alpha=5.0) == names
    axes = saved[-1].axes[:3]
    assert [ax.get_title() for ax in axes] == [
        "superspike  (α=5)", "snntorch.atan  (α=5)", "heaviside"]
    assert axes[0].get_xlim() == gallery.x_range("superspike", 5.0)
    assert axes[2].get_xlim() == gallery.DEFAULT_X_RANGE
    gallery.draw(tmp_path / "g.png", names=names, x_range=(-1.0, 1.0))
    assert all(ax.get_xlim() == (-1.0, 1.0) for ax in saved[-1].axes[:3])
    with pytest.raises(js.UnknownSurrogateError, match="did you mean"):
        gallery.draw(tmp_path / "g.png", names=["superspik"])


def test_gallery_cli_options(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from jaxsurrogate import __main__ as cli

    calls = []
    monkeypatch.setattr(gallery, "draw", lambda out, **kw: calls.append(kw) or
                        list(kw["names"] or js.names()))
    assert cli.main(["gallery", "g.png", "--names", "super", "spyx.boxcar",
                     "--alpha", "5", "--x-range", "-2", "2"]) == 0
    assert calls[-1]["names"] == ["super", "spyx.boxcar"]
    assert calls[-1]["alpha"] == 5.0 and calls[-1]["x_range"] == [-2.0, 2.0]
    assert cli.main(["gallery", "g.png", "--presets"]) == 0
    assert calls[-1]["names"] == [*js.names(), *js.presets()]
    assert f"wrote g.png: {len(js.names()) + len(js.presets())} surrogates" in (
        capsys.readouterr().out)
    assert cli.main(["gallery", "g.png", "--x-range", "2", "-2"]) == 2
    assert "LOW must be below HIGH" in capsys.readouterr().err
