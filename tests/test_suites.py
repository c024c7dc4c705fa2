"""Suites: the nine built-ins load; malformed files fail with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from privattack import SuiteError, UnknownNameError, suites

NINE = {
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


def test_all_nine_suites_load_with_three_scales() -> None:
    assert set(suites.names()) == NINE
    for name in NINE:
        suite = suites.load(name)
        assert [suite.budget(s).scale for s in ("smoke", "quick", "paper")]
        assert suite.budget("paper").official_splits
        assert suite.attacks and suite.gates


def test_celeba_input_matches_the_issue() -> None:
    suite = suites.load("celeba_input")
    assert (suite.data.dataset, suite.data.task, suite.data.sensitive) == (
        "celeba",
        "Male",
        "input",
    )
    assert suite.budget("quick").image_size == 64 and suite.budget("paper").image_size == 112


def _write(tmp_path: Path, text: str) -> Path:
    base = suites.FOLDER.joinpath("fairface_input.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text(text(base) if callable(text) else text)
    return path


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda s: s.replace("trials = 10", "trails = 10"),
            r"mine.toml: \[scales.quick.trails\] unknown key 'trails'. Did you mean 'trials'\?",
        ),
        (
            lambda s: s.replace("image_size = 64", 'image_size = "64"'),
            r"\[data.image_size\] must be int, got str",
        ),
        (lambda s: s.replace('task = "gender"\n', ""), r"\[data.task\] missing required key"),
        (
            lambda s: s.replace('dataset = "fairface"', 'dataset = "mnist"'),
            r"\[data.dataset\] unknown data set 'mnist'",
        ),
        (
            lambda s: s.replace("[attacks.decoder]", "[attacks.decodr]"),
            r"\[attacks.decodr\] unknown key 'decodr'. Did you mean 'decoder'\?",
        ),
        (
            lambda s: s.replace(
                "[attacks.decoder]\n", "[attacks.decoder]\nlr = { low = 1e-1, high = 1e-2 }\n"
            ),
            r"\[attacks.decoder.lr\] `low < high` must hold",
        ),
        (
            lambda s: s.replace(
                "[attacks.decoder]\n", "[attacks.decoder]\nwidht = { choices = [8] }\n"
            ),
            r"\[attacks.decoder.widht\] unknown key",
        ),
        (
            lambda s: s.replace('sensitive = "input"', 'sensitive = "race"'),
            r"\[attacks.decoder\] attack 'decoder' targets inputs",
        ),
        (lambda s: s + "\n[scales.huge]\n", r"\[scales.huge\] unknown key 'huge'"),
        (lambda s: s.replace("version = 1", "version = ["), r"mine.toml: not valid TOML"),
    ],
)
def test_malformed_suites_name_file_and_key(tmp_path: Path, edit, pattern: str) -> None:
    with pytest.raises(SuiteError, match=pattern) as caught:
        suites.load(_write(tmp_path, edit))
    assert caught.value.file.endswith("mine.toml")


def test_a_suite_file_of_ones_own_loads(tmp_path: Path) -> None:
    suite = suites.load(_write(tmp_path, lambda s: s.replace("trials = 10", "trials = 3")))
    assert suite.budget("quick").trials == 3 and suite.name == "mine"


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
    assert {row.split()[0] for row in rows} == NINE
    assert all("available" in row for row in rows)
