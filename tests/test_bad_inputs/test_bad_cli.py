"""Catalogue, the command line: every subcommand's bad input exits 2 with one line that names the
value (never a traceback), a failed gate or a regression exits 1, a bug exits 3, and
``privattack gate`` writes ``junit.xml`` even when a gate cannot run. Run in-process through
``privattack.cli.main`` (the console script is ``sys.exit(main())``)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from privattack import cli
from privattack.metrics import Estimate
from privattack.report import Leakage, Report

SUITE = Path(__file__).parents[1] / "suite_files" / "gate_smoke.toml"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(exit status, what it printed on stderr and stdout)."""
    try:
        code = cli.main(args)
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.err + captured.out


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PRIVATTACK_DATA", raising=False)
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "notes.txt").write_text("mine")
    (tmp_path / "torn.log").write_text('{"op_code": 0}\n{"op_c')
    return tmp_path


EVALUATE = ["evaluate", "--defense", "split", "--suite", str(SUITE), "--scale", "smoke"]
USAGE = [
    ([], "the following arguments are required: command"),
    (["nonsense"], "invalid choice: 'nonsense'"),
    ([*EVALUATE, "--trials", "-1"], "'trials' parameter of evaluate must be an int >= 0 or None. Got -1"),
    ([*EVALUATE, "--trials", "many"], "invalid int value: 'many'"),
    ([*EVALUATE, "--repeats", "0"], "'repeats' parameter of evaluate must be an int >= 1 or None. Got 0"),
    ([*EVALUATE, "--defense-param", "ratio"], "expected KEY=VALUE, got 'ratio'"),
    ([*EVALUATE, "--defense-param", "cut=layer9"], "no cut named 'layer9'"),
    ([*EVALUATE, "--defense-param", "cutt=layer2"], "parameter of defense 'split' named 'cutt'"),
    ([*EVALUATE[:-1], "huge"], "invalid choice: 'huge'"),
    ([*EVALUATE, "--device", "gpu0"], "'device' parameter of evaluate must be .* Got 'gpu0'"),
    ([*EVALUATE, "--attack", "likelihood"], "no attack of suite 'gate_smoke' named 'likelihood'"),
    (["evaluate", "--defense", "splt", "--suite", str(SUITE)], "no defense named 'splt'. Did you mean 'split'"),
    (["evaluate", "--defense", "split", "--suite", "celeba_input"], "data set 'celeba' not found"),
    (["evaluate", "--suite", str(SUITE)], "evaluate needs --defense and --suite"),
    (["evaluate", "--activations", "{tmp}/notes", "--seed", "3"], "drop --seed"),
    (["evaluate", "--activations", "{tmp}/notes", "--refit"], "drop --refit"),
    (["evaluate", "--activations", "{tmp}/notes"], r"no manifest\.json"),
    ([*EVALUATE, "--out", "{tmp}/a-file"], "a-file' exists and is not a folder"),
    ([*EVALUATE, "--out", "{tmp}/notes"], r"not a report's \(notes\.txt\)"),
    ([*EVALUATE, "--storage", "sqlite:///{tmp}/s.db"], "both storage .* and study"),
    (["export", "--defense", "split", "--suite", str(SUITE), "--out", "{tmp}/a-file"], "exists and is not a folder"),
    (["export", "--defense", "split", "--suite", str(SUITE), "--out", "{tmp}/notes"], r"not a benchmark's \(notes\.txt\)"),
    (["tune", "--defense", "split", "--suite", str(SUITE)], "the following arguments are required: --storage, --study"),
    (["tune", "--defense", "split", "--suite", str(SUITE), "--storage", "db.sqlite", "--study", "s"], "'db.sqlite' is not a URL"),
    (["tune", "--defense", "split", "--suite", str(SUITE), "--storage", "{tmp}/torn.log", "--storage-class", "JournalFileBackend", "--study", "s"], r"torn.log:2: a torn or corrupt journal line"),
    (["tune", "--defense", "split", "--suite", str(SUITE), "--storage", "sqlite:///{tmp}/s.db", "--study", "s", "--trials", "-2"], "'--trials' parameter of privattack tune must be an int >= 0"),
    (["gate", "{tmp}/missing.toml", "--out", "{tmp}/gates"], r"missing.toml: cannot read this gates file"),
    (["gate", "{tmp}/a-file", "--out", "{tmp}/gates"], r"a-file: not valid TOML"),
    (["gate", "{tmp}/a-file", "--out", "{tmp}/a-file"], "--out '.*a-file' exists and is not a folder"),
    (["diff", "{tmp}/a-file", "{tmp}/a-file"], r"a-file: not a readable report\.json"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "pattern"), USAGE, ids=[" ".join(a)[:60] for a, _ in USAGE])
