"""The one threshold language: ``max_ssim = 0.5``, ``min_utility = 0.8``, ...

A suite's ``[gates]`` (its default thresholds), the gates of ``privattack.toml``,
``Report.verdicts`` and ``privattack.testing.assert_leakage`` all speak it. Each name is the
``threshold`` of one metric in ``privattack.metrics.METRICS`` (or of utility), and each check
reads the pessimistic end of the interval of the attack that leaks most: the upper end for a
``max_`` bound, the lower end for a ``min_`` bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from privattack.config import Table
from privattack.errors import UnknownNameError
from privattack.metrics import METRICS, UTILITY, Estimate, Metric

BY_NAME: dict[str, Metric] = {m.threshold: m for m in (*METRICS, UTILITY)}
NAMES: tuple[str, ...] = tuple(BY_NAME)


@dataclass(frozen=True)
class Verdict:
    """A threshold checked against a report: the value compared, and whether it passed."""

    gate: str
    threshold: str
    limit: float
    value: float  # the pessimistic interval end; NaN when no attack reported the metric
    estimate: Estimate | None
    attack: str
    passed: bool
    error: str | None = None  # why it could not be judged: every attack reporting it failed

    def describe(self) -> str:
        """One line: threshold, the value compared (with its interval), and the verdict."""
        comparison = "<=" if Threshold(self.threshold, self.limit).upper else ">="
        interval = ""
        if self.estimate is not None:
            low, high = self.estimate.ci
            interval = f" (mean {self.estimate.mean:.3f}, 95% CI [{low:.3f}, {high:.3f}], "
            interval += f"{self.attack})"
        value = "not reported" if math.isnan(self.value) else f"{self.value:.3f}"
        verdict = "pass" if self.passed else "FAIL"
        if self.error is not None:
            return f"{self.threshold} {comparison} {self.limit:g}: ERROR: {self.error}"
        return f"{self.threshold} {comparison} {self.limit:g}: {value}{interval}: {verdict}"

    def to_dict(self) -> dict[str, Any]:
        """The verdict as report.json writes it."""
        return {
            "threshold": self.threshold,
            "limit": self.limit,
            "value": None if math.isnan(self.value) else self.value,
            "attack": self.attack,
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "passed": self.passed,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], gate: str) -> Verdict:
        """A verdict read back from report.json."""
        estimate = data.get("estimate")
        return cls(
            gate=gate,
            threshold=data["threshold"],
            limit=float(data["limit"]),
            value=float("nan") if data["value"] is None else float(data["value"]),
            estimate=None if estimate is None else Estimate.from_dict(estimate),
            attack=data["attack"],
            passed=bool(data["passed"]),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Threshold:
    """A bound on one metric: ``Threshold("max_ssim", 0.5)``."""

    name: str
    limit: float

    def __post_init__(self) -> None:
        if self.name not in BY_NAME:
            raise UnknownNameError("threshold", self.name, NAMES)
        if isinstance(self.limit, bool) or not isinstance(self.limit, int | float):
            raise TypeError(f"threshold {self.name}'s limit must be a number, got {self.limit!r}.")
        if not math.isfinite(self.limit):
            raise ValueError(f"threshold {self.name}'s limit must be finite, got {self.limit}.")

    @property
    def metric(self) -> Metric:
        """The metric this threshold bounds."""
        return BY_NAME[self.name]

    @property
    def upper(self) -> bool:
        """True for an upper bound (``max_``): the metric must stay at or below the limit."""
        return self.metric.higher_is_worse

    def judge(
        self,
        candidates: Sequence[tuple[str, Estimate, str | None]],
        gate: str,
        unmeasured: str | None = None,
    ) -> Verdict:
        """Check the worst of ``candidates`` ((attack, estimate, why it failed) of this metric)
        at the pessimistic end of its interval. No candidate at all fails; candidates that all
        failed are an error: an attack that did not learn is never counted as privacy, and
        neither is a metric the run could not measure (``unmeasured`` says why)."""
        if unmeasured is not None:
            return Verdict(
                gate, self.name, self.limit, float("nan"), None, "-", False,
                error=f"{self.metric.name} was not measured: {unmeasured}",
            )  # fmt: skip
        learned = [(a, e) for a, e, failed in candidates if failed is None]
        if candidates and not learned:
            why = "; ".join(f"{a}: {failed}" for a, _, failed in candidates)
            return Verdict(
                gate, self.name, self.limit, float("nan"), None, "-", False,
                error=f"every attack that reports {self.metric.name} failed ({why}), so nothing "
                "was measured; a failed attack is never counted as privacy",
            )  # fmt: skip
        if not learned:
            return Verdict(gate, self.name, self.limit, float("nan"), None, "-", False)
        candidates = learned
        end = 1 if self.upper else 0
        choose = max if self.upper else min
        attack, estimate = choose(candidates, key=lambda item: item[1].ci[end])
        value = estimate.ci[end]
        passed = value <= self.limit if self.upper else value >= self.limit
        return Verdict(gate, self.name, self.limit, value, estimate, attack, passed)


def thresholds_of(given: Mapping[str, float] | Iterable[Threshold]) -> tuple[Threshold, ...]:
    """Thresholds from ``{"max_ssim": 0.4}`` or from ``Threshold`` values."""
    if isinstance(given, Mapping):
        return tuple(Threshold(name, limit) for name, limit in given.items())
    return tuple(given)


def read_thresholds(table: Table, keys: Iterable[str]) -> tuple[Threshold, ...]:
    """The thresholds among ``keys`` of ``table`` (a suite's ``[gates]``, a ``[[gate]]``)."""
    return tuple(Threshold(name, table.number(name)) for name in keys if name in BY_NAME)
