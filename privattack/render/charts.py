"""The report's interval chart, as inline SVG: utility and each attack's primary metrics (of
pixels and, where measured, of identity) as a point with its 95% interval drawn as an error
bar, the null baseline as a dashed mark, on a fixed 0-1 axis (a two-point difference is drawn
as the two points it is)."""

from __future__ import annotations

from html import escape

from privattack.metrics import METRICS, UTILITY, Estimate, identity_leads, primary
from privattack.report import Report

WIDTH, LABEL, ROW = 640, 190, 26
PLOT = WIDTH - LABEL - 20


def _x(value: float) -> float:
    return LABEL + PLOT * min(max(value, 0.0), 1.0)


def _row(y: float, label: str, estimate: Estimate, null: float | None, failed: bool) -> str:
    low, high = estimate.ci
    colour = "#999" if failed else "#1f4e9c"
    parts = [
        f'<text x="4" y="{y + 4}" font-size="12">{escape(label)}</text>',
        f'<line class="errorbar" x1="{_x(low):.1f}" x2="{_x(high):.1f}" y1="{y}" y2="{y}" '
        f'stroke="{colour}" stroke-width="2"/>',
        *(
            f'<line class="errorbar" x1="{_x(v):.1f}" x2="{_x(v):.1f}" y1="{y - 5}" y2="{y + 5}" '
            f'stroke="{colour}" stroke-width="2"/>'
            for v in (low, high)
        ),
        f'<circle class="estimate" cx="{_x(estimate.mean):.1f}" cy="{y}" r="4" fill="{colour}"/>',
        f'<text x="{_x(high) + 6:.1f}" y="{y + 4}" font-size="11">{estimate.mean:.3f}</text>',
    ]
    if null is not None:
        parts.append(
            f'<line class="null" x1="{_x(null):.1f}" x2="{_x(null):.1f}" y1="{y - 9}" '
            f'y2="{y + 9}" stroke="#b00020" stroke-dasharray="3,2"/>'
        )
    return "".join(parts)


def intervals_svg(report: Report) -> str:
    """The chart: one row for utility, one per attack and primary metric (its SSIM or
    attribute accuracy, and its re-identification or image identifiability)."""
    kind = (
        "input" if any("ssim" in leak.metrics for leak in report.leakage.values()) else "attribute"
    )
    by = primary(kind)
    reported = {name for leak in report.leakage.values() for name in leak.metrics}
    identity = identity_leads(tuple(m for m in METRICS if m.name in reported))
    shown = [by] if identity is None else [by, identity]
    rows = [("utility (accuracy)", report.utility, report.null.get("task_accuracy"), False)]
    for metric in shown:
        for attack, leak in report.leakage.items():
            if metric.name in leak.metrics:
                label = f"{attack} {metric.name}" + (" (failed)" if leak.failed else "")
                null = report.null.get(metric.name)
                rows.append((label, leak.metrics[metric.name], null, bool(leak.failed)))
    height = ROW * (len(rows) + 1) + 10
    ticks = "".join(
        f'<line x1="{_x(t):.1f}" x2="{_x(t):.1f}" y1="8" y2="{height - 22}" stroke="#eee"/>'
        f'<text x="{_x(t) - 8:.1f}" y="{height - 8}" font-size="11">{t:.1f}</text>'
        for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    )
    body = "".join(_row(ROW * (k + 1), *row) for k, row in enumerate(rows))
    nulls = ", ".join(f"{m.null_name} for {m.name}" for m in shown)
    legend = (
        f"dot: mean; bar: 95% interval; dashed red: null baseline ({UTILITY.null_name} "
        f"for utility, {nulls})"
    )
    return (
        f'<svg class="intervals" width="{WIDTH}" '
        f'height="{height}" role="img"><title>{escape(legend)}</title>{ticks}{body}</svg>'
        f"<p class='legend'>{escape(legend)}</p>"
    )
