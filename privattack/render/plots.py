"""Plots of reports (matplotlib's file backend, imported only when a plot is drawn)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from privattack.metrics import Estimate
from privattack.report import Report

Point = tuple[Any, ...]  # (leakage, utility[, label]): numbers or Estimates


def curves_of(reports: Sequence[Report]) -> dict[str, list[Point]]:
    """(worst-case leakage, utility, label) of several reports, grouped by defense name; the
    label names the defense's parameters, the numbers keep their intervals."""
    curves: dict[str, list[Point]] = {}
    for report in reports:
        worst = report.worst_case
        if worst is None:
            continue
        leakage = report.leakage[worst.attack].metrics[worst.metric]
        label = ", ".join(f"{k}={v}" for k, v in report.defense["params"].items() if k != "lr")
        curves.setdefault(report.defense["name"], []).append((leakage, report.utility, label))
    return curves


def plot_axes() -> tuple[Any, Any]:
    """A (figure, axis) pair of matplotlib's file backend, sized for the reports' plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, 4))


def figure_png(figure: Any) -> bytes:
    """``figure`` laid out and saved as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def _value(point: Any) -> float:
    return point.mean if isinstance(point, Estimate) else float(point)


def _errors(values: Sequence[Any]) -> Any:
    """Matplotlib's (below, above) error bars of Estimates; None for plain numbers."""
    if not all(isinstance(v, Estimate) for v in values):
        return None
    return [[v.mean - v.ci[0] for v in values], [v.ci[1] - v.mean for v in values]]


def privacy_utility_png(
    curves: Mapping[str, Sequence[Point]], metric: str = "ssim", null: float | None = None
) -> bytes:
    """A privacy-utility plot as PNG bytes: one line per label of (worst-case ``metric``,
    utility[, point label]) points, with their intervals as error bars when the points are
    Estimates, ``null`` (the metric's null baseline) dashed, both axes on the full 0-1 range."""
    figure, axis = plot_axes()
    for name, points in curves.items():
        ordered = sorted(points, key=lambda p: _value(p[0]))
        xs, ys = [p[0] for p in ordered], [p[1] for p in ordered]
        axis.errorbar(
            [_value(x) for x in xs],
            [_value(y) for y in ys],
            xerr=_errors(xs),
            yerr=_errors(ys),
            fmt="o-",
            capsize=3,
            label=name,
        )
        for point in ordered:
            if len(point) > 2 and point[2]:
                axis.annotate(
                    point[2], (_value(point[0]), _value(point[1])), fontsize=7,
                    xytext=(4, 4), textcoords="offset points",
                )  # fmt: skip
    if null is not None:
        axis.axvline(null, color="#b00020", linestyle="--", linewidth=1, label=f"null {metric}")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel(f"worst-case {metric} (lower is more private)")
    axis.set_ylabel("utility (task accuracy)")
    # Below the axes, so that it never hides a point.
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return figure_png(figure)
