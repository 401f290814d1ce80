"""The documentation site: its pages' code runs, its generated pages cover
every public name, and CI builds it with warnings as errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jaxsurrogate as js
from tests.helpers import import_from
from jaxsurrogate import neurons

import codeblocks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md")
               if "_build" not in p.parts and "_generated" not in p.parts)
WITH_CODE = [p for p in PAGES if codeblocks.python_blocks(p.read_text())]


def test_the_pages_with_code_are_found() -> None:
    names = {p.name for p in WITH_CODE}
    assert {"index.md", "getting-started.md", "norse.md", "neurons.md",
            "semantics.md", "contributing.md"} <= names, names


@pytest.fixture(scope="module")
def page_runs() -> dict:
    """Every page's blocks, each page in its own namespace, in one interpreter."""
    return codeblocks.run_all(WITH_CODE, ROOT)


@pytest.mark.parametrize("page", WITH_CODE, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_code_blocks_run(page: Path, page_runs: dict) -> None:
    proc = page_runs[page]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    has_doctests = any(b.lstrip().startswith(">>>")
                       for b in codeblocks.python_blocks(page.read_text()))
    examples = int(re.search(r"doctest examples: (\d+)", proc.stdout).group(1))
    assert (examples > 0) == has_doctests, proc.stdout


def test_a_drifted_output_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\n>>> import jax.numpy as jnp\n>>> jnp.array([1.0])\n"
                    "Array([2.], dtype=float32)\n```\n")
    proc = codeblocks.run(page, ROOT)
    assert proc.returncode == 1 and "failed: 1" in proc.stdout, proc.stdout
    page.write_text("```python\nraise RuntimeError('a script block that fails')\n```\n")
    assert codeblocks.run(page, ROOT).returncode == 1


def test_pages_compile_as_readers_do(tmp_path: Path) -> None:
    # The suite compiles without LLVM's optimisations (tests/conftest.py);
    # a page's shown outputs are what a reader's JAX gives.
    page = tmp_path / "page.md"
    page.write_text("```python\n>>> import jax\n"
                    ">>> jax.config.read('jax_disable_most_optimizations')\nFalse\n```\n")
    want = 1 if codeblocks.readers_compile_unoptimised() else 0
    assert codeblocks.run(page, ROOT).returncode == want


def test_catalogue_pages_hold_the_generated_tables() -> None:
    from jaxsurrogate._src import tables

    catalogue = (DOCS / "catalogue.md").read_text()
    assert tables.marked(catalogue) == ["shapes", "presets"]
    norse = (DOCS / "norse.md").read_text()
    assert tables.marked(norse) == ["norse"]
    for text in (catalogue, norse):
        assert tables.fill(text) == text, (
            "run python -m jaxsurrogate catalogue --write docs/catalogue.md "
            "(and docs/norse.md)")


@pytest.fixture(scope="module")
def jsdocs():
    pytest.importorskip("sphinx", reason="the docs need sphinx: pip install -e '.[docs]'")
    return import_from(DOCS / "_ext", "jsdocs")[0]


def test_coverage_check_names_every_public_object(jsdocs) -> None:
    required = jsdocs.required()
    for name in js.__all__:
        assert f"jaxsurrogate.{name}" in required
    for name in neurons.__all__:
        assert f"jaxsurrogate.neurons.{name}" in required
    for name in js.presets():
        assert name in required
    assert jsdocs.missing(required) == []
    # One undocumented name is caught (the build turns it into an error).
    assert jsdocs.missing(set(required) - {"snntorch.atan"}) == ["snntorch.atan"]
    assert "jaxsurrogate.superspike" in jsdocs.missing(set(required) - {
        "jaxsurrogate.superspike"})


def test_generated_pages_cover_every_shape_and_preset(jsdocs) -> None:
    for name in js.names():
        page = jsdocs.shape_page(name, (-1.0, 1.0))
        assert f".. autofunction:: jaxsurrogate.{name}" in page
        assert f"plots/{name}.png" in page
        for preset in jsdocs.presets_of(name):
            assert f"{{py:func}}`{preset}`" in page
    groups = jsdocs.by_library()
    assert sorted(p for ps in groups.values() for p in ps) == sorted(js.presets())


def test_bars_in_prose_are_escaped_not_in_maths_or_literals(jsdocs) -> None:
    lines = ["min(1/|x|, alpha), :math:`|x|`, ``a|b``", "", ".. math::", "",
             "    g = |x|", "", "after |x|", ">>> a | b"]
    assert jsdocs.escape_bars(lines) == [
        "min(1/\\|x\\|, alpha), :math:`|x|`, ``a|b``", "", ".. math::", "",
        "    g = |x|", "", "after \\|x\\|", ">>> a | b"]


def test_ci_builds_the_docs_with_the_readme_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```bash\n(pip install -e \"\.\[docs\]\" && (.*?))\n```",
                        readme, re.S)
    assert command, "the README shows how to build the docs"
    build = command.group(2)
    assert "-W" in build.split() and build.startswith("python -m sphinx")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert build in ci, build
    assert ci.index(build) < len(ci) - 1  # before the tests


def test_broken_source_back_links_are_found(jsdocs, tmp_path: Path) -> None:
    # The build fails (-W) on any: a source page's [docs] link must land on its anchor.
    (tmp_path / "_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "page.html").write_text('<dt id="pkg.good">')
    (tmp_path / "_modules" / "pkg" / "mod.html").write_text(
        '<a class="viewcode-back" href="../../api/page.html#pkg.good">'
        '<a class="viewcode-back" href="../../api/page.html#pkg.moved">')
    assert jsdocs.broken_back_links(tmp_path) == [
        "_modules/pkg/mod.html: [docs] links to ../../api/page.html#pkg.moved, which has no "
        "such anchor"]
    # The re-exported fire's source link is neurons.fire's alone.
    assert jsdocs._follow_imported(None, "jaxsurrogate", "fire") == "jaxsurrogate"
    assert jsdocs._follow_imported(None, "jaxsurrogate.neurons", "fire") is None


def test_the_site_needs_no_network_for_its_maths(jsdocs, tmp_path: Path) -> None:
    # The docs extra's bundled MathJax, with its fonts, is what conf.py loads.
    import importlib
    bundled = Path(importlib.import_module("sphinx-mathjax-offline").__file__).parent
    assert (bundled / "static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((bundled / "static" / "mathjax").rglob("MathJax_Main-Regular.woff"))
    conf = (DOCS / "conf.py").read_text()
    assert '"sphinx-mathjax-offline"' in conf and "mathjax_path" not in conf
    # And the build refuses (-W) a page that loads a script from the web.
    (tmp_path / "page.html").write_text('<script src="https://cdn.example/tex.js"></script>'
                                        '<script src="_static/mathjax/tex-chtml.js"></script>')
    assert jsdocs.remote_scripts(tmp_path) == ["page.html: https://cdn.example/tex.js"]
