r"""Docstrings and formulas generated from a declaration.

A shape's own docstring holds only what is specific to it: a summary line, its
formula in a ``.. math::`` block (``g(x) = ...``; ``f(x) = H(x)`` is added for
the step), the prose on its quirks, what each parameter means (``Args:``),
an example and its reference. Everything the declaration already knows (the
defaults, the parameters' domains, H(0), the key, ``learn_alpha``) is written
here, the same way for every shape and preset.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import textwrap
from collections.abc import Mapping
from typing import Any

_SECTIONS = {"Args": "args", "Returns": "returns", "Example": "example",
             "Examples": "example", "Reference": "reference", "References": "reference"}
_HEADER = re.compile(r"^(\w+):\s*$")
_ARG = re.compile(r"^(\w+):\s*(.*)$")
_STEP = r"f(x) = H(x), \qquad "
# Every example starts with these; a shape's own example need not repeat them.
_IMPORTS = ">>> import jax, jax.numpy as jnp, jaxsurrogate as js"
_DOMAIN_WORDS = {"positive": "> 0", "nonnegative": ">= 0", "above_one": "> 1",
                 "real": "finite", "bound": "not NaN", "count": "a whole number >= 1",
                 "unit": "in [0, 1]"}
_H0_WORDS = {0.0: "``x > 0``", 1.0: "``x >= 0``", 0.5: "``x > 0``, 1/2 at ``x = 0``"}


@dataclasses.dataclass(frozen=True)
class Doc:
    """The parts of a shape's own docstring."""

    summary: str = ""
    math: str = ""
    body: str = ""
    args: Mapping[str, str] = dataclasses.field(default_factory=dict)
    returns: str = ""
    example: str = ""
    reference: str = ""


def _dedent(lines: list[str]) -> str:
    return inspect.cleandoc("\n".join(lines)) if lines else ""


def _parse_args(lines: list[str]) -> dict[str, str]:
    args: dict[str, list[str]] = {}
    name = None
    for line in inspect.cleandoc("\n".join(lines)).splitlines():
        match = _ARG.match(line)
        if match:
            name = match.group(1)
            args[name] = [match.group(2)]
        elif name is not None and line.strip():
            args[name].append(line.strip())
    return {k: " ".join(v).strip() for k, v in args.items()}


def parse(text: str | None) -> Doc:
    """Splits a docstring into summary, math, prose and sections."""
    lines = inspect.cleandoc(text or "").splitlines()
    sections: dict[str, list[str]] = {"intro": []}
    current = "intro"
    for line in lines:
        header = _HEADER.match(line)
        if header and header.group(1) in _SECTIONS:
            current = _SECTIONS[header.group(1)]
            sections[current] = []
        else:
            sections[current].append(line)
    intro = "\n".join(sections["intro"]).strip().split("\n\n")
    summary = " ".join(intro[0].split()) if intro and intro[0] else ""
    math, prose = "", []
    for block in intro[1:]:
        if block.lstrip().startswith(".. math::") and not math:
            math = _dedent(block.splitlines()[1:])
        elif block.strip():
            prose.append(block.strip())
    return Doc(summary=summary, math=math, body="\n\n".join(prose),
               args=_parse_args(sections.get("args", [])),
               returns=" ".join(_dedent(sections.get("returns", [])).split()),
               example=_dedent(sections.get("example", [])),
               reference=_dedent(sections.get("reference", [])))


def formula(math: str) -> str:
    """The right-hand side of ``g(x) = ...`` in a math block, on one line."""
    one_line = " ".join(math.split())
    match = re.search(r"g\(x\)\s*=\s*(.*)$", one_line)
    return match.group(1) if match else one_line


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _number(value: float | None) -> str:
    return "None" if value is None else repr(float(value))


def _arg_line(name: str, meaning: str, domain: str, default: Any) -> str:
    meaning = meaning.rstrip(".") or "a shape parameter"
    shape = ", a scalar or an array broadcastable to ``x``"
    default = "None" if default is None else _number(default)
    return f"{name}: {meaning} ({_DOMAIN_WORDS[domain]}){shape}. Default {default}."


def args_section(decl: Any, meanings: Mapping[str, str]) -> str:
    """Args for x, alpha, every extra parameter, key and learn_alpha."""
    x_meaning = meanings.get("x", "membrane potential minus threshold").rstrip(".")
    lines = [f"x: {x_meaning}; float16, bfloat16, float32 or float64."]
    lines += [_arg_line(k, meanings.get(k, ""), decl.domain(k), v)
              for k, v in decl.defaults().items()]
    if decl.stochastic:
        drawn = "the backward draws from it" if decl.keyed == {"derivative"} else \
            "the spikes are drawn from it"
        lines.append(f"key: a PRNG key (``jax.random.key(seed)``); required, {drawn}.")
    if decl.learnable:
        lines.append("learn_alpha: if True, alpha's cotangent is ``ct * dS/dalpha`` of the "
                     "primitive S; if False (the default) it is zero, as in Norse.")
    return "\n".join(textwrap.fill(line, 88, subsequent_indent="    ") for line in lines)


def returns_section(decl: Any, own: str) -> str:
    if own:
        return own
    if decl.probability is not None:
        return "Random spikes, 0 or 1, in ``x``'s dtype."
    if decl.forward is not None:
        return "The declared forward, in ``x``'s dtype."
    return (f"Spikes: 1 where {_H0_WORDS[decl.at_zero]} (H(0) = {decl.at_zero:g}), else 0, "
            f"in ``x``'s dtype.")


def preset_example(decl: Any) -> str:
    """Far below and far above threshold: no spike, a spike (whatever H(0) is)."""
    base = decl.base
    if decl.forward is not None:
        # Its own forward: the base's example holds where the defaults agree.
        same = decl.defaults() == base.defaults() and decl.at_zero == base.at_zero
        return base.doc.example.replace(f"js.{base.name}(", f"js.get({decl.name!r})(") \
            if same else ""
    key = ", key=jax.random.key(0)" if decl.stochastic else ""
    return (f">>> js.get({decl.name!r})(jnp.array([-1e9, 1e9]){key})\n"
            "Array([0., 1.], dtype=float32)")


def render(decl: Any) -> str:
    """The full docstring of a declaration's spike function."""
    doc, base = decl.doc, decl.preset_of
    parts = [doc.summary]
    math = doc.math or (base.doc.math if base is not None else "")
    if math:
        if "f(x)" not in math and decl.probability is None and decl.forward is None:
            math = _STEP + math
        parts.append(".. math::\n" + _indent(math))
    if doc.body:
        parts.append(doc.body)
    if base is not None:
        defaults = ", ".join(f"{k}={_number(v)}" for k, v in decl.defaults().items())
        parts.append(f"The maths of :func:`~jaxsurrogate.{base.name}` with "
                     f"{defaults or 'no parameters'} and H(0) = {decl.at_zero:g}.")
    meanings = {**(base.doc.args if base is not None else {}), **doc.args}
    parts.append("Args:\n" + _indent(args_section(decl, meanings)))
    own_returns = doc.returns or (base.doc.returns if base is not None else "")
    parts.append("Returns:\n" + _indent(returns_section(decl, own_returns)))
    example = doc.example or (preset_example(decl) if "." in decl.name else "")
    if example and not example.startswith(_IMPORTS):
        example = f"{_IMPORTS}\n{example}"
    if example:
        parts.append("Example:\n" + _indent(example))
    if doc.reference:
        parts.append("Reference:\n" + _indent(doc.reference))
    return "\n\n".join(p for p in parts if p) + "\n"
