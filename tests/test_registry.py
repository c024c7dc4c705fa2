"""The defense and attack registries: lookups, aliases, clear errors."""

from __future__ import annotations

import pytest

import privattack
from privattack.registry import Registry, RegistryError


def test_builtins_are_registered() -> None:
    assert "split" in privattack.defenses.names()
    assert isinstance(
        privattack.defenses.get("traditional"), type(privattack.defenses.get("split"))
    )
    assert {"decoder", "attribute", "likelihood", "inversion"} <= set(privattack.attacks.names())
    assert type(privattack.attacks.get("decoder", lr=3e-3)).__name__ == "DecoderAttack"


def test_class_names_follow_the_registered_names() -> None:
    """``disco`` is DiscoDefense, ``likelihood`` LikelihoodAttack: one pattern for all."""
    from privattack.registry import attacks, defenses

    for registry, suffix in ((defenses, "Defense"), (attacks, "Attack")):
        for name in registry.names():
            stem = registry.factory(name).__name__.removesuffix(suffix).lower()
            assert registry.factory(name).__name__.endswith(suffix), name
            assert stem == name.replace("_", ""), (name, registry.factory(name).__name__)


def test_unknown_name_suggests_and_lists() -> None:
    with pytest.raises(
        privattack.UnknownNameError, match=r"Did you mean 'split'\? Known: .*disco.*split"
    ):
        privattack.defenses.get("splt")


def test_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(privattack.UnknownNameError, match=r"parameter of defense 'split'.*cut"):
        privattack.defenses.get("split", cutt="layer2")


def test_registering_twice_is_an_error() -> None:
    registry: Registry[object] = Registry("thing", "privattack.test")
    registry.register("a")(object)
    with pytest.raises(RegistryError, match="already registered"):
        registry.register("a")(dict)


def test_unknown_error_is_lookup_error_with_plain_message() -> None:
    error = privattack.UnknownNameError("suite", "x", ["a"])
    assert isinstance(error, LookupError)
    assert str(error) == "no suite named 'x'. Known: a."
