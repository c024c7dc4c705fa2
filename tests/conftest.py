"""Shared fixtures: where the real data sets of ../shared/data are (skips when absent), and
a saved report several test modules read, evaluated once per session."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The recorded reports of tests/test_reference.py hold every bit of every number, and a float
# result depends on the code path the CPU takes: tools/pinned names the paths every recorded
# number was measured on; they must be set before torch loads (CLI subprocesses inherit them).
# A variable set already is kept.
PINNED = Path(__file__).resolve().parents[1] / "tools" / "pinned"
CPU_CODE_PATHS = dict(re.findall(r'^export (\w+)="\$\{\w+:-(\w+)\}"', PINNED.read_text(), re.M))
if len(CPU_CODE_PATHS) != 4:
    raise RuntimeError(f"{PINNED} no longer names the four CPU code paths the tests expect")
if "torch" in sys.modules:
    raise RuntimeError(
        "torch was imported before tests/conftest.py could pin the CPU code paths; "
        f"set {CPU_CODE_PATHS} in the environment"
    )
for variable, value in CPU_CODE_PATHS.items():
    os.environ.setdefault(variable, value)

import privattack  # noqa: E402
from privattack import faces  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# The face model costs about 0.1 s a face; the tests of identity leakage turn it on (the
# face_model fixture), the rest of the suite, CLI subprocesses included, runs without it.
os.environ["PRIVATTACK_FACES"] = "off"
SHARED_DATA = Path(os.environ.get("PRIVATTACK_DATA") or REPO.parent / "shared" / "data")


def shared_dataset(name: str) -> Path:
    """The folder of data set ``name`` in ../shared/data, or skip the test with the reason."""
    folder = SHARED_DATA / name
    if not folder.is_dir() or not any(folder.glob("*.npz")):
        pytest.skip(f"needs the {name} packs in {folder} (../shared/data); not present here")
    return folder


@pytest.fixture(scope="session", autouse=True)
def fit_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fit cache of the session's own: never the user's, empty when the session starts."""
    folder = tmp_path_factory.mktemp("fit-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRIVATTACK_CACHE", str(folder))
        yield folder


@pytest.fixture
def face_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The face model on for this test (it skips, with the reason, where it is not installed)."""
    monkeypatch.setenv("PRIVATTACK_FACES", "on")
    reason = faces.missing()
    if reason is not None:
        pytest.skip(reason)


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


# The fixed smoke evaluations whose report.json was recorded before the core redesign
# (tests/reference/): the bundled data (whatever $PRIVATTACK_DATA says), seed 0, no fit cache.
def _reference_module() -> privattack.Defense:
    import torch

    torch.manual_seed(0)
    return privattack.adapters.module(torch.nn.Conv2d(3, 8, 4, stride=4))


REFERENCE_RUNS = {
    "split_fairface_input": lambda: ("split", "fairface_input", {}),
    # the decoder and the likelihood attack, which DISCO's real-face test compares (every attack
    # seeds itself, so the others would add only time; the split's run guards them all)
    "disco_fairface_input": lambda: (
        "disco",
        "fairface_input",
        {"attacks": ["decoder", "likelihood"]},
    ),
    "split_fairface_attribute": lambda: ("split", "fairface_attribute", {}),
    "split_fairface_input_tuned": lambda: (
        "split",
        "fairface_input",
        {"attacks": ["inversion"], "trials": 3},
    ),
    "module_cifar10_attribute": lambda: (_reference_module(), "cifar10_attribute", {}),
}


def evaluate_like_the_reference(
    defense: privattack.Defense | str, suite: str, **extra: object
) -> privattack.Report:
    """An evaluation under the reference runs' conditions (the bundled data, smoke scale, seed
    0, no fit cache), so that a test can set its numbers beside a reference run's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PRIVATTACK_DATA", raising=False)
        return privattack.evaluate(
            defense, suite, scale="smoke", seed=0, progress=False, cache=False, **extra
        )


@pytest.fixture(scope="session")
def reference_run() -> Callable[[str], privattack.Report]:
    """``reference_run(name)``: that reference evaluation, run once per session."""
    done: dict[str, privattack.Report] = {}

    def run(name: str) -> privattack.Report:
        if name not in done:
            defense, suite, extra = REFERENCE_RUNS[name]()
            done[name] = evaluate_like_the_reference(defense, suite, **extra)
        return done[name]

    return run
