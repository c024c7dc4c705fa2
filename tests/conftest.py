"""Shared fixtures: where the real data sets of ../shared/data are, and skips when absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
