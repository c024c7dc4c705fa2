"""Reports people read: one self-contained HTML file (images inlined) and a Markdown summary."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privattack.gates import Verdict
    from privattack.report import Report

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.pass { color: #176117; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
img { image-rendering: pixelated; max-width: 100%; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
"""


def _interval(estimate: dict) -> str:
    return f"{estimate['mean']:.3f} [{estimate['ci'][0]:.3f}, {estimate['ci'][1]:.3f}]"


def _png(data: bytes) -> str:
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    """(attack, metric, estimate with interval, the defaults' estimate when the attack was
    tuned, null) for the summary table."""
    data = report.to_dict()
    rows = [
        (
            "utility (" + data["utility"]["source"] + ")",
            "accuracy",
            _interval(data["utility"]["accuracy"]),
            "-",
            f"{report.null['task_accuracy']:.3f}",
        )
    ]
    for attack, metrics in data["leakage"].items():
        defaults = metrics.get("tuning", {}).get("default", {})
        for metric, value in metrics.items():
            if isinstance(value, dict) and "ci" in value:
                null = report.null.get(metric)
                rows.append(
                    (
                        attack,
                        metric,
                        _interval(value),
                        _interval(defaults[metric]) if metric in defaults else "-",
                        "-" if null is None else f"{null:.3f}",
                    )
                )
    return rows


def _tuning_html(report: Report) -> str:
    """One line per tuned attack: trials, pruned, validation scores, best parameters."""
    items = []
    for name, leak in report.leakage.items():
        if leak.tuning is None:
            continue
        t = leak.tuning
        default = "-" if t.default_validation is None else f"{t.default_validation:.3f}"
        items.append(
            f"<li><b>{escape(name)}</b>: {t.trials} trials ({t.pruned} pruned), "
            f"{t.seconds:.0f} s; validation {escape(t.metric)} {t.best_validation:.3f} "
            f"(defaults {default}); best <code>{escape(json.dumps(t.best_params))}</code></li>"
        )
    if not items:
        return ""
    return (
        "<h2>Tuning</h2><p>Tuned on an inner split of attack_train; attack_test was never "
        f"seen.</p><ul>{''.join(items)}</ul>"
    )


def to_markdown(report: Report, verdicts: Sequence[Verdict] = ()) -> str:
    """A short Markdown summary, for pull-request comments."""
    from privattack.gates import describe

    lines = [
        f"**privattack**: `{report.defense['name']}` on `{report.suite}` "
        f"({report.scale}, seed {report.seed})",
        "",
        "| attack | metric | mean [95% CI] | default params | null |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {m} | {v} | {d} | {n} |" for a, m, v, d, n in _rows(report)]
    if report.worst_case:
        w = report.worst_case
        lines += ["", f"Worst case: **{w.attack}** {w.metric} = {w.value:.3f}"]
    lines += [f"- {'✅' if v.passed else '❌'} {describe(v)}" for v in verdicts]
    return "\n".join(lines) + "\n"


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


def to_html(
    report: Report,
    grid_png: bytes | None = None,
    verdicts: Sequence[Verdict] = (),
    curve: Sequence[Report] = (),
) -> str:
    """The report as one self-contained HTML page."""
    from privattack.gates import describe

    title = f"privattack: {report.defense['name']} on {report.suite}"
    table = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in _rows(report)
    )
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p>scale <b>{escape(report.scale)}</b>, seed {report.seed}, defense parameters "
        f"<code>{escape(json.dumps(report.defense['params']))}</code></p>",
        "<h2>Summary</h2><table><tr><th>attack</th><th>metric</th><th>mean [95% CI]</th>"
        f"<th>default params</th><th>null baseline</th></tr>{table}</table>",
        _tuning_html(report),
    ]
    if report.worst_case:
        w = report.worst_case
        parts.append(
            f"<p>Worst case: <b>{escape(w.attack)}</b> {escape(w.metric)} = {w.value:.3f}</p>"
        )
    if report.skipped:
        parts.append(
            "<p>Skipped: "
            + "; ".join(f"{escape(k)} ({escape(v)})" for k, v in report.skipped.items())
            + "</p>"
        )
    if verdicts:
        items = "".join(
            f"<li class='{'pass' if v.passed else 'fail'}'>{escape(describe(v))}</li>"
            for v in verdicts
        )
        parts.append(f"<h2>Verdicts</h2><ul>{items}</ul>")
    if grid_png:
        parts.append(
            "<h2>Reconstructions</h2><p>First row: the private test images, those the "
            "worst-case attack reconstructs best first; below, each attack.</p>" + _png(grid_png)
        )
    if len(curve) > 1:
        parts.append("<h2>Privacy-utility</h2>" + _png(privacy_utility_png(curves_of(curve))))
    parts.append(
        "<h2>Manifest</h2><pre>"
        + escape(json.dumps({"data": report.data, "manifest": report.manifest}, indent=2))
        + "</pre></body></html>"
    )
    return "\n".join(parts)
