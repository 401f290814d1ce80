"""Sphinx extension: pages generated from jaxsurrogate's registry.

At ``builder-inited`` it writes, into ``docs/_generated/`` (not committed):

- ``shapes/<name>.md``: one page per canonical shape, with its own plot of g
  and S (:func:`jaxsurrogate._src.gallery.panel`, over the shape's width), its
  aliases, its presets and its API entry (``autofunction``);
- ``presets/<library>.md``: every preset of a library with its docstring, as
  a ``py:function`` named like the preset (presets are reached with
  ``js.get(name)``, not as attributes, so autodoc can't import them).

At ``env-check-consistency`` it warns (an error under ``-W``) about every
public name that no page documents: ``jaxsurrogate.__all__``,
``jaxsurrogate.neurons.__all__`` and every preset.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sphinx.util import logging

import jaxsurrogate as js
from jaxsurrogate import neurons
from jaxsurrogate._src import gallery

LOG = logging.getLogger(__name__)
GENERATED = "_generated"


# Inline literals, roles (:math:`...`) and interpreted text: left as they are.
_INLINE = re.compile(r"(``.+?``|:[\w:]+:`[^`]*`|`[^`]*`)")


def escape_bars(lines: list[str]) -> list[str]:
    """``|x|`` in prose would be a reStructuredText substitution: escape the
    bars outside literals, roles and ``.. math::`` blocks, in place."""
    in_math, math_indent = False, 0
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if in_math:
            if line.strip() and indent <= math_indent:
                in_math = False
            else:
                continue
        if line.lstrip().startswith(".. math::"):
            in_math, math_indent = True, indent
            continue
        if line.lstrip().startswith((">>>", "...")) or "|" not in line:
            continue
        parts = _INLINE.split(line)
        lines[i] = "".join(p if k % 2 else p.replace("\\|", "|").replace("|", "\\|")
                           for k, p in enumerate(parts))
    return lines


def _process_docstring(app: Any, what: str, name: str, obj: Any, options: Any,
                       lines: list[str]) -> None:
    own = inspect.getdoc(type(obj)) or ""
    if what == "data" and lines and own and lines[0].strip() == own.splitlines()[0].strip():
        # A constant (a str, a tuple) without a ``#:`` comment: autodoc would
        # show its type's docstring ("Built-in immutable sequence..."). The
        # page says what it is.
        lines.clear()
    escape_bars(lines)


def write_if_changed(path: Path, data: str | bytes) -> None:
    """Writes ``data`` unless the file already holds it (keeps Sphinx's cache)."""
    raw = data.encode() if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == raw:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)


def signature(fn: Any) -> str:
    """``(x, alpha=2.0, *, learn_alpha=False)``: the call signature, no return type."""
    sig = inspect.signature(fn)
    return str(sig.replace(return_annotation=inspect.Signature.empty))


def presets_of(name: str) -> list[str]:
    return [p for p in js.presets()
            if (b := js.get(p).declaration.preset_of) is not None and b.name == name]


def plot(name: str, path: Path) -> tuple[float, float]:
    """g and S of one shape over its own width, as a small PNG; returns the range."""
    plt = gallery._pyplot()
    lo, hi = gallery.x_range(name)
    fig, ax = plt.subplots(figsize=(4.4, 2.6), layout="constrained")
    gallery.panel(ax, name, x_range=(lo, hi), title=False)
    ax.set_xlabel("x", fontsize=8)
    labels = ["g(x)"] + (["S(x)"] if js.primitive(js.get(name)) is not None else [])
    ax.legend(labels, fontsize=7, frameon=False, loc="upper left")
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    write_if_changed(path, buf.getvalue())
    return lo, hi


def shape_page(name: str, x_range: tuple[float, float]) -> str:
    fn = js.get(name)
    decl = fn.declaration
    aliases = [a for a, n in js.aliases().items() if n == name]
    at = "" if decl.alpha is None else f" at its default α = {decl.alpha:g}"
    has_s = js.primitive(fn) is not None
    caption = (f"g (solid){' and its primitive S (dashed)' if has_s else ''}{at}, "
               f"x in [{x_range[0]:g}, {x_range[1]:g}].")
    lines = [f"(shape-{name})=", f"# `{name}`", "",
             f"```{{figure}} plots/{name}.png", f":alt: g and S of {name}",
             ":width: 440px", "", caption, "```", ""]
    facts = [f"`js.{name}`, `js.get({name!r})`"]
    if aliases:
        facts.append("aliases " + ", ".join(f"`{a}`" for a in aliases))
    presets = presets_of(name)
    if presets:
        facts.append("presets " + ", ".join(f"{{py:func}}`{p}`" for p in presets))
    lines += ["; ".join(facts) + ".", "", "```{eval-rst}",
              f".. autofunction:: jaxsurrogate.{name}", "```", ""]
    return "\n".join(lines)


