"""Tuning: Optuna searches an attack's hyper-parameters without ever seeing attack_test.

Each trial trains the attack on most of ``attack_train`` and scores it on the rest (the inner
validation split); a pruner (Optuna's median pruner unless one is given) stops trials that
trail as they learn. The first trial of a new study runs the attack's defaults, so tuning can
only match or beat them on validation. Studies live in memory, or in any Optuna storage shared
by many workers (SQLite, PostgreSQL, a journal file): a killed worker loses no finished trial.
Optuna's own sampler, pruner and storage objects are passed through unwrapped.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from torch import Tensor

from privattack.attacks.base import AttackInputs
from privattack.errors import TuningError
from privattack.heldout import held_out, validation_score
from privattack.metrics import primary
from privattack.prepare import Prepared
from privattack.registry import attacks as attack_registry
from privattack.report import Tuning
from privattack.run import RunContext
from privattack.searchspace import SearchParam
from privattack.suites import Suite

WARMUP_REPORTS = 3  # the default pruner never prunes before a trial has reported this often
STARTUP_TRIALS = 3  # nor before this many trials have finished
SETUP_KEY = "privattack_setup"
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
SCHEMA_ATTEMPTS = 5
Storage = str | optuna.storages.BaseStorage


def inner_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices into attack_train, fixed by ``seed``."""
    if n < 4:
        raise TuningError(
            f"tuning needs at least 4 attack_train images (2 to train, 2 to validate); got {n}."
        )
    return held_out(n, seed)


def inner_inputs(inputs: AttackInputs) -> tuple[AttackInputs, Tensor]:
    """What a tuning trial's attack receives: ``inputs`` with attack_train cut by
    ``inner_split`` (it trains on one part and is scored on the other, as its z_test), and the
    secrets of that validation part."""
    fit_idx, val_idx = inner_split(len(inputs.z_train), inputs.seed)
    inner = dataclasses.replace(
        inputs,
        z_train=inputs.z_train[fit_idx],
        z_test=inputs.z_train[val_idx],
        secret_train=inputs.secret_train[fit_idx],
    )
    return inner, inputs.secret_train[val_idx]


def suggest(trial: optuna.Trial, space: Mapping[str, SearchParam]) -> dict[str, Any]:
    """Draw one value per hyper-parameter of ``space`` (define-by-run)."""
    params: dict[str, Any] = {}
    for name, rule in space.items():
        if rule.choices is not None:
            params[name] = trial.suggest_categorical(name, list(rule.choices))
        elif isinstance(rule.low, int) and isinstance(rule.high, int):
            params[name] = trial.suggest_int(name, rule.low, rule.high, log=rule.log)
        else:
            assert rule.low is not None and rule.high is not None  # the suite parser ensures it
            params[name] = trial.suggest_float(name, rule.low, rule.high, log=rule.log)
    return params


def default_params(attack: str, space: Mapping[str, SearchParam]) -> dict[str, Any]:
    """The attack's default value of each searched hyper-parameter that lies in ``space``
    (a space that excludes a default leaves it to the sampler)."""
    config = attack_registry.factory(attack).Config()
    defaults = {name: getattr(config, name) for name in space}
    return {name: value for name, value in defaults.items() if space[name].contains(value)}


def open_storage(storage: Storage | None) -> optuna.storages.BaseStorage | None:
    """The Optuna storage behind ``storage``: None (memory), an Optuna storage object as it is,
    or a SQLAlchemy URL (``sqlite:///f.db``, ``postgresql://...``)."""
    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if "://" not in storage:
        raise TuningError(
            f"storage {storage!r} is not a URL; use sqlite:///FILE.db or "
            "postgresql://USER@HOST/DB, or pass an Optuna storage object (e.g. a JournalStorage)."
        )
    import sqlalchemy.exc

    attempts = 0
    while True:
        try:
            return _rdb_storage(storage)
        except ImportError as error:
            raise TuningError(
                f"storage {storage_label(storage)} needs a database driver that is not "
                "installed (PostgreSQL: pip install 'privattack[postgresql]')."
            ) from error
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            # Workers starting together on an empty database race to create Optuna's
            # tables; the loser finds them made on its next try.
            attempts += 1
            if attempts == SCHEMA_ATTEMPTS:
                raise TuningError(
                    f"cannot open storage {storage_label(storage)}: {error}"
                ) from error
            time.sleep(0.5 * attempts)
        except Exception as error:  # SQLAlchemy raises many types: all mean "cannot use it"
            raise TuningError(f"cannot open storage {storage_label(storage)}: {error}") from error


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    # The heartbeat marks a killed worker's trial as failed, so it never blocks the study.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=120)


def storage_label(storage: Storage) -> str:
    """How a storage is named in reports and messages: a URL with its password hidden."""
    if isinstance(storage, optuna.storages.BaseStorage):
        return type(storage).__name__
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(storage).render_as_string(hide_password=True)
    except ArgumentError:
        return storage


