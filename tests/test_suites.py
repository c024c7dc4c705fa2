"""Suites: the built-ins load, share their bases, round-trip; included files stay beside them."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SUITE_TEXT as BASE

from privattack import SuiteError, UnknownNameError, suites

BUILT_IN = {
    "demo_cifar10",
    "demo_faces",
    "cifar10_input",
    "cifar10_attribute",
    "celeba_input",
    "celeba_attribute",
    "celeba_mouth",
    "celeba_nose",
    "fairface_input",
    "fairface_attribute",
    "utkface_attribute",
}


def test_every_built_in_suite_loads_with_three_scales() -> None:
    assert set(suites.names()) == BUILT_IN
    for name in BUILT_IN:
        suite = suites.load(name)
        assert [suite.budget(s).scale for s in ("smoke", "quick", "paper")]
        assert suite.budget("paper").official_splits
        assert suite.attacks and suite.thresholds


def test_celeba_input_matches_the_issue() -> None:
    suite = suites.load("celeba_input")
    assert (suite.data.dataset, suite.data.task, suite.data.sensitive) == (
        "celeba",
        "Male",
        "input",
    )
    assert suite.budget("quick").image_size == 64 and suite.budget("paper").image_size == 112


def test_trained_attacks_run_to_convergence_beyond_the_smoke_scale() -> None:
    """At quick and paper scale a supervised attack stops on its held-out score (its epochs a
    cap); smoke scale and the demo's budget train fixed epochs. Paper scale trains each attack
    with three seeds, so its intervals cover the attacks' training."""
    for name in suites.names():
        suite = suites.load(name)
        assert not suite.budget("smoke").attack_patience
        if name.startswith("demo"):
            assert not suite.budget("quick").attack_patience
            continue
        assert {suite.budget(s).attack_patience for s in ("quick", "paper")} == {10}, name
        assert suite.budget("quick").attack_epochs == 100
        assert (suite.budget("quick").repeats, suite.budget("paper").repeats) == (1, 3)


def _write(tmp_path: Path, text, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text(BASE) if callable(text) else text)
    return path


def test_a_suite_file_of_ones_own_loads(tmp_path: Path) -> None:
    suite = suites.load(_write(tmp_path, lambda s: s.replace("trials = 10", "trials = 3")))
    assert suite.budget("quick").trials == 3 and suite.name == "mine"


def test_a_suite_extends_the_files_it_includes(tmp_path: Path) -> None:
    _write(tmp_path, BASE, "_base.toml")
    own = 'include = ["_base.toml"]\n\n[data]\nsensitive = "input"\n\n[scales.quick]\ntrials = 2\n'
    suite = suites.load(_write(tmp_path, own))
    base = suites.load(tmp_path / "_base.toml")
    assert suite.budget("quick").trials == 2 and base.budget("quick").trials == 10
    assert suite.budget("quick").splits == base.budget("quick").splits  # tables merge
    assert suite.digest != base.digest  # another budget: another suite
    with pytest.raises(SuiteError, match=r"_base.toml:22: \[scales.quick.trails\]"):
        _write(tmp_path, BASE.replace("trials = 10", "trails = 10"), "_base.toml")
        suites.load(_write(tmp_path, own, "other.toml"))


def test_an_include_cycle_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, 'include = "b.toml"\n', "a.toml")
    _write(tmp_path, 'include = "a.toml"\n', "b.toml")
    with pytest.raises(SuiteError, match="includes itself"):
        suites.load(tmp_path / "a.toml")


def test_the_built_in_suites_share_their_bases() -> None:
    """The three CelebA attribute suites differ only in their sensitive attribute (and text)."""
    mouth, nose = suites.load("celeba_mouth").content(), suites.load("celeba_nose").content()
    for content in (mouth, nose):
        content.pop("description")
        content["data"].pop("sensitive")
    assert mouth == nose
    assert not [p for p in suites.FOLDER.glob("_*.toml") if p.stem[1:] in suites.names()]


def test_content_round_trips() -> None:
    from privattack.config import Source

    for name in suites.names():
        suite = suites.load(name)
        again = suites.parse_content(name, suite.content(), Source(suite.file, "", SuiteError))
        assert again == suite and again.digest == suite.digest


def test_unknown_suite_and_scale() -> None:
    with pytest.raises(
        UnknownNameError, match=r"no suite named 'celeba_inpt'\. Did you mean 'celeba_input'"
    ):
        suites.load("celeba_inpt")
    with pytest.raises(SuiteError, match="unknown scale 'huge'"):
        suites.load("celeba_input").budget("huge")


def test_cli_lists_all_suites_available_with_shared_data(shared_root: Path) -> None:
    from conftest import cli, shared_dataset

    for name in ("cifar10", "celeba", "fairface", "utkface"):
        shared_dataset(name)
    result = cli("suites", "--data-root", str(shared_root))
    assert result.returncode == 0, result.stderr
    output = result.stdout
    rows = [line for line in output.splitlines()[1:] if line.strip()]
    assert {row.split()[0] for row in rows} == BUILT_IN
    assert all("available" in row for row in rows)
