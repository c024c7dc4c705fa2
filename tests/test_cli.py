"""The privattack command as a user runs it: a subprocess, real data, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import cli


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PRIVATTACK_DATA"}
    env.update(extra)
    return env


@pytest.mark.slow
def test_evaluate_writes_a_report(tmp_path: Path) -> None:
    result = cli(
        "evaluate",
        "--defense",
        "split",
        "--defense-param",
        "cut=layer2",
        "--suite",
        "cifar10_input",
        "--scale",
        "smoke",
        "--out",
        str(tmp_path),
        "--attack",
        "decoder",
        "--quiet",
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "decoder    ssim" in result.stdout and "worst case: decoder ssim" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["defense"]["name"] == "split"
    assert report["defense"]["params"] == {"cut": "layer2", "lr": 0.001}
    assert report["data"]["layout"] == "bundled"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["evaluate", "--defense", "splt", "--suite", "fairface_input"],
            "no defense named 'splt'. Did you mean 'split'?",
        ),
        (
            ["evaluate", "--defense", "split", "--suite", "celeba_input"],
            "data set 'celeba' not found",
        ),
        (
            [
                "evaluate",
                "--defense",
                "split",
                "--defense-param",
                "cut=layer9",
                "--suite",
                "fairface_input",
                "--scale",
                "smoke",
            ],
            "no cut named 'layer9'",
        ),
    ],
)
def test_errors_exit_2_with_the_message(args: list[str], message: str) -> None:
    result = cli(*args, env=_env())
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_data_shows_what_each_reader_finds() -> None:
    result = cli("data", env=_env())
    assert result.returncode == 0
    assert "fairface: 572 images, layout bundled" in result.stdout
    assert "celeba: not found" in result.stdout
