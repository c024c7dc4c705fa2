"""Tuning: the inner split, honest data access, default-versus-tuned reports, stored studies."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch.nn.functional as F
from conftest import REPO, cli
from helpers import register_nearest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor

import privattack
from privattack import suites
from privattack.attacks import AttackInputs
from privattack.errors import TuningError
from privattack.prepare import prepare
from privattack.registry import attacks, defenses
from privattack.render import to_html, to_markdown
from privattack.run import RunContext
from privattack.searchspace import SearchParam
from privattack.tuning import FINISHED, default_params, inner_split, journal_storage, suggest, tune

SUITE_FILE = REPO / "tests" / "suite_files" / "tune_smoke.toml"


@given(n=st.integers(4, 5000), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_inner_split_partitions_attack_train(n: int, seed: int) -> None:
    fit, val = inner_split(n, seed)
    assert len(np.intersect1d(fit, val)) == 0
    assert sorted([*fit, *val]) == list(range(n))
    assert len(val) >= 2 and len(fit) >= 2
    assert np.array_equal(inner_split(n, seed)[1], val)


def test_inner_split_needs_four_images() -> None:
    with pytest.raises(TuningError, match="at least 4 attack_train images"):
        inner_split(3, 0)


def test_suggest_draws_inside_the_space() -> None:
    space = {
        "lr": SearchParam(1e-4, 1e-2, log=True),
        "k": SearchParam(1, 4),
        "loss": SearchParam(choices=("l1", "mse")),
    }
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        params = suggest(study.ask(), space)
        assert 1e-4 <= params["lr"] <= 1e-2
        assert isinstance(params["k"], int) and 1 <= params["k"] <= 4
        assert params["loss"] in ("l1", "mse")


def test_defaults_outside_the_space_are_left_to_the_sampler() -> None:
    space = {"lr": SearchParam(0.5, 0.9), "width": SearchParam(choices=(32, 64))}
    assert default_params("decoder", space) == {"width": 64}


class _Pooled:
    """A deterministic defense without training: the image average-pooled by 4."""

    def release(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 4)


@pytest.fixture
def nearest() -> Iterator[list[AttackInputs]]:
    """A real attack registered for the test: k-nearest neighbours in z, recording its data."""
    calls: list[AttackInputs] = []
    register_nearest("nearest", calls, {})
    yield calls
    attacks.unregister("nearest")


@pytest.fixture
def nearest_suite(nearest: list[AttackInputs]) -> privattack.suites.Suite:
    return dataclasses.replace(suites.load("fairface_input"), attacks={"nearest": {}})


def _rows(z: Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in z.flatten(1)}


def test_tuning_never_sees_attack_test(
    nearest: list[AttackInputs], nearest_suite: privattack.suites.Suite
) -> None:
    report = privattack.evaluate(_Pooled(), nearest_suite, scale="smoke", trials=5, progress=False)
    n_train = report.data["n"]["attack_train"]
    final = [d for d in nearest if len(d.z_train) == n_train]
    trials = [d for d in nearest if len(d.z_train) != n_train]
    assert 1 <= len(final) <= 2  # the defaults, and the best parameters when they differ
    assert len(trials) == 5
    train_rows, test_rows = _rows(final[0].z_train), _rows(final[0].z_test)
    for data in trials:
        fit, val = _rows(data.z_train), _rows(data.z_test)
        assert fit | val <= train_rows  # only attack_train...
        assert not (fit | val) & test_rows  # ...never attack_test
        assert not fit & val  # the inner validation split is held out of training
        assert data.secret_train.shape[0] == len(data.z_train) < n_train


def test_report_shows_default_and_tuned_scores(
    nearest: list[AttackInputs], nearest_suite: privattack.suites.Suite
) -> None:
    report = privattack.evaluate(_Pooled(), nearest_suite, scale="smoke", trials=6, progress=False)
    leak = report.leakage["nearest"]
    assert leak.tuning is not None and leak.tuning.trials == 6
    assert leak.tuning.best_validation >= leak.tuning.default_validation  # defaults go first
    assert set(leak.default) == set(leak.metrics) >= {"ssim", "psnr", "l1", "iip_top1"}
    assert leak.params["k"] == leak.tuning.best_params["k"]
    saved = report.to_dict()["leakage"]["nearest"]["tuning"]
    assert saved["default"]["ssim"]["mean"] == leak.default["ssim"].mean
    assert saved["trials"] == 6 and saved["study"] is None
    assert "default params" in report.summary() and "tuned: 6 trials" in report.summary()
    default_ssim = f"{leak.default['ssim'].mean:.3f}"
    assert f"| ssim | {leak.ssim.mean:.3f}" in to_markdown(report)
    assert default_ssim in to_markdown(report)
    assert "<h2>Tuning</h2>" in to_html(report) and "6 trials" in to_html(report)
    untuned = privattack.evaluate(_Pooled(), nearest_suite, scale="smoke", progress=False)
    assert untuned.leakage["nearest"].tuning is None  # smoke scale: trials = 0
    assert untuned.leakage["nearest"].ssim == leak.default["ssim"]


def test_a_journal_study_resumes_and_refuses_another_setup(
    nearest: list[AttackInputs], nearest_suite: privattack.suites.Suite, tmp_path: Path
) -> None:
    journal = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.log"))
    )
    common = {"scale": "smoke", "storage": journal, "study": "s", "progress": False}
    first = privattack.evaluate(_Pooled(), nearest_suite, trials=2, **common)
    assert first.leakage["nearest"].tuning.trials == 2
    before = len(nearest)
    resumed = privattack.evaluate(_Pooled(), nearest_suite, trials=4, **common)
    assert resumed.leakage["nearest"].tuning.trials == 4
    assert resumed.leakage["nearest"].tuning.study == "s.nearest @ JournalStorage"
    n_train = resumed.data["n"]["attack_train"]
    assert len([d for d in nearest[before:] if len(d.z_train) < n_train]) == 2  # the new two
    best_only = privattack.evaluate(_Pooled(), nearest_suite, trials=0, **common)
    assert best_only.leakage["nearest"].params == resumed.leakage["nearest"].params
    with pytest.raises(TuningError, match=r"another setup .*seed"):
        privattack.evaluate(_Pooled(), nearest_suite, trials=4, **{**common, "seed": 1})
    with pytest.raises(TuningError, match="no finished trial"):
        privattack.evaluate(_Pooled(), nearest_suite, trials=0, **{**common, "study": "new"})
    with pytest.raises(TuningError, match=r"both storage .* and study"):
        privattack.evaluate(_Pooled(), nearest_suite, scale="smoke", trials=1, study="x")


def test_a_resumed_study_draws_new_parameters(tmp_path: Path) -> None:
    """A stopped evaluation's study resumed with the run's seeded sampler must not draw again
    the parameters its first trials drew (the sampler's stream restarts with the process)."""
    lr_only = {"decoder": {"lr": SearchParam(1e-4, 1e-2, log=True)}}  # holds the default
    suite = dataclasses.replace(suites.load(SUITE_FILE), attacks=lr_only)
    prepared = prepare(defenses.get("split"), suite, scale="smoke")
    journal = journal_storage(tmp_path / "studies.log")
    for trials in (2, 6):  # stopped after 2 trials (the defaults and a random one), resumed
        tune(prepared, "decoder", RunContext(), trials=trials, storage=journal, study="s")
    drawn = optuna.load_study(study_name="s.decoder", storage=journal).get_trials(states=FINISHED)
    assert len(drawn) == 6
    assert len({t.params["lr"] for t in drawn}) == 6


def test_a_bad_storage_url_is_a_clear_error(
    nearest: list[AttackInputs], nearest_suite: privattack.suites.Suite
) -> None:
    with pytest.raises(TuningError, match=r"not a URL.*Optuna storage object"):
        privattack.evaluate(
            _Pooled(), nearest_suite, scale="smoke", trials=1, storage="db.sqlite", study="s"
        )


def _finished(storage: str, study: str) -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name=study, storage=storage).get_trials(states=FINISHED)
    except KeyError:  # not created yet
        return []


