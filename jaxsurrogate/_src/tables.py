"""The catalogue as markdown tables, generated from the registry.

``python -m jaxsurrogate catalogue`` prints them; ``--write FILE`` replaces
each table between its markers (``<!-- catalogue:shapes -->`` …
``<!-- /catalogue:shapes -->``): the Norse table in the README, the shape and
preset tables in ``docs/catalogue.md``. The tests compare both with this.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jaxsurrogate._src import registry
from jaxsurrogate._src.catalogue.norse import METHODS
from jaxsurrogate._src.declaration import Declaration

_ROLE = re.compile(r":(?:func|class|mod):`~?(?:jaxsurrogate\.)?([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_MARKERS = re.compile(r"(<!-- catalogue:(\w+) -->\n)(.*?)(<!-- /catalogue:\2 -->)", re.S)


def _math(latex: str) -> str:
    """Inline math for a table cell: a bare | would end the cell."""
    return "$" + re.sub(r"\\?\|", r"\\vert ", latex).replace("\\vert  ", "\\vert ") + "$"


def _text(rst: str) -> str:
    """reStructuredText prose as markdown on one line, safe in a table cell."""
    maths: list[str] = []

    def keep_math(m: re.Match) -> str:
        maths.append(_math(m.group(1)))
        return f"\0{len(maths) - 1}\0"

    text = _MATH_ROLE.sub(keep_math, " ".join(rst.split()))
    text = _ROLE.sub(r"`\1`", text).replace("``", "`").replace("|", "\\|")
    return re.sub(r"\0(\d+)\0", lambda m: maths[int(m.group(1))], text) or "–"


def _number(value: float | None) -> str:
    return "None" if value is None else f"{value:g}"


def _defaults(decl: Declaration) -> str:
    parts = [f"{'α' if k == 'alpha' else k}={_number(v)}" for k, v in decl.defaults().items()]
    return ", ".join(parts) or "–"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header)), *map(_row, rows)]
    return "\n".join(lines) + "\n"


def _presets_of(name: str) -> list[str]:
    found = []
    for preset in registry.presets():
        base = registry.get(preset).declaration.preset_of
        if base is not None and base.name == name:
            found.append(preset)
    return found


def _features(decl: Declaration) -> str:
    flags = (["stochastic: needs `key`"] * decl.stochastic
             + ["`learn_alpha`"] * decl.learnable)
    return ", ".join(flags) or "–"


def shapes_table() -> str:
    """One row per canonical shape: aliases, g, defaults, and the presets of it."""
    aliases = registry.aliases()
    rows = []
    for name in registry.names():
        decl = registry.get(name).declaration
        own_aliases = [f"`{a}`" for a, n in aliases.items() if n == name]
        presets = [f"`{p}`" for p in _presets_of(name)]
        rows.append([f"`{name}`", ", ".join(own_aliases) or "–", _math(decl.formula),
                     _defaults(decl), _features(decl), ", ".join(presets) or "–"])
    return _table(["name", "aliases", "g(x)", "defaults", "", "presets of it"], rows)


def presets_table() -> str:
    """One row per preset: what it reproduces, its maths, defaults, H(0) and note."""
    rows = []
    for name in registry.presets():
        decl = registry.get(name).declaration
        base = decl.preset_of
        rows.append([f"`{name}`", _text(decl.doc.summary.rstrip(".")),
                     "own" if base is None else f"`{base.name}`", _math(decl.formula),
                     _defaults(decl), "–" if decl.forward is not None else _number(decl.at_zero),
                     _text(decl.doc.body) if base is not None else "–"])
    return _table(["preset", "reproduces", "maths of", "g(x)", "defaults", "H(0)", "note"],
                  rows)


def _norse_order(preset: str, order: list[str]) -> tuple:
    """Norse's methods in ``threshold``'s order, then the rest by name."""
    base = registry.get(preset).declaration.preset_of
    name = base.name if base is not None else preset
    return (order.index(name) if name in order else len(order), name)


def norse_table() -> str:
    """Norse's functions: our name, Norse's, its ``threshold`` method, g, alpha."""
    method_of = {fn.declaration.name: method for method, fn in METHODS.items()}
    order = list(method_of)
    rows = []
    for name in sorted(registry.presets(), key=lambda n: _norse_order(n, order)):
        decl = registry.get(name).declaration
        if not name.startswith("norse.") or decl.preset_of is None:
            continue
        ours = decl.preset_of
        method = method_of.get(ours.name)
        rows.append([f"`{ours.name}`", _text(decl.doc.summary.rstrip(".")),
                     f'`"{method}"`' if method else "–", _math(decl.formula),
                     _number(ours.alpha) if ours.alpha is not None else "–"])
    return _table(["jaxsurrogate", "Norse", "`threshold` method", "g(x)", "default α"], rows)


TABLES: dict[str, Callable[[], str]] = {
    "norse": norse_table,
    "shapes": shapes_table,
    "presets": presets_table,
}


def markdown() -> str:
    """Every table, each between its markers."""
    return "\n".join(f"<!-- catalogue:{k} -->\n{f()}<!-- /catalogue:{k} -->\n"
                     for k, f in TABLES.items())


def fill(text: str) -> str:
    """``text`` with every marked table replaced by the generated one."""
    return _MARKERS.sub(lambda m: m.group(1) + TABLES[m.group(2)]() + m.group(4), text)


def marked(text: str) -> list[str]:
    """The names of the tables marked in ``text``."""
    return [m.group(2) for m in _MARKERS.finditer(text)]


_OPEN = re.compile(r"<!-- catalogue:(\w+) -->")


def marker_problem(text: str) -> str | None:
    """What is wrong with ``text``'s markers (a sentence), or None.

    Unknown table names and opening markers without their closing marker
    are named, so that neither is mistaken for a file without markers.
    """
    opened = _OPEN.findall(text)
    if not opened:
        return "has no <!-- catalogue:NAME --> markers"
    unknown = sorted(set(opened) - set(TABLES))
    if unknown:
        return (f"marks unknown table(s) {', '.join(unknown)}; the tables are "
                f"{', '.join(TABLES)}")
    unclosed = [name for name in opened if name not in marked(text)]
    if unclosed:
        return (f"opens <!-- catalogue:{unclosed[0]} --> without a closing "
                f"<!-- /catalogue:{unclosed[0]} --> on a later line")
    return None
