"""Shared fixtures: where the real data sets of ../shared/data are (skips when absent), and
a saved report several test modules read, evaluated once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import privattack

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PRIVATTACK_DATA") or REPO.parent / "shared" / "data")


def shared_dataset(name: str) -> Path:
    """The folder of data set ``name`` in ../shared/data, or skip the test with the reason."""
    folder = SHARED_DATA / name
    if not folder.is_dir() or not any(folder.glob("*.npz")):
        pytest.skip(f"needs the {name} packs in {folder} (../shared/data); not present here")
    return folder


@pytest.fixture
def shared_root() -> Path:
    """The shared data root (tests using it call shared_dataset for what they need)."""
    return SHARED_DATA


@pytest.fixture
def bundled_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with no data root, so only the bundled data is used."""
    monkeypatch.delenv("PRIVATTACK_DATA", raising=False)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``privattack`` console script (next to this Python) as a subprocess."""

    script = Path(sys.executable).with_name("privattack")
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, timeout=600
    )


# A saved report several test modules read, evaluated once per session. (Reports without files
# come from the plugin's privattack_evaluate fixture, which caches them the same way.)
SMOKE_ATTACKS = ["decoder", "inversion"]  # one supervised and one white-box attack: fast


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[privattack.Report, Path]:
    """The undefended split at seed 3 with the two fast attacks, saved: (report, its folder)."""
    out = tmp_path_factory.mktemp("run")
    report = privattack.evaluate(
        "split",
        "fairface_input",
        scale="smoke",
        seed=3,
        out=out,
        progress=False,
        attacks=SMOKE_ATTACKS,
    )
    return report, out
