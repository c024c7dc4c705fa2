"""Search spaces: one hyper-parameter's range, as an attack declares it and a suite narrows it.

Each ``SearchParam`` becomes one ``trial.suggest_*`` call when tuning, under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchParam:
    """One hyper-parameter's search range: ``low``/``high`` (``log``) or ``choices``."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in the range (or among the choices)."""
        if self.choices is not None:
            return value in self.choices
        assert self.low is not None and self.high is not None  # the suite parser ensures it
        return isinstance(value, int | float) and self.low <= value <= self.high
