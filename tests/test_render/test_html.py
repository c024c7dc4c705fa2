"""Reports people read: the HTML page (rendered in headless Chromium) and the Markdown summary."""

from __future__ import annotations

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


def test_every_image_loads_in_headless_chromium(
    saved: tuple[privattack.Report, Path], tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    _, out = saved
    probe = (
        (out / "report.html")
        .read_text()
        .replace(
            "</body>",
            "<script>window.addEventListener('load', () => { const imgs = [...document.images];"
            " document.title = 'loaded ' + imgs.filter(i => i.complete && i.naturalWidth > 0)"
            ".length + ' of ' + imgs.length; });</script></body>",
        )
    )
    page = tmp_path / "probe.html"
    page.write_text(probe)
    result = subprocess.run(
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
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    title = re.search(r"<title>(.*?)</title>", result.stdout)
    assert title is not None, result.stderr[-2000:]
    assert title.group(1) == "loaded 2 of 2"
