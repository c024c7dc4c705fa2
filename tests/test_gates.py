"""Gates: the file format and its errors, the pessimistic checks, JUnit, diff, and the CLI's
exit codes on real data."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import cli

import privattack
from privattack.diff import diff
from privattack.gates import junit_xml, load_gates
from privattack.metrics import Estimate
from privattack.report import Leakage, Report
from privattack.testing import assert_leakage
from privattack.thresholds import Threshold

SUITE = Path(__file__).parent / "suite_files" / "gate_smoke.toml"


def _report(ssim: tuple[float, float, float], utility: tuple[float, float, float]) -> Report:
    def estimate(values: tuple[float, float, float]) -> Estimate:
        return Estimate(values[0], (values[1], values[2]))

    return Report(
        suite="s",
        suite_version=1,
        scale="smoke",
        seed=0,
        defense={"name": "d", "params": {}},
        data={},
        utility=estimate(utility),
        utility_source="server",
        leakage={
            "decoder": Leakage({"ssim": estimate(ssim)}),
            "likelihood": Leakage({"ssim": estimate((0.2, 0.1, 0.3))}),
        },
        null={"task_accuracy": 0.5},
        worst_case=None,
        skipped={},
        manifest={},
        thresholds=(Threshold("max_ssim", 0.5),),
    )


def test_checks_read_the_pessimistic_end_of_the_interval() -> None:
    report = _report(ssim=(0.35, 0.30, 0.42), utility=(0.90, 0.86, 0.93))
    ssim, utility = report.verdicts({"max_ssim": 0.4, "min_utility": 0.85})
    assert not ssim.passed and ssim.value == 0.42 and ssim.attack == "decoder"
    assert utility.passed and utility.value == 0.86
    (missing,) = report.verdicts({"max_attribute_accuracy": 0.6})
    assert not missing.passed  # no attack reported it: the gate cannot pass
    assert "not reported" in missing.describe()


def test_the_suites_thresholds_are_the_default_verdicts() -> None:
    report = _report(ssim=(0.35, 0.30, 0.42), utility=(0.90, 0.86, 0.93))
    (verdict,) = report.verdicts()
    assert (verdict.gate, verdict.threshold, verdict.passed) == ("suite", "max_ssim", True)
    assert report.passes() and not report.passes({"max_ssim": 0.4})
    assert report.passes([Threshold("min_utility", 0.8)])
    assert "suite gate max_ssim <= 0.5: 0.420" in report.summary()


def test_one_threshold_language_everywhere() -> None:
    """Suites, gates files and the API name thresholds the same way; an unknown one is a clear
    error listing the known ones."""
    from privattack.thresholds import NAMES

    assert {"max_ssim", "max_psnr", "min_l1", "max_advantage", "min_utility"} <= set(NAMES)
    with pytest.raises(privattack.UnknownNameError, match="no threshold named 'max_sim'"):
        Threshold("max_sim", 0.4)
    suite_names = {
        t.name for n in privattack.suites.names() for t in privattack.suites.load(n).thresholds
    }
    assert suite_names <= set(NAMES)


def test_assert_leakage_explains_the_failure() -> None:
    report = _report(ssim=(0.35, 0.30, 0.42), utility=(0.90, 0.86, 0.93))
    assert_leakage(report, max_ssim=0.5)
    with pytest.raises(
        AssertionError,
        match=r"max_ssim <= 0.4: 0.420 \(mean 0.350, 95% CI "
        r"\[0.300, 0.420\], decoder\): FAIL",
    ):
        assert_leakage(report, max_ssim=0.4, min_utility=0.8)


def test_junit_xml_counts_failures() -> None:
    report = _report(ssim=(0.35, 0.30, 0.42), utility=(0.90, 0.86, 0.93))
    verdicts = report.verdicts({"max_ssim": 0.4, "min_utility": 0.8}, "g")
    root = ET.fromstring(junit_xml(verdicts, {"broken": "gate 'broken': cannot import"}, 1.0))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    assert [case.get("name") for case in root] == ["max_ssim", "min_utility", "run"]


def test_diff_flags_leakage_that_rose_beyond_the_intervals() -> None:
    old = _report(ssim=(0.30, 0.28, 0.32), utility=(0.9, 0.88, 0.92))
    same = _report(ssim=(0.31, 0.29, 0.33), utility=(0.9, 0.88, 0.92))
    worse = _report(ssim=(0.40, 0.37, 0.43), utility=(0.9, 0.88, 0.92))
    assert not diff(old, same)[1]
    lines, regressed = diff(old, worse)
    assert regressed and any("decoder ssim" in line and "REGRESSION" in line for line in lines)


def _write(tmp_path: Path, text: str, name: str = "privattack.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = f"""
[[gate]]
name = "split-smoke"
defense = "split"
suite = "{SUITE}"
scale = "smoke"
max_ssim = 0.99
"""


def test_gates_load_from_privattack_toml_and_pyproject(tmp_path: Path) -> None:
    (gate,) = load_gates(_write(tmp_path, GOOD))
    assert (gate.name, gate.defense, gate.thresholds) == (
        "split-smoke",
        "split",
        (Threshold("max_ssim", 0.99),),
    )
    pyproject = GOOD.replace("[[gate]]", "[[tool.privattack.gate]]")
    assert load_gates(_write(tmp_path, pyproject, "pyproject.toml"))[0].name == "split-smoke"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PRIVATTACK_DATA"}


@pytest.mark.slow
def test_gate_cli_exit_codes_and_junit(tmp_path: Path) -> None:
    failing = GOOD + GOOD.replace("split-smoke", "too-strict").replace("0.99", "0.05")
    path = _write(tmp_path, failing)
    result = cli("gate", str(path), "--out", str(tmp_path / "out"), "--quiet", env=_env())
    assert result.returncode == 1, result.stderr
    assert "1 passed, 1 failed, 0 could not run" in result.stdout and "FAIL" in result.stdout
    assert "gate too-strict: the same evaluation as gate split-smoke" in result.stdout
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    report = json.loads((tmp_path / "out" / "split-smoke" / "report.json").read_text())
    assert report["schema_version"] == 1
    shared = json.loads((tmp_path / "out" / "too-strict" / "report.json").read_text())
    assert shared["leakage"] == report["leakage"]

    passing = cli(
        "gate", str(_write(tmp_path, GOOD)), "--out", str(tmp_path / "ok"), "--quiet", env=_env()
    )
    assert passing.returncode == 0 and "1 passed, 0 failed" in passing.stdout

    broken_factory = GOOD.replace('defense = "split"', 'defense = "no_such_module:build"')
    result = cli(
        "gate", str(_write(tmp_path, broken_factory)), "--out", str(tmp_path / "err"), env=_env()
    )
    assert result.returncode == 2 and "cannot import its defense" in result.stdout
    root = ET.parse(tmp_path / "err" / "junit.xml").getroot()
    assert root.get("errors") == "1"

    broken_file = str(_write(tmp_path, "[[gate]]\n"))
    broken = cli("gate", broken_file, "--out", str(tmp_path / "bad"), env=_env())
    assert broken.returncode == 2 and "missing required key" in broken.stderr


def test_diff_cli(tmp_path: Path) -> None:
    old = _report(ssim=(0.30, 0.28, 0.32), utility=(0.9, 0.88, 0.92))
    new = _report(ssim=(0.40, 0.37, 0.43), utility=(0.9, 0.88, 0.92))
    (tmp_path / "old.json").write_text(old.to_json())
    (tmp_path / "new.json").write_text(new.to_json())
    assert cli("diff", str(tmp_path / "old.json"), str(tmp_path / "old.json")).returncode == 0
    result = cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    assert result.returncode == 1 and "REGRESSION" in result.stdout


def test_user_factory_defense(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mymodel.py").write_text(
        "import privattack, torch\n"
        "def build(width=8):\n"
        "    return privattack.adapters.module(torch.nn.Conv2d(3, width, 3))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = GOOD.replace('defense = "split"', 'defense = "mymodel:build"\nparams = { width = 4 }')
    (gate,) = load_gates(_write(tmp_path, text))
    defense = gate.build_defense()
    assert privattack.capabilities(defense).client
    assert defense.client.out_channels == 4
