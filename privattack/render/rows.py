"""The summary table every renderer shows: one row for utility, one per attack and metric."""

from __future__ import annotations

from privattack.metrics import Estimate, metric
from privattack.report import Report

Row = tuple[str, str, str, str, str]  # attack, metric, estimate, defaults' estimate, null


def interval(estimate: Estimate) -> str:
    """``mean [low, high]`` with three decimals."""
    return f"{estimate.mean:.3f} [{estimate.ci[0]:.3f}, {estimate.ci[1]:.3f}]"


def worst_lines(report: Report, bold: bool = False) -> list[str]:
    """ "Worst case (pixels): decoder ssim = 0.810 (null 0.290)", and of identity when measured."""
    mark = "**" if bold else ""
    lines = []
    for worst in (report.worst_case, report.worst_identity):
        if worst is not None:
            aspect = metric(worst.metric).aspect
            null = report.null.get(worst.metric)
            against = "" if null is None else f" (null {null:.3f})"
            lines.append(
                f"Worst case ({aspect}): {mark}{worst.attack}{mark} {worst.metric} = "
                f"{worst.value:.3f}{against}"
            )
    return lines


def summary_rows(report: Report) -> list[Row]:
    """(attack, metric, estimate with interval, the defaults' estimate when the attack was
    tuned, null baseline) for the summary table."""
    rows: list[Row] = [
        (
            f"utility ({report.utility_source})",
            "accuracy",
            interval(report.utility),
            "-",
            f"{report.null['task_accuracy']:.3f}",
        )
    ]
    for attack, leakage in report.leakage.items():
        label = attack if leakage.failed is None else f"{attack} (FAILED: {leakage.failed})"
        for name, estimate in leakage.metrics.items():
            null = report.null.get(name)
            default = leakage.default.get(name)
            rows.append(
                (
                    label,
                    name,
                    interval(estimate),
                    "-" if default is None else interval(default),
                    "-" if null is None else f"{null:.3f}",
                )
            )
    return rows
