"""Every registered defense, and each adapter, passes the shipped conformance checks."""

from __future__ import annotations

import pytest
import torch

import privattack
from privattack.testing import defense_checks


def _built(name: str) -> privattack.Defense:
    return privattack.defenses.get(name, image_size=32, num_classes=10)


def _cases() -> list[tuple[str, object]]:
    cases: list[tuple[str, object]] = []
    for name in privattack.defenses.names():
        defense = _built(name)
        cases += [(f"{name}-{check.__name__}", check) for check in defense_checks(defense)]
    return cases


@pytest.mark.parametrize(("case", "check"), _cases(), ids=[c for c, _ in _cases()])
def test_registered_defense_conforms(case: str, check) -> None:
    check(_built(case.split("-", 1)[0]))


def test_module_adapter_conforms() -> None:
    torch.manual_seed(0)
    defense = privattack.adapters.module(torch.nn.Conv2d(3, 8, 3, stride=2))
    names = []
    for check in defense_checks(defense):
        check(defense)
        names.append(check.__name__)
    assert "check_client_is_differentiable" in names


def test_blackbox_adapter_has_no_client() -> None:
    defense = privattack.adapters.blackbox(lambda x: x.mean(1))
    caps = privattack.capabilities(defense)
    assert not caps.client
    with pytest.raises(privattack.CapabilityError, match="black box"):
        _ = defense.client
