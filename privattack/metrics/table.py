"""The one table of reported metrics: how each is estimated, which way means more leakage, what
an attacker who ignores ``z`` scores (the null baseline), and its name in the threshold
vocabulary. Scoring, thresholds, ``diff``, the renderers and the worst case all read it and never
branch on metric names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from privattack.errors import UnknownNameError
from privattack.metrics.estimate import Estimate, bootstrap
from privattack.metrics.functional import balanced_accuracy, chance, correct, l1, psnr, ssim

Kind = Literal["input", "attribute", "utility"]
# (the attack's outputs on attack_test, attack_test's secrets, attack_train's secrets, CI seed)
Estimator = Callable[[Tensor, Tensor, Tensor, int], Estimate]
# (attack_train's secrets, attack_test's secrets) -> the score of an attacker who ignores z
NullBaseline = Callable[[Tensor, Tensor], float]


@dataclass(frozen=True)
class Metric:
    """One reported metric.

    ``higher_is_worse``: a higher value means more leakage (for utility: never, higher is more
    useful). ``threshold``: the bound on it in ``privattack.toml`` and a suite's ``[gates]``,
    ``max_`` when higher is worse, else ``min_``.
    """

    name: str
    kind: Kind
    higher_is_worse: bool
    threshold: str
    description: str
    estimate: Estimator
    null: NullBaseline | None = None
    primary: bool = False  # the metric the worst case of its kind is chosen by
    null_name: str = ""  # what the null baseline is, in words
    constant: Callable[[Tensor], Tensor] | None = None  # outputs with z's influence removed

    def failure(self, estimate: Estimate, baselines: Mapping[str, float | None]) -> str | None:
        """Why an attack scoring ``estimate`` did not learn (None when it did): its score is
        NaN, or its interval reaches one of ``baselines`` (what scores an attacker who ignores
        z, by name), or lies on the private side of it."""
        low, high = estimate.ci
        if not all(math.isfinite(v) for v in (estimate.mean, low, high)):
            return f"diverged: its {self.name} is not a number"
        for name, null in baselines.items():
            if null is None:
                continue
            if low <= null if self.higher_is_worse else high >= null:
                return (
                    f"no better than {name}: {self.name} {estimate.mean:.3f} "
                    f"[{low:.3f}, {high:.3f}] against {null:.3f}"
                )
        return None

    def worse(self, a: float, b: float) -> bool:
        """Whether ``b`` is worse than ``a``: more leakage, or less utility."""
        return b > a if self.higher_is_worse else b < a


def _per_image(fn: Callable[[Tensor, Tensor], Tensor]) -> Estimator:
    def estimate(x_hat: Tensor, x: Tensor, _: Tensor, seed: int) -> Estimate:
        return bootstrap(fn(x_hat, x[: len(x_hat)]), seed)  # white-box attacks invert a prefix

    return estimate


def _mean_image(fn: Callable[[Tensor, Tensor], Tensor]) -> NullBaseline:
    def null(x_train: Tensor, x_test: Tensor) -> float:
        return fn(x_train.mean(0, keepdim=True).expand_as(x_test), x_test).mean().item()

    return null


def _average_output(images: Tensor) -> Tensor:
    """Every reconstruction replaced by their average: what the attack outputs whatever z is."""
    return images.mean(0, keepdim=True).expand_as(images)


def _modal_output(logits: Tensor) -> Tensor:
    """Every prediction replaced by the class the attack predicts most often."""
    modal = torch.bincount(logits.argmax(1), minlength=logits.shape[1]).argmax()
    return torch.nn.functional.one_hot(modal, logits.shape[1]).float().expand_as(logits)


def _accuracy(logits: Tensor, y: Tensor, _: Tensor, seed: int) -> Estimate:
    return bootstrap(correct(logits.argmax(1), y), seed)


def _balanced_accuracy(logits: Tensor, y: Tensor, _: Tensor, seed: int) -> Estimate:
    rows = torch.stack([logits.argmax(1), y], dim=1).numpy()
    return bootstrap(
        rows,
        seed,
        lambda r: balanced_accuracy(torch.from_numpy(r[:, 0]), torch.from_numpy(r[:, 1])),
    )


def _advantage(logits: Tensor, y: Tensor, y_train: Tensor, seed: int) -> Estimate:
    return _accuracy(logits, y, y_train, seed).shifted(chance(y_train, y))


def _image(
    name: str,
    fn: Callable[[Tensor, Tensor], Tensor],
    higher: bool,
    text: str,
    primary: bool = False,
) -> Metric:
    bound = "max" if higher else "min"
    return Metric(
        name,
        "input",
        higher,
        f"{bound}_{name}",
        text,
        _per_image(fn),
        _mean_image(fn),
        primary,
        "the mean training image",
        _average_output,
    )


METRICS: tuple[Metric, ...] = (
    _image("ssim", ssim, True, "structural similarity to the private image (piq, 11x11)", True),
    _image("psnr", psnr, True, "peak signal-to-noise ratio in dB (peak 1)"),
    _image("l1", l1, False, "mean absolute pixel error"),
    Metric(
        "accuracy",
        "attribute",
        True,
        "max_attribute_accuracy",
        "accuracy of the attacker's guess of the sensitive attribute",
        _accuracy,
        chance,
        primary=True,
        null_name="always guessing the majority class",
        constant=_modal_output,
    ),
    Metric(
        "balanced_accuracy",
        "attribute",
        True,
        "max_balanced_accuracy",
        "mean per-class recall of the attacker's guess",
        _balanced_accuracy,
    ),
    Metric(
        "advantage",
        "attribute",
        True,
        "max_advantage",
        "accuracy over always guessing the majority class",
        _advantage,
    ),
)
UTILITY = Metric(
    "utility",
    "utility",
    False,
    "min_utility",
    "task accuracy on attack_test",
    _accuracy,
    chance,
    null_name="always guessing the majority task class",
)


def metrics_of(kind: Kind) -> tuple[Metric, ...]:
    """The leakage metrics reported for a target of ``kind``, in report order."""
    return tuple(m for m in METRICS if m.kind == kind)


def metric(name: str) -> Metric:
    """The leakage metric called ``name`` (``UTILITY`` is named "utility")."""
    for known in (*METRICS, UTILITY):
        if known.name == name:
            return known
    raise UnknownNameError("metric", name, [m.name for m in (*METRICS, UTILITY)])


def primary(kind: Kind) -> Metric:
    """The metric the worst case of a ``kind`` target is chosen by (SSIM, attribute accuracy)."""
    return next(m for m in metrics_of(kind) if m.primary)
