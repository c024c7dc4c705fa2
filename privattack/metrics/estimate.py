"""Report numbers: a mean with a seeded bootstrap confidence interval."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

BOOTSTRAP_RESAMPLES = 1000


def _number(value: object) -> float:
    """A number, or an Estimate's mean, to compare an Estimate with."""
    if isinstance(value, Estimate):
        return value.mean
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"an Estimate compares with numbers or Estimates, not {type(value).__name__}.")


@dataclass(frozen=True)
class Estimate:
    """A statistic over the test samples and its 95% bootstrap interval.

    It behaves as its mean where a number is expected, and keeps its interval:

    >>> e = Estimate(0.42, (0.40, 0.45))
    >>> float(e), e > 0.4, f"{e:.2f}", e.ci
    (0.42, True, '0.42', (0.4, 0.45))
    """

    mean: float
    ci: tuple[float, float]

    def __float__(self) -> float:
        return float(self.mean)

    def __format__(self, spec: str) -> str:
        return format(self.mean, spec) if spec else repr(self)

    def __lt__(self, other: object) -> bool:
        return self.mean < _number(other)

    def __le__(self, other: object) -> bool:
        return self.mean <= _number(other)

    def __gt__(self, other: object) -> bool:
        return self.mean > _number(other)

    def __ge__(self, other: object) -> bool:
        return self.mean >= _number(other)

    def to_dict(self) -> dict[str, object]:
        """``{"mean": ..., "ci": [low, high]}``, as in report.json."""
        return {"mean": self.mean, "ci": list(self.ci)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        """The estimate written by ``to_dict``."""
        low, high = data["ci"]
        return cls(float(data["mean"]), (float(low), float(high)))

    def shifted(self, offset: float) -> Estimate:
        """The same estimate minus ``offset`` (e.g. accuracy over chance)."""
        return Estimate(self.mean - offset, (self.ci[0] - offset, self.ci[1] - offset))


Values = Tensor | np.ndarray


def _array(values: Values) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def point(values: Values, statistic: Callable[[np.ndarray], float] | None = None) -> float:
    """``statistic`` (default: the mean) of per-sample ``values``, without an interval."""
    array = _array(values)
    return float(array.mean()) if statistic is None else float(statistic(array))


def bootstrap(
    values: Values | Sequence[Values],
    seed: int,
    statistic: Callable[[np.ndarray], float] | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> Estimate:
    """Estimate ``statistic`` (default: the mean) of per-sample ``values`` with a percentile CI.

    Args:
        values: (N,) per-sample numbers, or (N, k) rows when ``statistic`` needs several columns;
            or a list of such arrays, one per repeat of an attack (each over the same N
            samples): the estimate is then their average statistic, and each draw resamples
            the repeats as well as the samples, so the interval covers the attack's own
            randomness (its seed) too.
        seed: fixes the resampling, so the same inputs give the same interval.
        statistic: maps an (n,)/(n, k) array to a number; resampled rows keep their columns.
    """
    runs = [_array(v) for v in values] if isinstance(values, list | tuple) else [_array(values)]
    n = len(runs[0])
    if n == 0:
        raise ValueError("cannot estimate a statistic of zero samples.")
    if any(len(run) != n for run in runs):
        raise ValueError(f"every repeat must score the same samples, got {[len(r) for r in runs]}.")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, size=(resamples, n))
    if statistic is None:
        per_run = np.stack([run[rows].mean(axis=1) for run in runs])  # (repeats, resamples)
    else:
        per_run = np.array([[statistic(run[r]) for r in rows] for run in runs])
    if len(runs) > 1:  # each draw also picks its repeats, with replacement
        picks = rng.integers(0, len(runs), size=(resamples, len(runs)))
        draws = per_run[picks, np.arange(resamples)[:, None]].mean(axis=1)
    else:
        draws = per_run[0]
    alpha = (1 - level) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    mean = float(np.mean([point(run, statistic) for run in runs]))
    return Estimate(mean, (float(low), float(high)))
