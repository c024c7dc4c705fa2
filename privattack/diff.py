"""Comparing two reports: one line per metric both report, and whether it regressed (leakage up
or utility down beyond the intervals: the new interval entirely on the worse side of the old).
Each metric's direction comes from the metrics table."""

from __future__ import annotations

from privattack.metrics import UTILITY, Estimate, Metric, metric
from privattack.report import Report


def _line(label: str, old: Estimate, new: Estimate, rule: Metric) -> tuple[str, bool]:
    worse = new.ci[0] > old.ci[1] if rule.higher_is_worse else new.ci[1] < old.ci[0]
    flag = "  REGRESSION" if worse else ""
    text = (
        f"{label:<30} {old.mean:8.3f} -> {new.mean:8.3f}   [{new.ci[0]:.3f}, {new.ci[1]:.3f}]{flag}"
    )
    return text, worse


def diff(old: Report, new: Report) -> tuple[list[str], bool]:
    """(one line per shared metric, whether any regressed)."""
    lines, regressed = [], False
    text, worse = _line("utility accuracy", old.utility, new.utility, UTILITY)
    lines.append(text)
    regressed |= worse
    for attack in sorted(set(old.leakage) & set(new.leakage)):
        for name, estimate in old.leakage[attack].metrics.items():
            if name in new.leakage[attack].metrics:
                text, worse = _line(
                    f"{attack} {name}", estimate, new.leakage[attack].metrics[name], metric(name)
                )
                lines.append(text)
                regressed |= worse
    return lines, regressed
