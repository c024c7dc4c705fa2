"""Tuning: Optuna searches an attack's hyper-parameters without ever seeing attack_test.

Each trial trains the attack on most of ``attack_train`` and scores it on the rest (the inner
validation split); a median pruner stops trials that trail as they learn. The first trial of a
new study runs the attack's defaults, so tuning can only match or beat them on validation.
Studies live in memory, or in storage shared by many workers (SQLite, a journal file,
PostgreSQL): a killed worker loses no finished trial.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import sqlalchemy.exc
import torch
from torch import Tensor

from privattack.attacks.base import AttackData
from privattack.errors import TuningError
from privattack.metrics import ssim
from privattack.registry import attacks as attack_registry
from privattack.suite import SearchParam

VALIDATION_FRACTION = 0.2
WARMUP_REPORTS = 3  # a trial is never pruned before it has reported this often
STARTUP_TRIALS = 3  # nor before this many trials have finished
SETUP_KEY = "privattack_setup"
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
SCHEMA_ATTEMPTS = 5


@dataclass(frozen=True)
class TrainSplit:
    """What tuning may look at: ``attack_train``'s activations, images and secret labels."""

    z: Tensor
    x: Tensor
    y: Tensor | None  # sensitive labels (attribute suites)


@dataclass(frozen=True)
class Tuned:
    """The outcome of one attack's study, for the report."""

    best_params: dict[str, Any]
    metric: str  # "ssim" or "accuracy", measured on the inner validation split
    best_validation: float
    default_validation: float | None  # None when the defaults' trial was pruned or absent
    trials: int  # finished (complete or pruned) trials in the study
    pruned: int
    seconds: float  # spent by this process on the study
    seconds_to_best: float  # from the study's first trial start to the best trial's end
    study: str | None  # "name @ storage", passwords hidden; None in memory

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def inner_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices into attack_train, fixed by ``seed``."""
    n_val = max(2, round(n * VALIDATION_FRACTION))
    if n - n_val < 2:
        raise TuningError(
            f"tuning needs at least 4 attack_train images (2 to train, 2 to validate); got {n}."
        )
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def suggest(trial: optuna.Trial, space: Mapping[str, SearchParam]) -> dict[str, Any]:
    """Draw one value per hyper-parameter of ``space`` (define-by-run)."""
    params: dict[str, Any] = {}
    for name, rule in space.items():
        if rule.choices is not None:
            params[name] = trial.suggest_categorical(name, list(rule.choices))
        elif isinstance(rule.low, int) and isinstance(rule.high, int):
            params[name] = trial.suggest_int(name, rule.low, rule.high, log=rule.log)
        else:
            assert rule.low is not None and rule.high is not None
            params[name] = trial.suggest_float(name, rule.low, rule.high, log=rule.log)
    return params


def default_params(attack: str, space: Mapping[str, SearchParam]) -> dict[str, Any]:
    """The attack's default value of each searched hyper-parameter that lies in ``space``."""
    config = attack_registry.factory(attack).Config()
    defaults = {name: getattr(config, name) for name in space}
    for name, rule in space.items():
        value = defaults[name]
        inside = (
            value in rule.choices
            if rule.choices is not None
            else value is not None and rule.low <= value <= rule.high  # type: ignore[operator]
        )
        if not inside:
            defaults.pop(name)  # the space excludes the default: the sampler draws it
    return defaults


def validation_score(outputs: Tensor, x_val: Tensor, y_val: Tensor | None) -> float:
    """Mean SSIM of reconstructions, or accuracy of logits, on the inner validation split."""
    if not torch.isfinite(outputs).all():
        return float("nan")  # a diverged trial: Optuna records it as failed
    n = len(outputs)
    if y_val is None:
        return ssim(outputs, x_val[:n]).mean().item()
    return (outputs.argmax(1) == y_val[:n]).double().mean().item()


def open_storage(url: str | None) -> optuna.storages.BaseStorage | None:
    """The Optuna storage behind ``url``: None (memory), ``sqlite:///f.db``,
    ``postgresql://...`` (any SQLAlchemy URL), or ``journal:PATH`` (an append-only file)."""
    if url is None:
        return None
    if url.startswith("journal:"):
        path = url.removeprefix("journal:").removeprefix("//")
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    if "://" not in url:
        raise TuningError(
            f"storage {url!r} is not a URL; use sqlite:///FILE.db, postgresql://USER@HOST/DB "
            "or journal:FILE."
        )
    attempts = 0
    while True:
        try:
            return _rdb_storage(url)
        except ImportError as error:
            raise TuningError(
                f"storage {redact(url)} needs a database driver that is not installed "
                "(PostgreSQL: pip install 'privattack[postgresql]')."
            ) from error
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            # Workers starting together on an empty database race to create Optuna's
            # tables; the loser finds them made on its next try.
            attempts += 1
            if attempts == SCHEMA_ATTEMPTS:
                raise TuningError(f"cannot open storage {redact(url)}: {error}") from error
            time.sleep(0.5 * attempts)
        except Exception as error:  # SQLAlchemy raises many types: all mean "cannot use it"
            raise TuningError(f"cannot open storage {redact(url)}: {error}") from error


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    # The heartbeat marks a killed worker's trial as failed, so it never blocks the study.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=120)


