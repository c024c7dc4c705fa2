"""The Report: utility, leakage per attack, null baselines and worst case; JSON and a PNG grid."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import Tensor

from privattack.metrics import HIGHER_IS_BETTER, Estimate

if TYPE_CHECKING:
    from privattack.gates import Verdict
    from privattack.tuning import Tuned

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Leakage:
    """One attack's result: metric name -> Estimate (``leakage.ssim``), its parameters, extras.

    When the attack was tuned, ``metrics`` are the tuned parameters' scores, ``default`` the
    defaults' scores on the same attack_test, and ``tuning`` how the study went.
    """

    metrics: dict[str, Estimate]
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the attribute chance level
    tuning: Tuned | None = None
    default: dict[str, Estimate] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Estimate:
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"no metric {name!r}; this attack reports {', '.join(metrics)}.")

    def to_dict(self) -> dict[str, Any]:
        data = {
            **{k: v.to_dict() for k, v in self.metrics.items()},
            **self.extra,
            "params": self.params,
        }
        if self.tuning is not None:
            data["tuning"] = {
                **self.tuning.to_dict(),
                "default": {k: v.to_dict() for k, v in self.default.items()},
            }
        return data


@dataclass(frozen=True)
class WorstCase:
    """The attack and metric that leaked most."""

    attack: str
    metric: str
    value: float


def worst_case(leakage: dict[str, Leakage], metric: str) -> WorstCase | None:
    """The attack whose ``metric`` leaks most (direction from ``HIGHER_IS_BETTER``)."""
    scored = [
        (name, result.metrics[metric].mean)
        for name, result in leakage.items()
        if metric in result.metrics
    ]
    if not scored:
        return None
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    name, value = max(scored, key=lambda item: sign * item[1])
    return WorstCase(name, metric, value)


@dataclass(frozen=True)
class Report:
    """What ``privattack.evaluate`` measured. ``to_json()`` follows schema_version 1."""

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
    samples: dict[str, Tensor] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        worst = self.worst_case
        return {
            "schema_version": SCHEMA_VERSION,
            "suite": self.suite,
            "suite_version": self.suite_version,
            "scale": self.scale,
            "seed": self.seed,
            "defense": self.defense,
            "data": self.data,
            "utility": {"accuracy": self.utility.to_dict(), "source": self.utility_source},
            "leakage": {name: result.to_dict() for name, result in self.leakage.items()},
            "null": self.null,
            "worst_case": None if worst is None else worst.__dict__,
            "skipped": self.skipped,
            "manifest": self.manifest,
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    def save(
        self,
        out: str | os.PathLike[str],
        verdicts: Sequence[Verdict] = (),
        curve: Sequence[Report] = (),
    ) -> Path:
        """Write into folder ``out``: ``report.json``, ``report.html`` (self-contained, with
        ``verdicts`` of gates and a privacy-utility plot of ``curve`` when given),
        ``summary.md`` and, for input suites, ``reconstructions.png``. Each file is written
        atomically."""
        from privattack.grid import grid_png
        from privattack.html import to_html, to_markdown

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "report.json", self.to_json().encode())
        grid = grid_png(self.samples) if "original" in self.samples else None
        if grid is not None:
            write_atomic(folder / "reconstructions.png", grid)
        write_atomic(folder / "report.html", to_html(self, grid, verdicts, curve).encode())
        write_atomic(folder / "summary.md", to_markdown(self, verdicts).encode())
        return folder / "report.json"

    def summary(self) -> str:
        """A few lines for a terminal: utility, each attack's leakage, null, worst case."""

        def fmt(estimate: Estimate) -> str:
            return f"{estimate.mean:.3f} [{estimate.ci[0]:.3f}, {estimate.ci[1]:.3f}]"

        lines = [
            f"suite {self.suite} (v{self.suite_version}), scale {self.scale}, seed {self.seed}, "
            f"defense {self.defense['name']} {self.defense['params']}",
            f"  utility ({self.utility_source}) accuracy  {fmt(self.utility)}"
            f"   (majority class {self.null['task_accuracy']:.3f})",
        ]
        for name, result in self.leakage.items():
            for metric, estimate in result.metrics.items():
                notes = [f"null {self.null[metric]:.3f}"] if metric in self.null else []
                if metric in result.default:
                    notes.append(f"default params {result.default[metric].mean:.3f}")
                note = f"   ({', '.join(notes)})" if notes else ""
                lines.append(f"  {name:<10} {metric:<18} {fmt(estimate)}{note}")
            if result.tuning is not None:
                t = result.tuning
                lines.append(
                    f"  {name:<10} tuned: {t.trials} trials ({t.pruned} pruned) in "
                    f"{t.seconds:.0f} s, best {t.best_params}"
                )
        for name, reason in self.skipped.items():
            lines.append(f"  {name:<10} skipped: {reason}")
        if self.worst_case:
            w = self.worst_case
            built = self.leakage[w.attack].params.get("built")
            detail = f" (decoder family {built})" if built else ""
            lines.append(f"  worst case: {w.attack} {w.metric} = {w.value:.3f}{detail}")
        return "\n".join(lines)


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename: never half-written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