def shapes_index(names: Iterable[str]) -> str:
    names = list(names)
    lines = ["# Shapes", "",
             f"The {len(names)} canonical shapes, each with its plot and API entry. "
             "The table of all of them is on the [catalogue](../../catalogue.md) page.",
             "", "```{toctree}", ":maxdepth: 1", "", *names, "```", ""]
    return "\n".join(lines)


def _docstring_rst(fn: Any, app: Any) -> list[str]:
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    doc = inspect.cleandoc(fn.__doc__ or "")
    return escape_bars(GoogleDocstring(doc, app.config, app=app, what="function",
                                       name=fn.__name__).lines())


def library_page(library: str, presets: list[str], app: Any) -> str:
    lines = [f"# {library}", "",
             f"The `{library}.*` presets: each is reached with "
             f"`js.get(\"{library}.NAME\")` (or `fire(..., spike=\"{library}.NAME\")`, "
             "or `--surrogate` in the examples).", "", "```{eval-rst}"]
    for name in presets:
        fn = js.get(name)
        lines += [f".. py:function:: {name}{signature(fn)}", "   :module:", ""]
        lines += [f"   ``js.get(\"{name}\")``", ""]
        lines += [("   " + line) if line else "" for line in _docstring_rst(fn, app)]
        lines.append("")
    lines += ["```", ""]
    return "\n".join(lines)


def presets_index(libraries: list[str]) -> str:
    lines = ["# Presets", "",
             f"The {len(js.presets())} presets, by library: a library's "
             "parameterisation and H(0) of a shape, or a shape only that library "
             "has. The table of all of them is on the [catalogue](../../catalogue.md) "
             "page.", "", "```{toctree}", ":maxdepth: 1", "", *libraries, "```", ""]
    return "\n".join(lines)


def by_library() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in js.presets():
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return groups


def generate(app: Any) -> None:
    out = Path(app.srcdir) / GENERATED
    for name in js.names():
        x_range = plot(name, out / "shapes" / "plots" / f"{name}.png")
        write_if_changed(out / "shapes" / f"{name}.md", shape_page(name, x_range))
    write_if_changed(out / "shapes" / "index.md", shapes_index(js.names()))
    groups = by_library()
    for library, presets in groups.items():
        write_if_changed(out / "presets" / f"{library}.md",
                         library_page(library, presets, app))
    write_if_changed(out / "presets" / "index.md", presets_index(sorted(groups)))


def required() -> list[str]:
    """The full names every build must document."""
    names = [f"jaxsurrogate.{n}" for n in js.__all__]
    names += [f"jaxsurrogate.neurons.{n}" for n in neurons.__all__]
    names += [f"jaxsurrogate.init.{n}" for n in js.init.__all__]
    names += list(js.presets())
    return names


def missing(documented: Iterable[str]) -> list[str]:
    """The required names that ``documented`` lacks."""
    have = set(documented)
    return [n for n in required() if n not in have]


def check_coverage(app: Any, env: Any) -> None:
    domain = env.get_domain("py")
    documented = {*domain.objects, *domain.modules}
    for name in missing(documented):
        LOG.warning("jsdocs: %s is public but no page documents it", name)


# Re-exports documented by hand (a py:function in api/core.md): their source
# link is the original's. Left to viewcode, the source page's [docs] link
# would name this entry's module on the original's page: an anchor that
# does not exist.
RE_EXPORTS = {("jaxsurrogate", "fire")}


def _follow_imported(app: Any, modname: str, fullname: str) -> str | None:
    # The package's own module, which defines none of them: no source link.
    return modname if (modname, fullname) in RE_EXPORTS else None


_BACK_LINK = re.compile(r'<a class="viewcode-back" href="([^"#]+)#([^"]+)"')


def broken_back_links(outdir: Path) -> list[str]:
    """The source pages' [docs] links whose anchor is not on the page they name."""
    problems = []
    for page in sorted(Path(outdir, "_modules").rglob("*.html")):
        for href, anchor in _BACK_LINK.findall(page.read_text(encoding="utf-8")):
            target = (page.parent / href).resolve()
            text = target.read_text(encoding="utf-8") if target.is_file() else ""
            if f'id="{anchor}"' not in text:
                problems.append(f"{page.relative_to(outdir)}: [docs] links to {href}#{anchor}, "
                                f"which has no such anchor")
    return problems


_REMOTE_SCRIPT = re.compile(r'<script[^>]* src="((?:https?:)?//[^"]+)"')


def remote_scripts(outdir: Path) -> list[str]:
    """Scripts a built page loads from the web (the site must read offline)."""
    return [f"{page.relative_to(outdir)}: {src}"
            for page in sorted(Path(outdir).rglob("*.html"))
            for src in _REMOTE_SCRIPT.findall(page.read_text(encoding="utf-8"))]


def _check_site(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        outdir = Path(app.outdir)
        for problem in broken_back_links(outdir):
            LOG.warning(problem)
        for script in remote_scripts(outdir):
            LOG.warning(f"{script}: a script from the web; the site must read offline")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)
    app.connect("env-check-consistency", check_coverage)
    app.connect("viewcode-follow-imported", _follow_imported)
    app.connect("build-finished", _check_site)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
