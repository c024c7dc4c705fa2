"""The Report: what ``privattack.evaluate`` measured, as data.

Utility, leakage per attack, null baselines, the worst case (of pixels, and of identity), the
suite's default thresholds and their verdicts, what was skipped and a manifest. ``to_dict`` /
``from_dict`` / ``load`` follow report.json's schema (``SCHEMA_VERSION``, documented in
``docs/report.md``). Nothing here renders: HTML, Markdown and the PNG grid live in
``privattack.render`` and read a report.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from privattack.errors import DataError
from privattack.metrics import UTILITY, Estimate, Metric, metric
from privattack.thresholds import Threshold, Verdict, thresholds_of

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Tuning:
    """How one attack's study went (Optuna, on attack_train's inner validation split)."""

    best_params: dict[str, Any]
    metric: str  # "ssim" or "accuracy", measured on the inner validation split
    best_validation: float
    default_validation: float | None  # None when the defaults' trial was pruned or absent
    trials: int  # finished (complete or pruned) trials in the study
    pruned: int
    seconds: float  # spent by this process on the study
    seconds_to_best: float  # from the study's first trial start to the best trial's end
    study: str | None  # "name @ storage", passwords hidden; None in memory

    def to_dict(self) -> dict[str, Any]:
        """The tuning block of report.json (without the defaults' test scores)."""
        return asdict(self)


@dataclass(frozen=True)
class Leakage:
    """One attack's result: metric name -> Estimate (``leakage.ssim``), its parameters, extras.

    When the attack was tuned, ``metrics`` are the tuned parameters' scores, ``default`` the
    defaults' scores on the same attack_test, and ``tuning`` how the study went. ``failed``
    says why the attack did not learn (no better than its null baseline, or diverged): its
    numbers are then no measure of privacy, and no threshold passes on them.
    """

    metrics: dict[str, Estimate]
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the attribute chance level, n
    tuning: Tuning | None = None
    default: dict[str, Estimate] = field(default_factory=dict)
    failed: str | None = None

    def __getattr__(self, name: str) -> Estimate:
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"no metric {name!r}; this attack reports {', '.join(metrics)}.")

    def to_dict(self) -> dict[str, Any]:
        """The attack's entry in report.json."""
        data = {
            **{k: v.to_dict() for k, v in self.metrics.items()},
            **self.extra,
            "failed": self.failed,
            "params": self.params,
        }
        if self.tuning is not None:
            data["tuning"] = {
                **self.tuning.to_dict(),
                "default": {k: v.to_dict() for k, v in self.default.items()},
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Leakage:
        """The entry written by ``to_dict``."""
        metrics = {k: Estimate.from_dict(v) for k, v in data.items() if _is_estimate(v)}
        own = ("params", "tuning", "failed")
        extra = {k: v for k, v in data.items() if k not in metrics and k not in own}
        tuning, default = None, {}
        if "tuning" in data:
            block = dict(data["tuning"])
            default = {k: Estimate.from_dict(v) for k, v in block.pop("default", {}).items()}
            tuning = Tuning(**block)
        params = dict(data.get("params", {}))
        return cls(metrics, params, extra, tuning, default, data.get("failed"))


def _is_estimate(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"mean", "ci"}


@dataclass(frozen=True)
class WorstCase:
    """The attack and metric that leaked most."""

    attack: str
    metric: str
    value: float


def worst_case(leakage: Mapping[str, Leakage], by: Metric) -> WorstCase | None:
    """The attack whose ``by`` metric leaks most (its direction from the metrics table), among
    the attacks that did not fail (None when none learned)."""
    scored = [
        (name, r.metrics[by.name].mean)
        for name, r in leakage.items()
        if by.name in r.metrics and r.failed is None
    ]
    if not scored:
        return None
    sign = 1 if by.higher_is_worse else -1
    name, value = max(scored, key=lambda item: sign * item[1])
    return WorstCase(name, by.name, value)


@dataclass(frozen=True)
class Report:
    """What ``privattack.evaluate`` measured. ``to_dict()`` follows ``SCHEMA_VERSION``."""

    suite: str
    suite_version: int
    scale: str
    seed: int
    defense: dict[str, Any]
    data: dict[str, Any]
    utility: Estimate
    utility_source: str  # "server" (the defense's predict) or "probe" (trained on z)
    leakage: dict[str, Leakage]
    null: dict[str, float]
    worst_case: WorstCase | None
    skipped: dict[str, str]
    manifest: dict[str, Any]
    thresholds: tuple[Threshold, ...] = ()  # the suite's defaults (its [gates])
    utility_detail: str = ""  # how utility was measured, in words
    worst_identity: WorstCase | None = None  # the attack that identifies most sources
    skipped_metrics: dict[str, str] = field(default_factory=dict)  # metric -> why not measured
    samples: dict[str, Tensor] = field(default_factory=dict, repr=False, compare=False)
    sample_notes: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    repeats: int = 1  # the seeds each attack trained with: its intervals cover them
    defense_fits: int = 1  # fits of the defense (one per repeat, with refit): covered too

    @property
    def interval(self) -> str:
        """What the reported intervals cover, in words."""
        covers = "attack_test's images"
        if self.defense_fits > 1:
            covers += (
                f" and {self.defense_fits} fits of the defense, each attacked with its own "
                "training seed (utility: the images and the fits)"
            )
        elif self.repeats > 1:
            covers += f" and each attack's {self.repeats} training seeds (utility: the images)"
        return f"95% bootstrap intervals over {covers}"

    def candidates(self, of: Metric) -> list[tuple[str, Estimate, str | None]]:
        """(attack, estimate, why it failed or None) of every attack that reported metric
        ``of`` (utility: one)."""
        if of is UTILITY:
            return [("utility", self.utility, None)]
        return [
            (a, r.metrics[of.name], r.failed)
            for a, r in self.leakage.items()
            if of.name in r.metrics
        ]

    def verdicts(
        self,
        thresholds: Mapping[str, float] | Iterable[Threshold] | None = None,
        gate: str = "suite",
    ) -> list[Verdict]:
        """Check ``thresholds`` (default: the suite's own) against this report, each at the
        pessimistic end of the interval of the attack that leaks most."""
        chosen = self.thresholds if thresholds is None else thresholds_of(thresholds)
        return [
            t.judge(self.candidates(t.metric), gate, self.skipped_metrics.get(t.metric.name))
            for t in chosen
        ]

    def passes(self, thresholds: Mapping[str, float] | Iterable[Threshold] | None = None) -> bool:
        """Whether every threshold (default: the suite's own) holds."""
        return all(v.passed for v in self.verdicts(thresholds))

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (a copy: changing it leaves the report as it is)."""
        worst, identity = self.worst_case, self.worst_identity
        return copy.deepcopy(
            {
                "schema_version": SCHEMA_VERSION,
                "suite": self.suite,
                "suite_version": self.suite_version,
                "scale": self.scale,
                "seed": self.seed,
                "defense": self.defense,
                "data": self.data,
                "utility": {
                    "accuracy": self.utility.to_dict(),
                    "source": self.utility_source,
                    "detail": self.utility_detail,
                },
                "leakage": {name: result.to_dict() for name, result in self.leakage.items()},
                "null": self.null,
                "worst_case": None if worst is None else asdict(worst),
                "worst_identity": None if identity is None else asdict(identity),
                "thresholds": {t.name: t.limit for t in self.thresholds},
                "verdicts": [v.to_dict() for v in self.verdicts()],
                "skipped": self.skipped,
                "skipped_metrics": self.skipped_metrics,
                "repeats": self.repeats,
                "defense_fits": self.defense_fits,
                "interval": self.interval,
                "manifest": self.manifest,
            }
        )

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """The report ``to_dict`` wrote (without the reconstruction samples, which the JSON does
        not hold)."""
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DataError(
                f"report schema version {version!r}; this privattack reads version "
                f"{SCHEMA_VERSION}."
            )
        worst, identity = data.get("worst_case"), data.get("worst_identity")
        return cls(
            suite=data["suite"],
            suite_version=data["suite_version"],
            scale=data["scale"],
            seed=data["seed"],
            defense=dict(data["defense"]),
            data=dict(data["data"]),
            utility=Estimate.from_dict(data["utility"]["accuracy"]),
            utility_source=data["utility"]["source"],
            leakage={k: Leakage.from_dict(v) for k, v in data["leakage"].items()},
            null=dict(data["null"]),
            worst_case=None if worst is None else WorstCase(**worst),
            skipped=dict(data.get("skipped", {})),
            manifest=dict(data.get("manifest", {})),
            thresholds=thresholds_of(data.get("thresholds", {})),
            utility_detail=data["utility"].get("detail", ""),
            worst_identity=None if identity is None else WorstCase(**identity),
            skipped_metrics=dict(data.get("skipped_metrics", {})),
            repeats=int(data.get("repeats", 1)),
            defense_fits=int(data.get("defense_fits", 1)),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Report:
        """Read a ``report.json`` (or the folder holding one)."""
        path = Path(path)
        if path.is_dir():
            path = path / "report.json"
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise DataError(f"{path}: not a readable report.json ({error}).") from error

    def summary(self) -> str:
        """A few lines for a terminal: utility, each attack's leakage, null, worst case,
        verdicts."""

        def fmt(estimate: Estimate) -> str:
            return f"{estimate.mean:.3f} [{estimate.ci[0]:.3f}, {estimate.ci[1]:.3f}]"

        lines = [
            f"suite {self.suite} (v{self.suite_version}), scale {self.scale}, seed {self.seed}, "
            f"defense {self.defense['name']} {self.defense['params']}",
            f"  utility ({self.utility_source}) accuracy  {fmt(self.utility)}"
            f"   (majority class {self.null['task_accuracy']:.3f})",
        ]
        for name, result in self.leakage.items():
            if result.failed:
                lines.append(f"  {name:<10} FAILED ({result.failed}): no measure of privacy")
            for key, estimate in result.metrics.items():
                notes = [f"null {self.null[key]:.3f}"] if key in self.null else []
                if key in result.default:
                    notes.append(f"default params {result.default[key].mean:.3f}")
                note = f"   ({', '.join(notes)})" if notes else ""
                lines.append(f"  {name:<10} {key:<18} {fmt(estimate)}{note}")
            if result.tuning is not None:
                t = result.tuning
                lines.append(
                    f"  {name:<10} tuned: {t.trials} trials ({t.pruned} pruned) in "
                    f"{t.seconds:.0f} s, best {t.best_params}"
                )
        for name, reason in {**self.skipped, **self.skipped_metrics}.items():
            lines.append(f"  {name:<10} skipped: {reason}")
        for label, w in (("worst case", self.worst_case), ("identity", self.worst_identity)):
            if w is None:
                continue
            built = self.leakage[w.attack].params.get("built")
            detail = f" (decoder family {built})" if built else ""
            lines.append(f"  {label}: {w.attack} {w.metric} = {w.value:.3f}{detail}")
        lines.append(f"  {self.interval}")
        lines += [f"  suite gate {v.describe()}" for v in self.verdicts()]
        return "\n".join(lines)


__all__ = ["SCHEMA_VERSION", "Leakage", "Report", "Tuning", "WorstCase", "metric", "worst_case"]
