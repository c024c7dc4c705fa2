"""Catalogue, tuning studies: a stored study of another setup is refused before anything trains,
and a worker that dies in the defaults' trial does not leave the study without it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch.nn.functional as F
from helpers import register_nearest
from torch import Tensor

import privattack
from privattack import suites
from privattack.errors import TuningError
from privattack.registry import attacks
from privattack.tuning import journal_storage


class Pooled:
    """A defense that trains (it counts how often): the image average-pooled by 4."""

    fits = 0

    def fit(self, task: object, train: object, budget: object) -> None:
        type(self).fits += 1

    def release(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 4)


@pytest.fixture
def flaky() -> Iterator[dict[str, bool]]:
    """A nearest-neighbour attack that dies in its next call when told to (a dying worker)."""
    dies: dict[str, bool] = {}
    register_nearest("flaky", [], dies)
    yield dies
    attacks.unregister("flaky")


@pytest.fixture
def suite(flaky: dict[str, bool]) -> privattack.suites.Suite:
    return dataclasses.replace(suites.load("fairface_input"), attacks={"flaky": {}})


def test_a_study_of_another_setup_is_refused_before_the_fit(
    suite: privattack.suites.Suite, tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    common = {"scale": "smoke", "storage": storage, "study": "s", "progress": False}
    privattack.evaluate(Pooled(), suite, trials=1, **common)
    fits = Pooled.fits
    with pytest.raises(TuningError, match=r"study 's.flaky' was made for another setup .*seed"):
        privattack.evaluate(Pooled(), suite, trials=1, **{**common, "seed": 1})
    assert Pooled.fits == fits  # refused before the defense trained


def test_the_defaults_run_again_after_a_worker_died_in_them(
    suite: privattack.suites.Suite, flaky: dict[str, bool], tmp_path: Path
) -> None:
    common = {"scale": "smoke", "study": "s", "progress": False}
    flaky["now"] = True  # the first trial (the defaults) dies
    with pytest.raises(RuntimeError, match="the worker died"):
        privattack.evaluate(
            Pooled(), suite, trials=2, storage=journal_storage(tmp_path / "s.log"), **common
        )
    report = privattack.evaluate(
        Pooled(), suite, trials=2, storage=journal_storage(tmp_path / "s.log"), **common
    )
    tuning = report.leakage["flaky"].tuning
    assert tuning is not None and tuning.default_validation is not None


def test_a_study_of_a_suite_with_the_same_name_but_another_budget_is_refused(
    suite: privattack.suites.Suite, tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    common = {"scale": "smoke", "storage": storage, "study": "s", "progress": False}
    privattack.evaluate(Pooled(), suite, trials=1, **common)
    smoke = dataclasses.replace(suite.budget("smoke"), attack_epochs=2)
    other = dataclasses.replace(suite, scales={**suite.scales, "smoke": smoke})
    assert other.name == suite.name and other.version == suite.version
    with pytest.raises(TuningError, match=r"made for another setup .*suite_digest"):
        privattack.evaluate(Pooled(), other, trials=1, **common)
