"""The pytest plugin, loaded through its ``pytest11`` entry point: one evaluation per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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