def test_bad_input_exits_2_with_one_line(
    args: list[str], pattern: str, places: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = _run([a.replace("{tmp}", str(places)) for a in args], capsys)
    assert code == 2, printed
    assert "Traceback" not in printed
    assert re.search(pattern, printed), printed


def _gates_file(folder: Path, defense: str, params: str = "") -> Path:
    path = folder / "privattack.toml"
    path.write_text(
        f'[[gate]]\nname = "g"\ndefense = "{defense}"\n{params}\nsuite = "{SUITE}"\n'
        'scale = "smoke"\nmax_ssim = 0.99\n'
    )
    return path


FACTORIES = [
    ("nowhere:build", "", r"gate 'g': cannot import its defense 'nowhere:build' \(No module named 'nowhere'\)"),
    ("catalogue_model:missing", "", r"gate 'g': cannot import its defense 'catalogue_model:missing' \(module 'catalogue_model' has no attribute 'missing'\)"),
    ("catalogue_model:broken", "", r"gate 'g': catalogue_model:broken\(\*\*\{\}\) raised ZeroDivisionError"),
    ("catalogue_model:build", "params = { depth = 3 }", r"raised TypeError: build\(\) got an unexpected keyword argument 'depth'"),
]  # fmt: skip


@pytest.mark.parametrize(("defense", "params", "pattern"), FACTORIES)
def test_a_gate_that_cannot_run_is_an_error_in_junit(
    defense: str,
    params: str,
    pattern: str,
    places: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (places / "catalogue_model.py").write_text(
        "def build(width=8):\n    raise AssertionError('never called with this width')\n\n"
        "def broken():\n    return 1 / 0\n"
    )
    monkeypatch.chdir(places)
    monkeypatch.syspath_prepend(str(places))
    gates = _gates_file(places, defense, params)
    code, printed = _run(["gate", str(gates), "--out", str(places / "out")], capsys)
    assert code == 2 and re.search(pattern, printed), printed
    root = ET.parse(places / "out" / "junit.xml").getroot()
    assert (root.get("errors"), root.get("failures")) == ("1", "0")


def test_a_gate_whose_attacks_all_failed_is_an_error_never_a_pass(
    places: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defense that releases noise makes every attack fail: its gate cannot pass on that."""
    (places / "catalogue_noise.py").write_text(
        "import torch\n\n"
        "class Noise:\n    stochastic = True\n"
        "    def release(self, x):\n        return torch.randn(len(x), 8, 4, 4)\n\n"
        "def build():\n    return Noise()\n"
    )
    monkeypatch.chdir(places)
    monkeypatch.syspath_prepend(str(places))
    gates = _gates_file(places, "catalogue_noise:build")
    code, printed = _run(["gate", str(gates), "--out", str(places / "out")], capsys)
    assert code == 2, printed
    assert "ERROR: every attack that reports ssim failed (decoder: no better than" in printed
    root = ET.parse(places / "out" / "junit.xml").getroot()
    assert (root.get("errors"), root.get("failures")) == ("1", "0")


def test_a_malformed_gates_file_still_writes_junit(
    places: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = places / "privattack.toml"
    path.write_text("[[gate]]\n")
    code, printed = _run(["gate", str(path), "--out", str(places / "out")], capsys)
    assert code == 2 and "missing required key" in printed
    (case,) = ET.parse(places / "out" / "junit.xml").getroot()
    assert case.find("error") is not None and "missing required key" in case.find("error").text


def _report(
    suite: str = "s", attacks: dict[str, float] | None = None, scale: str = "smoke"
) -> Report:
    attacks = {"decoder": 0.3, "likelihood": 0.2} if attacks is None else attacks
    return Report(
        suite=suite, suite_version=1, scale=scale, seed=0, defense={"name": "d", "params": {}},
        data={"dataset": "fairface", "fingerprints": {"attack_test": "f"}},
        utility=Estimate(0.9, (0.88, 0.92)), utility_source="server",
        leakage={a: Leakage({"ssim": Estimate(v, (v - 0.02, v + 0.02))}) for a, v in attacks.items()},
        null={"task_accuracy": 0.5}, worst_case=None, skipped={}, manifest={},
    )  # fmt: skip


DIFFS = [
    (_report(), _report(attacks={"decoder": 0.31, "likelihood": 0.2}), 0, "decoder ssim .*0.300 ->    0.310"),
    (_report(), _report(attacks={"decoder": 0.40, "likelihood": 0.2}), 1, "decoder ssim .*REGRESSION"),
    (_report(), _report(attacks={"decoder": 0.3}), 1, "likelihood .* missing: not in the new report  REGRESSION"),
    (_report(), _report(attacks={"decoder": math.nan, "likelihood": 0.2}), 1, "decoder ssim .* nan .*REGRESSION"),
    (_report(), _report(suite="other"), 2, r"the reports differ in suite \(\[\('s', 1\)\] against \[\('other', 1\)\]\)"),
    (_report(), _report(scale="quick"), 2, "the reports differ in scale"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "code", "pattern"), DIFFS)
def test_diff_exit_codes(
    old: Report, new: Report, code: int, pattern: str, tmp_path: Path, capsys
) -> None:
    (tmp_path / "old.json").write_text(old.to_json())
    (tmp_path / "new.json").write_text(new.to_json())
    got, printed = _run(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")], capsys)
    assert got == code and re.search(pattern, printed), printed
    if code != 2:
        assert "rule: REGRESSION when" in printed and "old: " in printed


def test_diff_can_compare_different_setups_when_told(tmp_path: Path, capsys) -> None:
    (tmp_path / "old.json").write_text(_report().to_json())
    (tmp_path / "new.json").write_text(_report(suite="other").to_json())
    paths = [str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    assert _run(["diff", *paths, "--allow-different"], capsys)[0] == 0


def test_a_bug_exits_3_with_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def bug(args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "_data", bug)
    code, printed = _run(["data"], capsys)
    assert code == 3
    assert "Traceback" in printed and "internal error: this is a bug in privattack" in printed


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = _run(["--help"], capsys)
    assert code == 0 and "3 an internal error" in printed
