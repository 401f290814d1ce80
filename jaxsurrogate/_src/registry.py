"""Names, aliases and presets of the spike functions.

The built-in entries are collected from the declarations themselves: every
spike function declared at module level in :mod:`jaxsurrogate._src.catalogue`
(under its name and aliases; a dotted name makes it a preset) and every row
of a module's ``PRESETS`` table. Adding a shape is one declaration.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Iterable

from jaxsurrogate._src import catalogue, validation
from jaxsurrogate._src.declaration import check_name
from jaxsurrogate._src.spike import SpikeFunction, declaration_of, preset


class UnknownSurrogateError(KeyError, ValueError):
    """An unknown surrogate name; both a ``KeyError`` and a ``ValueError``."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0])


# Guards every read and write below, so that the three views always agree.
_LOCK = threading.RLock()
_FUNCTIONS: dict[str, SpikeFunction] = {}  # canonical names and presets
_ALIASES: dict[str, str] = {}  # alias -> canonical name
_LISTING = "js.names(), js.aliases() and js.presets() list all {count} names"


def _is_preset(name: str) -> bool:
    return "." in name


def unknown(name: str, choices: Iterable[str], what: str) -> UnknownSurrogateError:
    """The error for an unknown name: the close matches, and how to list the rest."""
    choices = list(choices)
    listing = _LISTING.format(count=len(choices))
    return UnknownSurrogateError(validation.unknown_name_message(name, choices, what, listing))


def get(name: str) -> SpikeFunction:
    """The spike function for a canonical name, an alias, or a preset.

    Args:
        name: e.g. ``"superspike"``, Norse's ``"super"``, or
            ``"snntorch.atan"``.

    Returns:
        The spike function.

    Raises:
        UnknownSurrogateError: (a ``KeyError`` and a ``ValueError``) for an
            unknown name; the message suggests the closest valid names.

    Example:
        >>> import jaxsurrogate as js
        >>> js.get("super") is js.superspike
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"get: name must be a str, got {type(name).__name__}")
    with _LOCK:
        fn = _FUNCTIONS.get(_ALIASES.get(name, name))
        if fn is None:
            raise unknown(name, [*_FUNCTIONS, *_ALIASES], "surrogate")
        return fn


def names() -> tuple[str, ...]:
    """The canonical names, sorted (aliases and presets excluded).

    Example:
        >>> import jaxsurrogate as js
        >>> "superspike" in js.names() and "super" not in js.names()
        True
    """
    with _LOCK:
        return tuple(sorted(n for n in _FUNCTIONS if not _is_preset(n)))


def aliases() -> dict[str, str]:
    """Every alias and the canonical name it stands for.

    Example:
        >>> import jaxsurrogate as js
        >>> js.aliases()["super"]
        'superspike'
    """
    with _LOCK:
        return dict(sorted(_ALIASES.items()))


def presets() -> tuple[str, ...]:
    """The presets, named ``"<library>.<their name>"``, sorted.

    Example:
        >>> import jaxsurrogate as js
        >>> [p for p in js.presets() if p.startswith("norse.")][:3]
        ['norse.circ', 'norse.circ_dist', 'norse.heavi_erfc']
    """
    with _LOCK:
        return tuple(sorted(n for n in _FUNCTIONS if _is_preset(n)))


def _check_free(name: str, replace: bool, *, as_alias: bool) -> None:
    taken = name in _FUNCTIONS or name in _ALIASES
    if taken and not replace:
        raise ValueError(f"register: {name!r} is already registered; pass replace=True to "
                         f"replace it")
    if as_alias and name in _FUNCTIONS:
        raise ValueError(f"register: {name!r} is a registered name, not an alias; an alias "
                         f"can't replace it (unregister({name!r}) first)")


def register(name: str, fn: SpikeFunction, *, aliases: Iterable[str] = (),
             replace: bool = False) -> SpikeFunction:
    """Adds a spike function to the registry under ``name`` and ``aliases``.

    With ``replace=True`` a name can be given a new function (its aliases then
    resolve to the new one) and an alias can be pointed elsewhere; an alias
    can't take the place of a name. ``names()``, ``aliases()``, ``presets()``
    and ``get`` always agree, also when several threads register at once.

    Args:
        name: the canonical name (a dotted name such as ``"mylab.bump"`` makes
            it a preset, which takes no aliases).
        fn: the spike function, built with :func:`surrogate` or :func:`preset`.
        aliases: other names that resolve to it through :func:`get`.
        replace: allow replacing an existing name or alias.

    Returns:
        ``fn``, so that ``register`` can be used on a fresh function inline.

    Raises:
        ValueError: the name or an alias is taken and ``replace`` is false, an
            alias would replace a name, or a name is not an identifier.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> @js.surrogate
        ... def cauchy(x, alpha=1.0):
        ...     "Cauchy-shaped surrogate."
        ...     return 1 / (1 + (alpha * x) ** 2)
        >>> js.register("cauchy", cauchy, aliases=["lorentz"]) is js.get("lorentz")
        True
    """
    declaration_of(fn)
    check_name(name, "register")
    aliases = tuple(aliases)
    for alias in aliases:
        check_name(alias, "register", "alias")
        if _is_preset(alias) or _is_preset(name):
            raise ValueError(f"register: presets take no aliases and aliases are not dotted; "
                             f"got {name!r} with alias {alias!r}")
    if name in aliases or len(set(aliases)) != len(aliases):
        raise ValueError(f"register: repeated name among {name!r} and aliases {aliases}")
    with _LOCK:
        _check_free(name, replace, as_alias=False)
        for alias in aliases:
            _check_free(alias, replace, as_alias=True)
        _ALIASES.pop(name, None)
        _FUNCTIONS[name] = fn
        for alias in aliases:
            _ALIASES[alias] = name
    return fn


def unregister(name: str) -> SpikeFunction:
    """Removes a name with its aliases, or one alias; returns the function it named.

    Example:
        >>> import jaxsurrogate as js
        >>> fn = js.unregister("ste")   # an alias of straight_through
        >>> "ste" in js.aliases()
        False
        >>> _ = js.register("straight_through", fn, aliases=["ste"], replace=True)
    """
    with _LOCK:
        if name in _ALIASES:
            return _FUNCTIONS[_ALIASES.pop(name)]
        if name not in _FUNCTIONS:
            raise unknown(name, [*_FUNCTIONS, *_ALIASES], "surrogate")
        for alias in [a for a, n in _ALIASES.items() if n == name]:
            del _ALIASES[alias]
        return _FUNCTIONS.pop(name)


def _register_catalogue() -> None:
    for info in pkgutil.iter_modules(catalogue.__path__):
        module = importlib.import_module(f"{catalogue.__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, SpikeFunction) and obj.__module__ == module.__name__:
                register(obj.__name__, obj, aliases=obj.declaration.aliases)
        for name, base, at_zero, defaults, reproduces, note in getattr(module, "PRESETS", ()):
            register(name, preset(base, name, at_zero=at_zero, summary=reproduces + ".",
                                  note=note, **defaults))


_register_catalogue()
