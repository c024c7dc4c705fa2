"""The pytest plugin, loaded through its ``pytest11`` entry point: one evaluation per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import privattack
from privattack.testing import assert_leakage

SUITE = Path(__file__).parent / "suite_files" / "gate_smoke.toml"


@pytest.mark.slow
def test_fixture_evaluates_once_and_caches(privattack_evaluate: Callable) -> None:
    first = privattack_evaluate("split", SUITE, scale="smoke")
    again = privattack_evaluate("split", SUITE, scale="smoke")
    assert first is again
    assert isinstance(first, privattack.Report)
    assert_leakage(first, max_ssim=0.99)
    with pytest.raises(AssertionError, match="leaks more than allowed"):
        assert_leakage(first, max_ssim=0.01)


@pytest.mark.slow
def test_two_defense_objects_never_share_a_report(privattack_evaluate: Callable) -> None:
    """The session cache holds the objects it saw, so a new one can never take the id of a freed
    one and be handed its report."""
    reports = set()
    for width in (2, 3):
        defense = privattack.adapters.module(torch.nn.Conv2d(3, width, 4, stride=4))
        reports.add(id(privattack_evaluate(defense, SUITE, scale="smoke")))
        del defense
    assert len(reports) == 2
