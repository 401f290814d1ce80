"""What a spike function computes: pure data read from the derivative's signature.

A shape is declared by its derivative ``g(x, alpha=DEFAULT, *, param=DEFAULT)``:
the defaults are those of ``g``'s signature and nowhere else, and a ``g``
without a second positional parameter declares a shape without one. That
parameter is the shape's "alpha" (its width, usually, and the one that
``learn_alpha`` learns); a shape may give it its own name (``max_spikes``).
A keyword parameter may default to None: the maths decides what it means.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from jaxsurrogate._src import docs, validation

Maths = Callable[..., Any]

AT_ZERO = (0.0, 0.5, 1.0)
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclasses.dataclass(frozen=True, eq=False)
class Declaration:
    """A surrogate: its derivative, defaults, H(0) and optional maths; no JAX plumbing."""

    name: str
    derivative: Maths
    alpha: float | None
    params: Mapping[str, float]
    at_zero: float = 0.0
    primitive: Maths | None = None
    forward: Maths | None = None
    probability: Maths | None = None
    domains: Mapping[str, str] = dataclasses.field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    alpha_name: str = "alpha"
    check: Maths | None = None
    keyed: frozenset[str] = frozenset()  # the maths that draw: "forward", "derivative"
    doc: docs.Doc = dataclasses.field(default_factory=docs.Doc)
    preset_of: Declaration | None = None

    @property
    def stochastic(self) -> bool:
        """Whether a call needs a key: random spikes, or a random backward."""
        return self.probability is not None or bool(self.keyed)

    @property
    def learnable(self) -> bool:
        """Whether ``learn_alpha=True`` is possible: an alpha and a primitive S."""
        return self.alpha is not None and self.primitive is not None

    @property
    def counts_spikes(self) -> bool:
        """Whether a spike can be a count above 1 (its alpha is the most spikes, D)."""
        return self.alpha is not None and self.domain("alpha") == "count"

    @property
    def base(self) -> Declaration:
        """The declaration whose maths this is (itself, unless a preset of another)."""
        return self if self.preset_of is None else self.preset_of.base

    @property
    def formula(self) -> str:
        """g(x) in LaTeX, on one line (the base's for a preset)."""
        return docs.formula(self.doc.math or self.base.doc.math)

    def domain(self, param: str) -> str:
        """The domain of ``"alpha"`` (or its own name) or of an extra parameter."""
        return self.domains.get(self.alpha_name if param == "alpha" else param, "positive")

    def defaults(self) -> dict[str, float | None]:
        """Every parameter's default, alpha (by its name) first."""
        head = {} if self.alpha is None else {self.alpha_name: self.alpha}
        return {**head, **self.params}

    def call(self, fn: Maths, x: Any, alpha: Any, params: Mapping[str, Any]) -> Any:
        """Calls one of the declared maths, with or without alpha."""
        if self.alpha is None:
            return fn(x, **params)
        return fn(x, alpha, **params)


def check_name(name: Any, who: str, arg: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"{who}: {arg} must be an identifier (dots allowed between parts), "
                         f"got {name!r}")
    return name


def check_at_zero(at_zero: Any, who: str) -> float:
    if isinstance(at_zero, bool) or at_zero not in AT_ZERO:
        raise ValueError(f"{who}: at_zero must be 0, 0.5 or 1, got {at_zero!r}")
    return float(at_zero)


def check_default(value: Any, arg: str, domain: str, who: str) -> float | None:
    """A default must be None or a number inside its domain (checked in float32)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{who}: the default of {arg} must be a number, got {value!r}")
    like = np.zeros((), np.float32)
    validation.parameter(value, arg, like, who, domain)
    return float(value)


def _read_signature(g: Maths, who: str) -> tuple[str, Any, dict[str, Any]]:
    """(alpha's name, its default or None, extra parameters' defaults) from g's signature."""
    try:
        parameters = list(inspect.signature(g).parameters.values())
    except (TypeError, ValueError) as err:
        raise TypeError(f"{who}: can't read the signature of {g!r}") from err
    usage = f"{who}: the derivative must be g(x[, alpha=DEFAULT][, *, param=DEFAULT, ...])"
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keyword = [p for p in parameters if p.kind is p.KEYWORD_ONLY and not _is_key(p)]
    keys = [p for p in parameters if _is_key(p)]
    if len(positional) + len(keyword) + len(keys) != len(parameters) \
            or not 1 <= len(positional) <= 2:
        raise TypeError(f"{usage}; got {inspect.signature(g)}")
    alpha, name = None, "alpha"
    if len(positional) == 2:
        a = positional[1]
        if a.default is a.empty or a.default is None:
            raise TypeError(f"{usage}: its second parameter must be alpha with a default, got "
                            f"{inspect.signature(g)}")
        alpha, name = a.default, a.name
    missing = [p.name for p in keyword if p.default is p.empty]
    if missing:
        raise TypeError(f"{usage}: keyword parameter(s) {missing} need a default")
    return name, alpha, {p.name: p.default for p in keyword}


def _is_key(p: inspect.Parameter) -> bool:
    """A keyword-only ``key`` without a default: the maths draws from the call's key."""
    return p.name == "key" and p.kind is p.KEYWORD_ONLY and p.default is p.empty


def _draws(fn: Maths | None) -> bool:
    return fn is not None and any(map(_is_key, inspect.signature(fn).parameters.values()))


def _check_same_call(fn: Maths | None, role: str, alpha: Any, params: Mapping[str, Any],
                     who: str) -> None:
    """The primitive, forward and probability are called exactly as g is; check without x."""
    if fn is None:
        return
    if not callable(fn):
        raise TypeError(f"{who}: {role} must be callable, got {type(fn).__name__}")
    with_x = role != "check"
    args = (0.0,) * with_x + (() if alpha is None else (1.0,))
    try:
        inspect.signature(fn).bind(*args, **dict.fromkeys(params, 1.0),
                                   **({"key": None} if _draws(fn) else {}))
    except TypeError as err:
        want = ", ".join(["x"] * with_x + ["alpha"] * (alpha is not None))
        want += ", *, " + ", ".join(params) if params else ""
        raise TypeError(f"{who}: {role} must take the arguments of the derivative ({want}); "
                        f"{fn.__name__}{inspect.signature(fn)} does not ({err})") from None


def declare(g: Maths, *, name: str | None = None, at_zero: float = 0.0,
            primitive: Maths | None = None, forward: Maths | None = None,
            probability: Maths | None = None, domains: Mapping[str, str] | None = None,
            aliases: tuple[str, ...] = (), check: Maths | None = None) -> Declaration:
    """The declaration of ``g``, with every check that can be made before a call."""
    if not callable(g):
        raise TypeError(f"surrogate: derivative must be callable, got {type(g).__name__}")
    name = check_name(name or g.__name__, "surrogate")
    who = f"surrogate {name}"
    alpha_name, alpha, params = _read_signature(g, who)
    domains = dict(domains or {})
    known = ({alpha_name} if alpha is not None else set()) | set(params)
    for param, domain in domains.items():
        if param not in known:
            raise ValueError(f"{who}: domains names {param!r}, which g does not take "
                             f"(it takes {sorted(known) or 'no parameters'})")
        if domain not in validation.DOMAINS:
            raise ValueError(f"{who}: the domain of {param} must be one of "
                             f"{sorted(validation.DOMAINS)}, got {domain!r}")
    if alpha is not None:
        alpha = check_default(alpha, alpha_name, domains.get(alpha_name, "positive"), who)
    params = {k: check_default(v, k, domains.get(k, "positive"), who) for k, v in params.items()}
    for role, fn in (("primitive", primitive), ("forward", forward), ("probability", probability),
                     ("check", check)):
        _check_same_call(fn, role, alpha, params, who)
    if forward is not None and probability is not None:
        raise ValueError(f"{who}: give forward or probability, not both")
    if _draws(primitive) or _draws(probability):
        raise TypeError(f"{who}: only the derivative and the forward may draw from a key")
    keyed = frozenset(role for role, fn in (("forward", forward), ("derivative", g))
                      if _draws(fn))
    for alias in aliases:
        check_name(alias, who, "alias")
    return Declaration(name=name, derivative=g, alpha=alpha, params=params,
                       at_zero=check_at_zero(at_zero, who), primitive=primitive,
                       forward=forward, probability=probability, domains=domains,
                       aliases=tuple(aliases), alpha_name=alpha_name, check=check,
                       keyed=keyed, doc=docs.parse(g.__doc__))


def derive(base: Declaration, name: str, *, alpha: Any, at_zero: Any, params: Mapping[str, Any],
           summary: str | None, note: str) -> Declaration:
    """A preset: the maths of ``base`` with other defaults and H(0)."""
    who = f"preset {check_name(name, 'preset')}"
    if base.alpha is None and alpha is not None:
        raise TypeError(f"{who}: {base.name} takes no alpha, got alpha={alpha!r}")
    if base.alpha_name in params:
        alpha = params.pop(base.alpha_name)
    unknown = sorted(set(params) - set(base.params))
    if unknown:
        raise TypeError(f"{who}: {base.name} has no parameter(s) {unknown}; its parameters "
                        f"are {sorted(base.defaults()) or 'none'}")
    new_alpha = base.alpha if alpha is None else check_default(alpha, base.alpha_name,
                                                               base.domain("alpha"), who)
    new_params = {**base.params,
                  **{k: check_default(v, k, base.domain(k), who) for k, v in params.items()}}
    new_at_zero = base.at_zero if at_zero is None else check_at_zero(at_zero, who)
    doc = docs.Doc(summary=summary or f"{base.name} as the preset {name}.", body=note)
    return dataclasses.replace(base, name=name, alpha=new_alpha, params=new_params,
                               at_zero=new_at_zero, aliases=(), doc=doc, preset_of=base)
