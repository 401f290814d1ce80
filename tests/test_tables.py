"""The catalogue tables are generated from the registry; a new shape needs one declaration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jaxsurrogate as js
from jaxsurrogate import __main__ as cli
from jaxsurrogate._src import tables

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_and_docs_tables_are_the_generated_ones():
    # The README keeps Norse's table; the shapes and presets are in the docs.
    pages = {README: ["norse"], ROOT / "docs" / "norse.md": ["norse"],
             ROOT / "docs" / "catalogue.md": ["shapes", "presets"]}
    for path, marked in pages.items():
        text = path.read_text()
        assert tables.marked(text) == marked, path
        assert tables.fill(text) == text, (
            f"{path.name}'s tables differ from the registry: run "
            f"python -m jaxsurrogate catalogue --write {path.relative_to(ROOT)}")


def test_every_name_and_preset_has_a_row():
    shapes, presets, norse = tables.shapes_table(), tables.presets_table(), tables.norse_table()
    for name in js.names():
        assert f"| `{name}` |" in shapes, name
    for name in js.presets():
        assert f"| `{name}` |" in presets, name
    for method in js.NORSE_METHODS:
        assert f'`"{method}"`' in norse, method
    # A table cell never holds a bare |: it would split the row.
    for table in (shapes, presets, norse):
        for row in table.splitlines()[2:]:
            assert row.count(" | ") == table.splitlines()[0].count(" | "), row


def test_catalogue_command_checks_and_writes(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- catalogue:shapes -->\nstale\n<!-- /catalogue:shapes -->\n")
    # As a user types it once; then through the same entry point in this process.
    stale = subprocess.run([sys.executable, "-m", "jaxsurrogate", "catalogue", "--check",
                            str(readme)], capture_output=True, text=True)
    assert stale.returncode == 1 and "differ from the registry" in stale.stderr
    assert cli.main(["catalogue", "--write", str(readme)]) == 0
    assert tables.shapes_table() in readme.read_text()
    assert cli.main(["catalogue", "--check", str(readme)]) == 0


NEW_SHAPE = '''


@surrogate(aliases=("hyperbolic_secant",))
def sech_bump(x: ArrayLike, alpha: ArrayLike = 2.0) -> Array:
    r"""Heaviside forward with a hyperbolic-secant derivative of unit area.

    .. math::
        g(x) = \\\\frac{\\\\alpha}{\\\\pi} \\\\operatorname{sech}(\\\\alpha x)

    Args:
        alpha: steepness.
    """
    return alpha / jnp.pi / jnp.cosh(alpha * x)
'''


def test_a_new_shape_is_one_declaration(tmp_path):
    # A copy of the package with one declaration appended to one file, and
    # nothing else touched: the registry, the namespace, the tables and the
    # AD-matrix tests pick it up.
    package = tmp_path / "jaxsurrogate"
    shutil.copytree(ROOT / "jaxsurrogate", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(package / "_src" / "catalogue" / "smooth.py", "a") as f:
        f.write(NEW_SHAPE)
    # The copy first on the path, the checkout's tests after it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    check = textwrap.dedent("""
        import jax, jax.numpy as jnp, jaxsurrogate as js
        from jaxsurrogate._src import tables
        assert js.__file__.startswith(%r), js.__file__
        assert "sech_bump" in js.names() and "sech_bump" in js.__all__
        assert js.get("hyperbolic_secant") is js.sech_bump
        assert "| `sech_bump` | `hyperbolic_secant` |" in tables.shapes_table()
        assert "\\\\operatorname{sech}" in tables.shapes_table()
        assert "Default 2.0" in " ".join(js.sech_bump.__doc__.split())
        g = jax.grad(lambda x: js.sech_bump(x).sum())(jnp.zeros(1))
        assert abs(float(g[0]) - 2 / 3.141592653589793) < 1e-6
        # The batched AD-matrix tests (one program for every name) take it too.
        from tests import test_transforms as t
        assert "sech_bump" in t.ALL and "sech_bump" in t.WITH_ALPHA
        # And pytest collects a test of it (in this process: one start-up).
        import pytest
        assert pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider",
                            %r]) == 0
        print("ok")
    """ % (str(tmp_path), str(ROOT / "tests" / "test_transforms.py")))
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), (
        out.stdout[-3000:] + out.stderr[-3000:])
    assert "test_dtype_contract[sech_bump]" in out.stdout
