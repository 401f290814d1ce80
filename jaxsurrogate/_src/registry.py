"""Names, aliases and presets of the spike functions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from jaxsurrogate._src import norse
from jaxsurrogate._src import presets as preset_table
from jaxsurrogate._src import shapes as shape_table
from jaxsurrogate._src.mechanism import SpikeFunction


class UnknownSurrogateError(KeyError, ValueError):
    """An unknown surrogate name; both a ``KeyError`` and a ``ValueError``."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0])


_CANONICAL: dict[str, SpikeFunction] = {}
_ALIASES: dict[str, str] = {}
_PRESETS: dict[str, SpikeFunction] = {}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def closest(name: str, choices: Iterable[str], what: str) -> UnknownSurrogateError:
    """The error for an unknown name, suggesting the closest valid ones."""
    choices = sorted(choices)
    near = difflib.get_close_matches(str(name), choices, n=5, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, near))}? " if near else ""
    return UnknownSurrogateError(f"unknown {what} {name!r}; {hint}valid: {', '.join(choices)}")


def get(name: str) -> SpikeFunction:
    """The spike function for a canonical name, an alias, or a preset.

    Args:
        name: e.g. ``"superspike"``, Norse's ``"super"``, or
            ``"snntorch.atan"``.

    Returns:
        The spike function.

    Raises:
        UnknownSurrogateError: (a ``KeyError`` and a ``ValueError``) for an
            unknown name; the message lists the closest valid names.

    Example:
        >>> import jaxsurrogate as js
        >>> js.get("super") is js.superspike
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"get: name must be a str, got {type(name).__name__}")
    if name in _CANONICAL:
        return _CANONICAL[name]
    if name in _ALIASES:
        return _CANONICAL[_ALIASES[name]]
    if name in _PRESETS:
        return _PRESETS[name]
    raise closest(name, [*_CANONICAL, *_ALIASES, *_PRESETS], "surrogate")


def names() -> tuple[str, ...]:
    """The canonical names, sorted (aliases and presets excluded).

    Example:
        >>> import jaxsurrogate as js
        >>> "superspike" in js.names() and "super" not in js.names()
        True
    """
    return tuple(sorted(_CANONICAL))


def aliases() -> dict[str, str]:
    """Every alias and the canonical name it stands for.

    Example:
        >>> import jaxsurrogate as js
        >>> js.aliases()["super"]
        'superspike'
    """
    return dict(sorted(_ALIASES.items()))


def presets() -> tuple[str, ...]:
    """The presets, named ``"<library>.<their name>"``, sorted.

    Example:
        >>> import jaxsurrogate as js
        >>> [p for p in js.presets() if p.startswith("norse.")][:3]
        ['norse.circ', 'norse.circ_dist', 'norse.heavi_erfc']
    """
    return tuple(sorted(_PRESETS))


def _taken(name: str) -> bool:
    return name in _CANONICAL or name in _ALIASES or name in _PRESETS


def _check_name(name: str, arg: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"register: {arg} must be an identifier (dots allowed between parts), got {name!r}"
        )


def register(
    name: str, fn: SpikeFunction, *, aliases: Iterable[str] = (), replace: bool = False
) -> SpikeFunction:
    """Adds a spike function to the registry under ``name`` and ``aliases``.

    Args:
        name: the canonical name (a dotted name such as ``"mylab.bump"`` makes
            it a preset).
        fn: the spike function, usually built with :func:`surrogate`.
        aliases: other names that resolve to it through :func:`get`.
        replace: allow replacing an existing name or alias.

    Returns:
        ``fn``, so that ``register`` can be used on a fresh function inline.

    Raises:
        ValueError: the name or an alias is taken and ``replace`` is false, or
            a name is not an identifier.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> @js.surrogate(alpha=1.0)
        ... def cauchy(x, alpha):
        ...     "Cauchy-shaped surrogate."
        ...     return 1 / (1 + (alpha * x) ** 2)
        >>> js.register("cauchy", cauchy, aliases=["lorentz"]) is js.get("lorentz")
        True
    """
    if not callable(fn):
        raise TypeError(f"register: fn must be callable, got {type(fn).__name__}")
    aliases = tuple(aliases)
    for arg, n in [("name", name), *(("alias", a) for a in aliases)]:
        _check_name(n, arg)
        if _taken(n) and not replace:
            raise ValueError(
                f"register: {n!r} is already registered; pass replace=True to replace it"
            )
    for n in (name, *aliases):
        _CANONICAL.pop(n, None)
        _ALIASES.pop(n, None)
        _PRESETS.pop(n, None)
    if "." in name:
        _PRESETS[name] = fn
        for a in aliases:
            _PRESETS[a] = fn
    else:
        _CANONICAL[name] = fn
        for a in aliases:
            _ALIASES[a] = name
    return fn


for _fn, _aliases in [
    (norse.heaviside, ("step",)),
    (norse.superspike, ("super", "fast_sigmoid", "inverse_square")),
    (norse.triangle, ()),
    (norse.heavi_tanh, ("tanh", "sech2")),
    (norse.heavi_erfc, ()),
    (norse.heavi_circ, ("circ",)),
    (norse.logistic, ()),
    (norse.circ_dist, ()),
]:
    register(_fn.__name__, _fn, aliases=_aliases)

for _fn, _aliases in shape_table.CATALOGUE:
    register(_fn.__name__, _fn, aliases=_aliases)

for _name, _fn in preset_table.PRESETS.items():
    register(_name, _fn)