def _tune_command(storage: str, trials: int) -> list[str]:
    script = Path(sys.executable).with_name("privattack")
    return [
        str(script),
        "tune",
        "--defense",
        "split",
        "--suite",
        str(SUITE_FILE),
        "--scale",
        "smoke",
        "--attack",
        "decoder",
        "--trials",
        str(trials),
        "--storage",
        storage,
        "--study",
        "s",
        "--quiet",
    ]


@pytest.mark.slow
def test_killed_worker_loses_no_finished_trial(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    worker = subprocess.Popen(_tune_command(storage, 8), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(_finished(storage, "s.decoder")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    survived = {t.number: (t.params, t.value) for t in _finished(storage, "s.decoder")}
    assert len(survived) >= 2
    resumed = subprocess.run(_tune_command(storage, 8), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    after = {t.number: (t.params, t.value) for t in _finished(storage, "s.decoder")}
    assert len(after) == 8
    assert all(after[n] == kept for n, kept in survived.items())
    assert "decoder" in resumed.stdout and "best parameters" in resumed.stdout


@pytest.mark.slow
def test_two_workers_share_one_postgresql_study() -> None:
    url = os.environ.get("PRIVATTACK_TEST_POSTGRES")
    if not url:
        pytest.skip("set PRIVATTACK_TEST_POSTGRES to a PostgreSQL URL (.ci/run starts one)")
    study = f"s{os.getpid()}{time.time_ns()}"  # fresh each run: the database persists
    command = [c if c != "s" else study for c in _tune_command(url, 8)]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    finished = _finished(url, f"{study}.decoder")
    assert 8 <= len(finished) <= 9  # a worker may finish the trial it started at the limit
    assert len({t.user_attrs["worker"] for t in finished}) == 2


def test_tune_command_needs_storage() -> None:
    result = cli("tune", "--defense", "split", "--suite", "fairface_input")
    assert result.returncode == 2 and "--storage" in result.stderr


def test_the_hybrid_starts_from_the_decoder_its_evaluation_tuned(tmp_path: Path) -> None:
    """Tuning composes: the hybrid's decoder knobs are the decoder attack's tuned choice (it
    starts from the very decoder the report scores), and its trials search only the rest."""
    suite = tmp_path / "hybrid_tune.toml"
    suite.write_text(
        SUITE_FILE.read_text().replace(
            "[scales.smoke]",
            "[attacks.hybrid]\nlr = { low = 1e-3, high = 0.1, log = true }\n"
            "decoder_lr = { low = 1e-4, high = 1e-2, log = true }\n\n"
            "[scales.smoke]\niterations = 20\ninvert_images = 4",
        )
    )
    report = privattack.evaluate("split", suite, scale="smoke", trials=3, progress=False)
    decoder, hybrid = report.leakage["decoder"], report.leakage["hybrid"]
    assert decoder.tuning is not None and hybrid.tuning is not None
    chosen = decoder.tuning.best_params
    assert set(chosen) == {"lr", "width"}
    assert (hybrid.params["decoder_lr"], hybrid.params["decoder_width"]) == (
        chosen["lr"],
        chosen["width"],
    )
    assert set(hybrid.tuning.best_params) == {"lr"}  # decoder_lr was not its to search
