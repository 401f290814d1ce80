"""Names, aliases, presets, registration and the public namespace."""

from __future__ import annotations

import re
import threading

import jax.numpy as jnp
import pytest

import jaxsurrogate as js


def _consistent():
    """names(), aliases(), presets() and get() describe one registry."""
    names, aliases, presets = js.names(), js.aliases(), js.presets()
    assert not set(names) & set(presets) and not set(aliases) & {*names, *presets}
    for alias, name in aliases.items():
        assert name in names and js.get(alias) is js.get(name), alias
    for name in (*names, *presets):
        assert js.get(name).declaration is not None, name


def test_every_canonical_name_is_exported_and_snake_case():
    for name in js.names():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert getattr(js, name) is js.get(name), name
        assert name in js.__all__
        assert js.get(name).__name__ == name


def test_norse_method_strings_are_aliases():
    assert list(js.NORSE_METHODS) == ["heaviside", "super", "triangle", "tanh", "circ",
                                      "heavi_erfc"]
    for method, fn in js.NORSE_METHODS.items():
        assert js.get(method) is fn
    assert js.get("logistic") is js.logistic and js.get("circ_dist") is js.circ_dist


def test_aliases_resolve_to_canonical_names():
    for alias, name in js.aliases().items():
        assert name in js.names() and alias not in js.names()
        assert js.get(alias) is js.get(name)
        assert alias in js.get(name).declaration.aliases


def test_presets_are_library_dotted_names():
    for name in js.presets():
        library, _, their = name.partition(".")
        assert re.fullmatch(r"[a-z]+", library) and re.fullmatch(r"[a-z][a-z0-9_]*", their), name
        assert name not in js.names()
        assert js.get(name).__name__ == name


def test_names_are_sorted_tuples():
    assert js.names() == tuple(sorted(js.names())) and len(js.names()) >= 25
    assert js.presets() == tuple(sorted(js.presets()))
    _consistent()


def test_unknown_names_suggest_close_matches_and_how_to_list_them():
    with pytest.raises(KeyError, match="did you mean 'superspike'"):
        js.get("superspik")
    with pytest.raises(js.UnknownSurrogateError) as info:
        js.get("SUPER")  # case-insensitive suggestions
    message = str(info.value)
    assert "'super'" in message and "js.names()" in message
    # Not every name on one line: the close ones, and how to list all.
    assert len(message) < 300 and "triangular" not in message
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(TypeError, match="name must be a str"):
        js.get(3)


def _bump():
    @js.surrogate
    def test_bump(x, alpha=1.0):
        return jnp.exp(-alpha * x * x)

    return test_bump


def test_register_refuses_to_replace_unless_asked(restore_registry):
    with pytest.raises(ValueError, match="'superspike' is already registered; pass replace=True"):
        js.register("superspike", js.triangle)
    with pytest.raises(ValueError, match="'super' is already registered"):
        js.register("my_new_bump", js.triangle, aliases=["super"])
    with pytest.raises(ValueError, match="must be an identifier"):
        js.register("two words", js.triangle)
    with pytest.raises(TypeError, match="not a jaxsurrogate spike function"):
        js.register("tanh_fn", jnp.tanh)
    bump = _bump()
    assert js.register("test_bump", bump, aliases=["test_bump_alias"]) is bump
    assert js.get("test_bump_alias") is bump and "test_bump" in js.names()
    js.register("test_bump", js.triangle, replace=True)
    assert js.get("test_bump") is js.triangle and js.get("test_bump_alias") is js.triangle
    _consistent()


def test_replacing_a_name_keeps_its_aliases_resolving(restore_registry):
    bump = _bump()
    js.register("superspike", bump, replace=True)
    for alias in ("super", "fast_sigmoid", "inverse_square"):
        assert js.get(alias) is bump
    # threshold keeps Norse's own function: a registry entry can't change it.
    assert js.NORSE_METHODS["super"] is js.superspike
    _consistent()


def test_an_alias_cannot_take_the_place_of_a_name(restore_registry):
    with pytest.raises(ValueError, match="'superspike' is a registered name, not an alias"):
        js.register("my_bump", _bump(), aliases=["superspike"], replace=True)
    assert "my_bump" not in js.names()  # refused as a whole
    _consistent()


def test_an_alias_can_be_repointed_or_become_a_name(restore_registry):
    bump = _bump()
    js.register("my_bump", bump, aliases=["tanh"], replace=True)
    assert js.get("tanh") is bump and js.aliases()["tanh"] == "my_bump"
    js.register("sech2", bump, replace=True)  # an alias of heavi_tanh becomes a name
    assert "sech2" in js.names() and "sech2" not in js.aliases()
    _consistent()


def test_unregister(restore_registry):
    assert js.unregister("ste") is js.straight_through
    assert "ste" not in js.aliases() and "straight_through" in js.names()
    assert js.unregister("straight_through") is js.straight_through
    assert "straight_through_estimator" not in js.aliases()
    with pytest.raises(js.UnknownSurrogateError, match="did you mean"):
        js.unregister("straight_throug")
    _consistent()


def test_presets_take_no_aliases(restore_registry):
    with pytest.raises(ValueError, match="presets take no aliases"):
        js.register("mylab.bump", _bump(), aliases=["mybump"])


def test_preset_registers_when_asked(restore_registry):
    quiet = js.preset(js.atan, "mylab.atan", alpha=3.0)
    assert "mylab.atan" not in js.presets()
    loud = js.preset(js.atan, "mylab.atan", alpha=3.0, register=True)
    assert loud is quiet and js.get("mylab.atan") is quiet
    _consistent()


def test_registration_from_many_threads_stays_consistent(restore_registry):
    bump = _bump()
    errors = []

    def churn(i):
        try:
            for j in range(20):
                name = f"thread_{i}_{j}"
                js.register(name, bump, aliases=[f"{name}_alias"])
                assert js.get(f"{name}_alias") is bump
                js.names(), js.aliases(), js.presets()
                js.unregister(name)
        except Exception as err:  # reported below, with the thread's failure
            errors.append(err)

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not [n for n in js.names() if n.startswith("thread_")]
    _consistent()
