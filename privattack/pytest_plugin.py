"""pytest plugin (entry point ``pytest11``): evaluate once per session, assert in many tests.

    def test_split_does_not_leak(privattack_evaluate):
        report = privattack_evaluate("disco", "fairface_input", scale="smoke")
        privattack.testing.assert_leakage(report, max_ssim=0.5)

Calls with the same defense (a name, or the same object), suite and arguments return the
report of the first call. Registering the fixture imports nothing of privattack's machinery:
it loads when a test first asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from privattack.report import Report


@pytest.fixture(scope="session")
def privattack_evaluate() -> Iterator[Callable[..., Report]]:
    """``privattack.evaluate`` with a per-session cache (progress bars off by default)."""
    from privattack.evaluation import evaluate

    # key -> (defense, report): holding the defense keeps its id from being reused by another
    cache: dict[tuple[Any, ...], tuple[Any, Report]] = {}

    def run(defense: Any, suite: Any, **kwargs: Any) -> Report:
        kwargs.setdefault("progress", False)
        key = (
            defense if isinstance(defense, str) else id(defense),
            str(suite),
            tuple(sorted((k, repr(v)) for k, v in kwargs.items())),
        )
        if key not in cache:
            cache[key] = (defense, evaluate(defense, suite, **kwargs))
        return cache[key][1]

    yield run
