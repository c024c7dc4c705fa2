"""Reports people read: the HTML page (rendered in headless Chromium) and the Markdown summary."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

import privattack
from privattack.render import to_markdown, write_report


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[privattack.Report, Path]:
    torch.manual_seed(0)
    defense = privattack.adapters.module(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1))
    report = privattack.evaluate(
        defense,
        Path(__file__).parents[1] / "suite_files" / "gate_smoke.toml",
        scale="smoke",
        progress=False,
    )
    out = tmp_path_factory.mktemp("html")
    strict = report.verdicts({"max_ssim": 0.3}, "strict")
    write_report(report, out, verdicts=strict, curve=[report, report])
    return report, out


def test_saved_files(saved: tuple[privattack.Report, Path]) -> None:
    _, out = saved
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "report.html",
        "summary.md",
        "reconstructions.png",
    }
    html = (out / "report.html").read_text()
    assert "<h2>Verdicts</h2>" in html and "strict: max_ssim &lt;= 0.3" in html
    assert html.count("data:image/png;base64,") == 2  # the grid and the privacy-utility plot
    assert "http" not in html.replace("http-equiv", "")  # self-contained: nothing to fetch


def test_markdown_summary(saved: tuple[privattack.Report, Path]) -> None:
    report, out = saved
    text = (out / "summary.md").read_text()
    assert text == to_markdown(report, report.verdicts({"max_ssim": 0.3}, "strict"))
    assert "| decoder | ssim |" in text and "strict: max_ssim <= 0.3" in text


PROBE = """<script>window.addEventListener('load', () => {
  const box = (e) => e.getBoundingClientRect();
  const drawn = (e) => box(e).width > 0 || box(e).height > 0;  // a line is thin one way
  const visible = (e) => box(e).width > 0 && box(e).height > 0;
  const imgs = [...document.images];
  document.title = JSON.stringify({
    images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    errorbars: [...document.querySelectorAll('.intervals .errorbar')].filter(drawn).length,
    estimates: [...document.querySelectorAll('.intervals .estimate')].filter(visible).length,
    nulls: [...document.querySelectorAll('.intervals .null')].filter(drawn).length,
    verdicts: [...document.querySelectorAll('.verdicts li')].filter(visible)
      .map(e => e.textContent),
    banner: [...document.querySelectorAll('.banner')].filter(visible).map(e => e.textContent),
  });
});</script></body>"""


def _chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--window-size=1200,2400",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_page_draws_in_headless_chromium(
    saved: tuple[privattack.Report, Path], tmp_path: Path
) -> None:
    """Rendered by a real browser: every image loads, each interval is drawn as an error bar
    with its point and null mark, the verdicts and the smoke-scale banner are on the page."""
    report, out = saved
    page = tmp_path / "probe.html"
    page.write_text((out / "report.html").read_text().replace("</body>", PROBE))
    result = _chromium(page, tmp_path, "--dump-dom")
    title = re.search(r"<title>(.*?)</title>", result.stdout, re.S)
    assert title is not None, result.stderr[-2000:]
    drawn = json.loads(html.unescape(title.group(1)))
    shown = [report.utility] + [
        leak.metrics[name] for name in ("ssim", "iip_top1") for leak in report.leakage.values()
    ]  # utility, then each attack's SSIM and its identity (no face model here)
    rows = len(shown)
    spans = sum(e.ci[0] < e.ci[1] for e in shown)  # a zero-width interval draws only its caps
    assert drawn["images"] == drawn["loaded"] == 2
    expected = (2 * rows + spans, rows, rows)
    assert (drawn["errorbars"], drawn["estimates"], drawn["nulls"]) == expected
    assert len(drawn["verdicts"]) == 1 and "strict: max_ssim <= 0.3" in drawn["verdicts"][0]
    assert len(drawn["banner"]) == 1 and "not for decisions" in drawn["banner"][0]
    screenshot = tmp_path / "page.png"
    _chromium(out / "report.html", tmp_path, f"--screenshot={screenshot}")
    assert screenshot.stat().st_size > 50_000  # a page, not a blank one


def test_the_page_says_who_is_identified(saved: tuple[privattack.Report, Path]) -> None:
    """Beside the pixels' worst case, the identity worst case; the grid's caption says what
    each tile's rank is, and the Markdown summary carries both worst cases."""
    report, out = saved
    page = (out / "report.html").read_text()
    identity = report.worst_identity
    assert identity is not None
    assert f"Worst case (identity): {identity.attack} {identity.metric} = " in page
    assert "the rank of its source among the 64 test originals" in page
    assert "Worst case (identity): **" in (out / "summary.md").read_text()
    assert set(report.sample_notes) == set(report.samples) - {"original"}
    assert all(note.startswith("rank ") for notes in report.sample_notes.values() for note in notes)