def redact(url: str) -> str:
    """``url`` with any password replaced by ***."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def _open_study(
    name: str | None,
    storage: optuna.storages.BaseStorage | None,
    setup: Mapping[str, Any],
    sampler_seed: int,
    prune: bool,
    trials: int,
) -> optuna.Study:
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        load_if_exists=True,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(
            seed=sampler_seed, n_startup_trials=max(2, min(10, trials // 2))
        ),
        pruner=optuna.pruners.MedianPruner(
            n_startup_trials=STARTUP_TRIALS, n_warmup_steps=WARMUP_REPORTS
        )
        if prune
        else optuna.pruners.NopPruner(),
    )
    found = study.user_attrs.get(SETUP_KEY)
    if found is None and study.trials:
        raise TuningError(f"study {name!r} was not made by privattack; choose another name.")
    if found is None:
        study.set_user_attr(SETUP_KEY, dict(setup))
    elif found != dict(setup):
        differ = sorted(k for k in {*found, *setup} if found.get(k) != setup.get(k))
        raise TuningError(
            f"study {name!r} was made for another setup (it differs in {', '.join(differ)}: "
            f"study {[found.get(k) for k in differ]}, this run {[setup.get(k) for k in differ]}); "
            "use another --study name."
        )
    return study


@contextmanager
def _optuna_logging(progress: bool) -> Iterator[None]:
    """Optuna logs each trial when progress is wanted, only warnings otherwise."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if progress else optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def tune_attack(
    attack: str,
    space: Mapping[str, SearchParam],
    train: TrainSplit,
    base: AttackData,
    setup: Mapping[str, Any],
    *,
    trials: int,
    storage: str | None = None,
    study: str | None = None,
    prune: bool = True,
    sampler_seed: int = 0,
    progress: bool = False,
) -> Tuned:
    """Search ``space`` for ``attack`` until the study holds ``trials`` finished trials.

    Args:
        train: attack_train only; the inner split of it is drawn from ``base.seed``.
        base: the attack's budget (epochs, iterations, device, seed); its tensors are replaced.
        setup: what the study must belong to (suite, scale, seed, defense, split fingerprints);
            a stored study made for another setup is refused.
        trials: finished trials wanted in the study; 0 only reads a stored study's best.
        storage: None (in memory) or a URL (see ``open_storage``); ``study`` names the study.
        sampler_seed: seeds TPE; workers sharing a study pass different ones.
        progress: let Optuna log each trial.
    """
    if not space:
        raise TuningError(f"attack {attack!r} has no search space in this suite.")
    if (storage is None) != (study is None):
        raise TuningError("a stored study needs both storage (a URL) and study (a name).")
    start = time.perf_counter()
    with _optuna_logging(progress):
        tuning_study = _open_study(
            study, open_storage(storage), setup, sampler_seed, prune, max(trials, 1)
        )
    fit_idx, val_idx = inner_split(len(train.z), base.seed)
    x_val = train.x[val_idx]
    y_val = None if train.y is None else train.y[val_idx]
    inner = dataclasses.replace(
        base,
        z_train=train.z[fit_idx],
        z_test=train.z[val_idx],
        x_train=train.x[fit_idx],
        y_train=None if train.y is None else train.y[fit_idx],
    )
    defaults = default_params(attack, space)
    if not tuning_study.trials and defaults:
        tuning_study.enqueue_trial(defaults, user_attrs={"default": True}, skip_if_exists=True)

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        params = suggest(trial, space)
        reports = 0

        def monitor(step: int, outputs: Tensor) -> None:
            nonlocal reports
            reports += 1
            trial.report(validation_score(outputs, x_val, y_val), reports)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = attack_registry.get(attack, **params).run(
            dataclasses.replace(inner, monitor=monitor)
        )
        return validation_score(result.outputs, x_val, y_val)

    finished = len(tuning_study.get_trials(deepcopy=False, states=FINISHED))
    if trials > finished:
        with _optuna_logging(progress):
            tuning_study.optimize(
                objective,
                n_trials=trials - finished,
                callbacks=[optuna.study.MaxTrialsCallback(trials, states=FINISHED)],
            )
    metric = "ssim" if train.y is None else "accuracy"
    return _summary(tuning_study, study, storage, metric, time.perf_counter() - start)


def _summary(
    study: optuna.Study, name: str | None, storage: str | None, metric: str, seconds: float
) -> Tuned:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        where = f" {name!r} in {redact(storage)}" if storage else ""
        raise TuningError(
            f"study{where} has no finished trial to take the best parameters from; "
            "run more trials (--trials N, or `privattack tune`)."
        )
    best = max(complete, key=lambda t: t.value)  # type: ignore[arg-type, return-value]
    default = next((t.value for t in complete if t.user_attrs.get("default")), None)
    pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
    first = min(t.datetime_start for t in study.trials if t.datetime_start is not None)
    assert best.datetime_complete is not None
    return Tuned(
        best_params=dict(best.params),
        metric=metric,
        best_validation=float(best.value),  # type: ignore[arg-type]
        default_validation=default,
        trials=len(complete) + len(pruned),
        pruned=len(pruned),
        seconds=round(seconds, 3),
        seconds_to_best=round((best.datetime_complete - first).total_seconds(), 3),
        study=None if storage is None else f"{name} @ {redact(storage)}",
    )


def worker_seed(seed: int) -> int:
    """A sampler seed for one of several workers sharing a study (differs per process)."""
    return (seed * 1_000_003 + os.getpid()) % 2**32
