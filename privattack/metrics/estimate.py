"""Report numbers: a mean with a seeded bootstrap confidence interval."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def bootstrap(
    values: Tensor | np.ndarray,
    seed: int,
    statistic: Callable[[np.ndarray], float] | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> Estimate:
    """Estimate ``statistic`` (default: the mean) of per-sample ``values`` with a percentile CI.

    Args:
        values: (N,) per-sample numbers, or (N, k) rows when ``statistic`` needs several columns.
        seed: fixes the resampling, so the same inputs give the same interval.
        statistic: maps an (n,)/(n, k) array to a number; resampled rows keep their columns.
    """
    array = values.detach().cpu().double().numpy() if isinstance(values, Tensor) else values
    array = np.asarray(array, dtype=np.float64)
    if len(array) == 0:
        raise ValueError("cannot estimate a statistic of zero samples.")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(array), size=(resamples, len(array)))
    if statistic is None:
        point = float(array.mean())
        draws = array[rows].mean(axis=1)
    else:
        point = float(statistic(array))
        draws = np.array([statistic(array[r]) for r in rows])
    alpha = (1 - level) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Estimate(point, (float(low), float(high)))
