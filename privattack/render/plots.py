"""Plots of reports (matplotlib's file backend, imported only when a plot is drawn)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from privattack.report import Report


def curves_of(reports: Sequence[Report]) -> dict[str, list[tuple[float, float]]]:
    """(worst-case leakage, utility) points of several reports, grouped by defense name."""
    curves: dict[str, list[tuple[float, float]]] = {}
    for report in reports:
        if report.worst_case is not None:
            point = (report.worst_case.value, report.utility.mean)
            curves.setdefault(report.defense["name"], []).append(point)
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


def privacy_utility_png(
    curves: Mapping[str, Sequence[tuple[float, float]]], metric: str = "ssim"
) -> bytes:
    """A privacy-utility plot, one line per label of (worst-case ``metric``, utility) points,
    as PNG bytes."""
    figure, axis = plot_axes()
    for label, points in curves.items():
        ordered = sorted(points)
        axis.plot([p[0] for p in ordered], [p[1] for p in ordered], "o-", label=label)
    axis.set_xlabel(f"worst-case {metric} (lower is more private)")
    axis.set_ylabel("utility (task accuracy)")
    # Below the axes, so that it never hides a point.
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return figure_png(figure)
