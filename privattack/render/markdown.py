"""A short Markdown summary of a report, for pull-request comments."""

from __future__ import annotations

from collections.abc import Sequence

from privattack.render.rows import summary_rows, worst_lines
from privattack.report import Report
from privattack.thresholds import Verdict


def to_markdown(report: Report, verdicts: Sequence[Verdict] | None = None) -> str:
    """The summary table, the worst case and the verdicts (default: the suite's own)."""
    lines = [
        f"**privattack**: `{report.defense['name']}` on `{report.suite}` "
        f"({report.scale}, seed {report.seed})",
        "",
        "| attack | metric | mean [95% CI] | default params | null |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {m} | {v} | {d} | {n} |" for a, m, v, d, n in summary_rows(report)]
    lines += ["", f"{report.interval}.", "", *worst_lines(report, bold=True)]
    chosen = report.verdicts() if verdicts is None else verdicts
    lines += [f"- {'✅' if v.passed else '❌'} {v.gate}: {v.describe()}" for v in chosen]
    return "\n".join(lines) + "\n"
