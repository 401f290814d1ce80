"""Names, aliases, presets and the public namespace."""

from __future__ import annotations

import re

import jaxsurrogate as js

NORSE_METHODS = {"heaviside": "heaviside", "super": "superspike", "triangle": "triangle",
                 "tanh": "heavi_tanh", "circ": "heavi_circ", "heavi_erfc": "heavi_erfc"}


def test_every_canonical_name_is_exported_and_snake_case():
    for name in js.names():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert getattr(js, name) is js.get(name), name
        assert name in js.__all__
        assert js.get(name).__name__ == name


def test_norse_method_strings_are_aliases():
    for method, name in NORSE_METHODS.items():
        assert js.get(method) is getattr(js, name)
    assert js.get("logistic") is js.logistic and js.get("circ_dist") is js.circ_dist


def test_aliases_resolve_to_canonical_names():
    for alias, name in js.aliases().items():
        assert name in js.names() and alias not in js.names()
        assert js.get(alias) is js.get(name)


def test_presets_are_library_dotted_names():
    for name in js.presets():
        library, _, their = name.partition(".")
        assert re.fullmatch(r"[a-z]+", library) and re.fullmatch(r"[a-z][a-z0-9_]*", their), name
        assert name not in js.names()
        assert js.get(name).__name__ == name


def test_names_are_sorted_tuples():
    assert js.names() == tuple(sorted(js.names())) and len(js.names()) >= 25
    assert js.presets() == tuple(sorted(js.presets()))
