"""The report as one self-contained HTML page (images inlined, nothing fetched)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from html import escape

from privattack.metrics import metric
from privattack.render.charts import intervals_svg
from privattack.render.plots import curves_of, privacy_utility_png
from privattack.render.rows import summary_rows, worst_lines
from privattack.report import Report
from privattack.thresholds import Verdict

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.pass { color: #176117; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
.banner { background: #fff3cd; border: 1px solid #e0b000; padding: 0.6em 1em; margin: 1em 0; }
img { image-rendering: pixelated; max-width: 100%; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
"""


def _png(data: bytes) -> str:
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _banner(report: Report) -> str:
    """A warning on reports whose numbers are not for decisions."""
    if report.scale != "smoke":
        return ""
    return (
        "<div class='banner'>Smoke scale: a few dozen images and epochs, for tests. These "
        "numbers are not for decisions; evaluate at quick or paper scale.</div>"
    )


def _rank_caption(report: Report) -> str:
    """What the tiles' ranks mean, when the grid shows them."""
    if not report.sample_notes or report.worst_identity is None:
        return ""
    gallery = next(iter(report.leakage.values())).extra.get("gallery", "all")
    by = metric(report.worst_identity.metric)
    return (
        f" and the rank of its source among the {gallery} test originals by the matching of "
        f"{by.name} ({by.description}); rank 1, in green, is re-identified"
    )


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


def to_html(
    report: Report,
    grid_png: bytes | None = None,
    verdicts: Sequence[Verdict] | None = None,
    curve: Sequence[Report] = (),
) -> str:
    """The report as one self-contained HTML page; ``verdicts`` default to the suite's own."""
    title = f"privattack: {report.defense['name']} on {report.suite}"
    table = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in summary_rows(report)
    )
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p>scale <b>{escape(report.scale)}</b>, seed {report.seed}, defense parameters "
        f"<code>{escape(json.dumps(report.defense['params']))}</code></p>",
        _banner(report),
        f"<p>Utility: {escape(report.utility_detail)}.</p>" if report.utility_detail else "",
        "<h2>Leakage and utility</h2>" + intervals_svg(report),
        "<h2>Summary</h2><table><tr><th>attack</th><th>metric</th><th>mean [95% CI]</th>"
        f"<th>default params</th><th>null baseline</th></tr>{table}</table>",
        f"<p>{escape(report.interval)}.</p>",
        _tuning_html(report),
    ]
    parts += [f"<p>{escape(line)}</p>" for line in worst_lines(report)]
    skipped = {**report.skipped, **report.skipped_metrics}
    if skipped:
        parts.append(
            "<p>Skipped: "
            + "; ".join(f"{escape(k)} ({escape(v)})" for k, v in skipped.items())
            + "</p>"
        )
    chosen = report.verdicts() if verdicts is None else verdicts
    if chosen:
        items = "".join(
            f"<li class='{'pass' if v.passed else 'fail'}'>{escape(v.gate)}: "
            f"{escape(v.describe())}</li>"
            for v in chosen
        )
        parts.append(f"<h2>Verdicts</h2><ul class='verdicts'>{items}</ul>")
    if grid_png:
        parts.append(
            "<h2>Reconstructions</h2><p>First row: the private test images, those the "
            "worst-case attack reconstructs best first; below, each attack, each tile with its "
            f"SSIM to the image above it{_rank_caption(report)}.</p>" + _png(grid_png)
        )
    if len(curve) > 1:
        null = report.null.get(report.worst_case.metric) if report.worst_case else None
        plot = privacy_utility_png(curves_of(curve), null=null)
        parts.append("<h2>Privacy-utility</h2>" + _png(plot))
    parts.append(
        "<h2>Manifest</h2><pre>"
        + escape(json.dumps({"data": report.data, "manifest": report.manifest}, indent=2))
        + "</pre></body></html>"
    )
    return "\n".join(parts)
