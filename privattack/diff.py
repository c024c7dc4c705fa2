"""Comparing two reports of the same setup: one line per metric, and whether it regressed.

The rule: a metric regressed when its new interval lies entirely on the worse side of the old
one (leakage up, utility down; each metric's direction from the metrics table), when it turned
NaN, or when an attack the old report ran is missing from the new one (a white-box attack that
could no longer run is no proof of privacy). Reports of different suites, scales or data are
not comparable and are refused unless ``allow_different``.
"""

from __future__ import annotations

import math

from privattack.errors import DataError
from privattack.metrics import UTILITY, Estimate, Metric, metric
from privattack.report import Report

RULE = (
    "rule: REGRESSION when the new 95% interval lies wholly on the worse side of the old one "
    "(leakage up, utility down), when a number became NaN, or when an attack is missing"
)


def _setup(report: Report) -> dict[str, object]:
    return {
        "suite": (report.suite, report.suite_version),
        "scale": report.scale,
        "data": (report.data.get("dataset"), report.data.get("fingerprints")),
    }


def _line(label: str, old: Estimate, new: Estimate, rule: Metric) -> tuple[str, bool]:
    if math.isnan(new.mean) or any(math.isnan(v) for v in new.ci):
        worse = not math.isnan(old.mean)
    elif rule.higher_is_worse:
        worse = new.ci[0] > old.ci[1]
    else:
        worse = new.ci[1] < old.ci[0]
    flag = "  REGRESSION" if worse else ""
    text = (
        f"{label:<30} {old.mean:8.3f} -> {new.mean:8.3f}   [{new.ci[0]:.3f}, {new.ci[1]:.3f}]{flag}"
    )
    return text, worse


def diff(old: Report, new: Report, allow_different: bool = False) -> tuple[list[str], bool]:
    """(the rule, then one line per metric of the old report, whether any regressed).

    Raises:
        DataError: the reports are of different suites, scales or data (``allow_different``
            compares them anyway).
    """
    before, after = _setup(old), _setup(new)
    differ = [k for k in before if before[k] != after[k]]
    if differ and not allow_different:
        raise DataError(
            f"the reports differ in {', '.join(differ)} ({[before[k] for k in differ]} against "
            f"{[after[k] for k in differ]}), so their numbers are not comparable; pass "
            "--allow-different to compare them anyway."
        )
    lines, regressed = [RULE], False
    text, worse = _line("utility accuracy", old.utility, new.utility, UTILITY)
    lines.append(text)
    regressed |= worse
    for attack in sorted(old.leakage):
        if attack not in new.leakage:
            reason = new.skipped.get(attack, "not in the new report")
            lines.append(f"{attack:<30} missing: {reason}  REGRESSION")
            regressed = True
            continue
        for name, estimate in old.leakage[attack].metrics.items():
            now = new.leakage[attack].metrics.get(name)
            if now is None:
                lines.append(f"{attack + ' ' + name:<30} missing from the new report  REGRESSION")
                regressed = True
                continue
            text, worse = _line(f"{attack} {name}", estimate, now, metric(name))
            lines.append(text)
            regressed |= worse
    return lines, regressed