def study_setup(
    suite: Suite,
    scale: str,
    seed: int,
    defense_info: Mapping[str, Any],
    attack_train: str,
    attack: str,
) -> dict[str, Any]:
    """What a stored study is tied to (``attack_train``: that split's fingerprint): a study
    made for another setup is refused."""
    setup = {
        "suite": suite.name,
        "suite_version": suite.version,
        "suite_digest": suite.digest,
        "scale": scale,
        "seed": seed,
        "defense": {k: defense_info.get(k) for k in ("name", "params")},
        "attack_train": attack_train,
        "attack": attack,
    }
    return json_ready(setup)


def _setup_of(prepared: Prepared, attack: str) -> dict[str, Any]:
    return study_setup(
        prepared.suite,
        prepared.scale,
        prepared.seed,
        prepared.defense_info,
        prepared.attack_train.fingerprint,
        attack,
    )


def _refuse_other_setup(name: str | None, found: Any, setup: Mapping[str, Any]) -> None:
    if found == dict(setup):
        return
    differ = sorted(k for k in {*found, *setup} if found.get(k) != setup.get(k))
    raise TuningError(
        f"study {name!r} was made for another setup (it differs in {', '.join(differ)}: "
        f"study {[found.get(k) for k in differ]}, this run {[setup.get(k) for k in differ]}); "
        "use another --study name."
    )


def check_stored_studies(
    storage: Storage, study: str, setups: Mapping[str, Mapping[str, Any]]
) -> None:
    """Refuse, before any training, a stored study ``{study}.{attack}`` made for another setup
    (``setups``: attack -> its setup); studies not made yet are fine."""
    opened = open_storage(storage)
    assert opened is not None  # a storage was given
    existing = {s.study_name: s for s in opened.get_all_studies()}
    for attack, setup in setups.items():
        name = f"{study}.{attack}"
        if name in existing and SETUP_KEY in existing[name].user_attrs:
            _refuse_other_setup(name, existing[name].user_attrs[SETUP_KEY], setup)


def json_ready(value: Any) -> Any:
    """``value`` as a storage gives it back (tuples become lists, objects strings)."""
    return json.loads(json.dumps(value, default=str))


def _open_study(
    name: str | None,
    storage: optuna.storages.BaseStorage | None,
    setup: Mapping[str, Any],
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
) -> optuna.Study:
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        load_if_exists=True,
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
    )
    found = study.user_attrs.get(SETUP_KEY)
    if found is None and study.trials:
        raise TuningError(f"study {name!r} was not made by privattack; choose another name.")
    if found is None:
        study.set_user_attr(SETUP_KEY, dict(setup))
    else:
        _refuse_other_setup(name, found, setup)
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


