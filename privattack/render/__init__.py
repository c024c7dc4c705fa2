"""Renderers: functions that read a ``Report`` and draw it (HTML, Markdown, a PNG grid, plots).

``write_report(report, out)`` writes a report folder: ``report.json``, ``report.html``,
``summary.md`` and, for input suites, ``reconstructions.png``, built in a temporary sibling
and moved into place whole.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from privattack.errors import DataError
from privattack.files import replace_folder
from privattack.render.grid import grid_png
from privattack.render.html import to_html
from privattack.render.markdown import to_markdown
from privattack.render.plots import curves_of, figure_png, plot_axes, privacy_utility_png
from privattack.report import Report
from privattack.thresholds import Verdict
from privattack.validate import writable_folder

REPORT_FILES = ("report.json", "report.html", "summary.md", "reconstructions.png")


def check_report_folder(out: str | os.PathLike[str]) -> Path:
    """``out`` as a folder a report may be written to (new, or one holding only a report's
    files), checked before any work so a long run is never lost at its end."""
    folder = writable_folder(out, "out", "the report")
    if folder.is_dir():
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in REPORT_FILES)
        if foreign:
            raise DataError(
                f"{folder}: holds files that are not a report's ({', '.join(foreign[:3])}); "
                "a report replaces its folder whole, so give a new or a report's own folder."
            )
    return folder


def write_report(
    report: Report,
    out: str | os.PathLike[str],
    verdicts: Sequence[Verdict] = (),
    curve: Sequence[Report] = (),
) -> Path:
    """Write ``report``'s folder ``out``; the HTML and Markdown show the suite's verdicts and
    ``verdicts`` (a gate's), the HTML a privacy-utility plot of ``curve``. Returns the JSON."""
    folder = check_report_folder(out)
    shown = [*report.verdicts(), *verdicts]

    def write(temporary: Path) -> None:
        (temporary / "report.json").write_text(report.to_json())
        has_grid = "original" in report.samples
        grid = grid_png(report.samples, report.sample_notes) if has_grid else None
        if grid is not None:
            (temporary / "reconstructions.png").write_bytes(grid)
        (temporary / "report.html").write_text(to_html(report, grid, shown, curve))
        (temporary / "summary.md").write_text(to_markdown(report, shown))

    replace_folder(folder, write)
    return folder / "report.json"


__all__ = [
    "check_report_folder",
    "curves_of",
    "figure_png",
    "grid_png",
    "plot_axes",
    "privacy_utility_png",
    "to_html",
    "to_markdown",
    "write_report",
]
