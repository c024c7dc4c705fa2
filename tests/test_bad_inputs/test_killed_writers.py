"""Catalogue, kills: a process killed with SIGKILL while it writes an export or a report folder
leaves the old one whole and readable, nothing half-written where it is read, and the next
writer removes the leftovers. (The fit cache's and a tuning worker's kills are in
tests/test_cache.py and tests/test_tuning.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import privattack
from privattack.activations import MANIFEST
from privattack.metrics import Estimate
from privattack.render import write_report
from privattack.report import Leakage, Report

SUITE = Path(__file__).parents[1] / "suite_files" / "gate_smoke.toml"


def _killed(code: str, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRIVATTACK_DATA"}
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True)
    assert result.returncode == -9, result.stderr.decode()[-2000:]


KILL_EXPORT = """
import os, signal, sys
import privattack
from privattack import activations

real_save = activations.save_file
def save_one_then_die(tensors, path, *args, **kwargs):
    real_save(tensors, path, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # killed after the first shard of the new export

activations.save_file = save_one_then_die
privattack.export("split", sys.argv[1], sys.argv[2], scale="smoke", seed=1, progress=False)
"""


@pytest.mark.slow
def test_an_export_killed_midway_leaves_the_old_benchmark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRIVATTACK_DATA", raising=False)
    out = tmp_path / "bench"
    privattack.export("split", SUITE, out, scale="smoke", seed=0, progress=False)
    before = (out / MANIFEST).read_text()
    _killed(KILL_EXPORT, str(SUITE), str(out))
    assert (out / MANIFEST).read_text() == before
    assert privattack.load_activations(out).seed == 0  # whole and readable
    assert [p.name.startswith(".partial-bench") for p in tmp_path.iterdir() if p != out] == [True]
    privattack.export("split", SUITE, out, scale="smoke", seed=1, progress=False)
    assert privattack.load_activations(out).seed == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench"]  # leftovers swept


KILL_REPORT = """
import os, signal, sys
from privattack import render
from privattack.report import Report

real_html = render.to_html
def die_while_writing(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # report.json of the new run is written, no more

render.to_html = die_while_writing
report = Report.load(sys.argv[1])
render.write_report(Report.from_dict({**report.to_dict(), "seed": 7}), sys.argv[1])
"""


def _report() -> Report:
    return Report(
        suite="s", suite_version=1, scale="smoke", seed=0, defense={"name": "d", "params": {}},
        data={}, utility=Estimate(0.9, (0.88, 0.92)), utility_source="server",
        leakage={"decoder": Leakage({"ssim": Estimate(0.3, (0.28, 0.32))})},
        null={"task_accuracy": 0.5}, worst_case=None, skipped={}, manifest={},
    )  # fmt: skip


def test_a_report_write_killed_midway_leaves_the_old_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_report(_report(), out)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    _killed(KILL_REPORT, str(out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # the old one, whole
    assert Report.load(out).seed == 0
    write_report(_report(), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # leftovers swept