def default_sampler(seed: int, trials: int) -> optuna.samplers.BaseSampler:
    """A seeded TPE sampler that starts with a few random trials (up to half the budget)."""
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(2, min(10, trials // 2)))


def default_pruner(prune: bool) -> optuna.pruners.BasePruner:
    """Optuna's median pruner after a warm-up, or none."""
    if not prune:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=STARTUP_TRIALS, n_warmup_steps=WARMUP_REPORTS
    )


def search_space(prepared: Prepared, attack: str) -> dict[str, SearchParam]:
    """The suite's search space for ``attack``, else the one the attack declares."""
    declared = getattr(attack_registry.factory(attack), "search_space", {})
    return dict(prepared.suite.attacks.get(attack) or declared)


def tune(
    prepared: Prepared,
    attack: str,
    context: RunContext,
    *,
    trials: int,
    storage: Storage | None = None,
    study: str | None = None,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    prune: bool = True,
    fixed: Mapping[str, Any] | None = None,
) -> Tuning:
    """Tune ``attack`` on attack_train alone until its study holds ``trials`` finished trials.

    Args:
        context: the run's seed (the inner split, the default sampler's seed), device, progress.
        fixed: knobs every trial keeps (left out of the search space): what the attack takes
            from another attack of the run (``inherited``, the hybrid's decoder).
        trials: finished trials wanted in the study; 0 only reads a stored study's best.
        storage: None (in memory), an Optuna storage, or a URL; ``study`` names the study
            (one per attack: ``{study}.{attack}``). A stored study made for another setup
            (suite content, scale, seed, defense, attack_train) is refused.
        sampler, pruner: Optuna's, used as given; default a seeded TPE sampler (on a resumed
            study, seeded also by its number of trials, so it does not redraw them) and,
            unless ``prune`` is off, a median pruner.
    """
    fixed = dict(fixed or {})
    space = {k: v for k, v in search_space(prepared, attack).items() if k not in fixed}
    if not space:
        raise TuningError(f"attack {attack!r} has no search space in this suite.")
    if (storage is None) != (study is None):
        raise TuningError("a stored study needs both storage (a URL) and study (a name).")
    start = time.perf_counter()
    base = prepared.attack_inputs(attack, dataclasses.replace(context, progress=False))
    seed = context.seed_for(f"tune:{attack}")
    pruner = pruner or default_pruner(prune)
    name = None if study is None else f"{study}.{attack}"
    with _optuna_logging(context.progress):
        tuning_study = _open_study(
            name,
            open_storage(storage),
            _setup_of(prepared, attack),
            sampler or default_sampler(seed, trials),
            pruner,
        )
    if sampler is None and tuning_study.trials:
        # A resumed study: seeded as at its start, the sampler would draw again what its first
        # trials drew; seeded by how far the study got, it draws new parameters.
        resumed = (seed + len(tuning_study.trials)) % 2**32
        tuning_study.sampler = default_sampler(resumed, trials)
    inner, secret_val = inner_inputs(base)
    _enqueue_defaults(tuning_study, default_params(attack, space))
    objective = _objective(attack, space, inner, secret_val, fixed)
    finished = len(tuning_study.get_trials(deepcopy=False, states=FINISHED))
    if trials > finished:
        with _optuna_logging(context.progress):
            tuning_study.optimize(
                objective,
                n_trials=trials - finished,
                callbacks=[optuna.study.MaxTrialsCallback(trials, states=FINISHED)],
            )
    metric = primary(prepared.target.kind).name
    label = None if storage is None else f"{name} @ {storage_label(storage)}"
    return _summary(tuning_study, label, metric, time.perf_counter() - start)


def _enqueue_defaults(study: optuna.Study, defaults: dict[str, Any]) -> None:
    """Queue the defaults' trial until one has finished: a worker killed during it (its trial
    left RUNNING, or failed as stale) must not leave the study without it."""
    with warnings.catch_warnings():  # the RDB storages' heartbeat fails dead workers' trials
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    if not defaults:
        return
    kept = (*FINISHED, optuna.trial.TrialState.WAITING)
    if not any(t.user_attrs.get("default") for t in study.get_trials(False, states=kept)):
        study.enqueue_trial(defaults, user_attrs={"default": True})


def journal_storage(path: str | os.PathLike[str]) -> optuna.storages.JournalStorage:
    """Optuna's journal storage in the file ``path``, refused when the file ends in a torn
    line (a writer killed mid-line): Optuna would append after it and the study would never
    be readable again."""
    file = Path(path)
    if file.exists():
        with file.open("rb") as handle:
            lines = handle.read().split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            torn = number == len(lines)  # the text after the last newline
            try:
                json.loads(line)
            except ValueError:
                torn = True
            if torn:
                raise TuningError(
                    f"{file}:{number}: a torn or corrupt journal line (a worker killed while "
                    "writing it?); the study cannot be resumed safely. Remove that line, or "
                    "restore the file from a copy."
                )
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(file)))


def _objective(
    attack: str,
    space: Mapping[str, SearchParam],
    inner: AttackInputs,
    secret_val: Tensor,
    fixed: Mapping[str, Any],
) -> Any:
    """One trial: draw parameters (beside the ``fixed`` ones), train on the inner split, score
    on its validation part."""

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        params = suggest(trial, space)
        reports = 0

        def monitor(step: int, outputs: Tensor) -> None:
            nonlocal reports
            reports += 1
            trial.report(validation_score(outputs, secret_val, inner.target), reports)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = attack_registry.get(attack, **fixed, **params).run(
            dataclasses.replace(inner, monitor=monitor)
        )
        return validation_score(result.outputs, secret_val, inner.target)

    return objective


def _summary(study: optuna.Study, label: str | None, metric: str, seconds: float) -> Tuning:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        where = f" {label}" if label else ""
        raise TuningError(
            f"study{where} has no finished trial to take the best parameters from; "
            "run more trials (--trials N, or `privattack tune`)."
        )
    best = max(complete, key=lambda t: t.value)  # type: ignore[arg-type, return-value]
    default = next((t.value for t in complete if t.user_attrs.get("default")), None)
    pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
    first = min(t.datetime_start for t in study.trials if t.datetime_start is not None)
    assert best.datetime_complete is not None  # a complete trial has an end
    return Tuning(
        best_params=dict(best.params),
        metric=metric,
        best_validation=float(best.value),  # type: ignore[arg-type]
        default_validation=default,
        trials=len(complete) + len(pruned),
        pruned=len(pruned),
        seconds=round(seconds, 3),
        seconds_to_best=round((best.datetime_complete - first).total_seconds(), 3),
        study=label,
    )


def worker_seed(seed: int) -> int:
    """A sampler seed for one of several workers sharing a study (differs per process)."""
    return (seed * 1_000_003 + os.getpid()) % 2**32
