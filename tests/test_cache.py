"""The fit cache: a second identical evaluation skips fit and release and gives the same numbers;
an entry is read only when every file verifies, and a writer killed mid-entry leaves nothing
that is later read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import numbers

import privattack
from privattack.cache import ENTRY, STATE
from privattack.files import cache_root

pytestmark = pytest.mark.slow
SUITE = Path(__file__).parent / "suite_files" / "cache_smoke.toml"


def _evaluate(**extra: object) -> privattack.Report:
    return privattack.evaluate(
        "split", SUITE, scale="smoke", attacks=["decoder"], progress=False, **extra
    )


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRIVATTACK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entries(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if (p / ENTRY).is_file()] if root.is_dir() else []


def test_a_second_identical_run_skips_fit_and_release(own_cache: Path) -> None:
    first, second = _evaluate(), _evaluate()
    assert (first.manifest["cache"], second.manifest["cache"]) == ("stored", "hit")
    assert {"fit", "release"} <= set(first.manifest["seconds"])
    assert not {"fit", "release"} & set(second.manifest["seconds"])
    assert second.defense["fit"] == "on defense_train, restored from the cache"
    assert numbers(first) == numbers(second)
    assert len(_entries(own_cache)) == 1 and cache_root() == own_cache


def test_another_seed_or_parameter_is_another_entry(own_cache: Path) -> None:
    _evaluate()
    assert _evaluate(seed=1).manifest["cache"] == "stored"
    other = privattack.evaluate(
        privattack.defenses.get("split", lr=2e-3), SUITE, scale="smoke", attacks=["decoder"],
        progress=False,
    )  # fmt: skip
    assert other.manifest["cache"] == "stored" and len(_entries(own_cache)) == 3


def test_off_and_not_applicable(own_cache: Path) -> None:
    assert _evaluate(cache=False).manifest["cache"] == "off"
    assert not _entries(own_cache)
    fitted = privattack.defenses.get("split", image_size=32, num_classes=2)
    fitted.fitted = True  # trained by its owner: nothing to save
    report = privattack.evaluate(fitted, SUITE, scale="smoke", attacks=["decoder"], progress=False)
    assert report.manifest["cache"].startswith("not used: nothing to save")


def test_a_corrupt_entry_is_a_miss_and_is_replaced(own_cache: Path) -> None:
    first = _evaluate()
    (entry,) = _entries(own_cache)
    state = entry / STATE
    data = bytearray(state.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    again = _evaluate()
    assert again.manifest["cache"] == "stored"  # the corrupt entry was not read
    assert numbers(again) == numbers(first)
    assert _evaluate().manifest["cache"] == "hit"


KILLED_WRITER = """
import os, signal, sys
import privattack
from privattack import cache

real_save = cache.save_file

def save_then_die(tensors, path, *args, **kwargs):
    real_save(tensors, path, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-entry: the state is written, nothing else

cache.save_file = save_then_die
privattack.evaluate("split", sys.argv[1], scale="smoke", attacks=["decoder"], progress=False)
"""


def test_a_writer_killed_mid_entry_leaves_nothing_that_is_read(own_cache: Path) -> None:
    env = {**os.environ, "PRIVATTACK_CACHE": str(own_cache)}
    env.pop("PRIVATTACK_DATA", None)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(SUITE)], env=env, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert not _entries(own_cache)  # only a partial folder, under a name no lookup reads
    assert [p.name.startswith(".partial-") for p in own_cache.iterdir()] == [True]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PRIVATTACK_DATA", raising=False)
        report = _evaluate()
    assert report.manifest["cache"] == "stored"
    stored = [p.name for p in own_cache.iterdir() if p.name != "faces"]  # faces: embeddings
    assert stored == [p.name for p in _entries(own_cache)]
    assert json.loads((_entries(own_cache)[0] / ENTRY).read_text())["material"]["seed"] == 0
