"""``evaluate``: the data flow, orchestrated.

suite -> splits -> fit -> released z (``prepare``) -> utility (``utility``) -> each attack run on
attack_train and scored on attack_test (``scoring``), tuned on an inner split of attack_train
when trials are asked for (``tuning``) -> null baselines (``nulls``), worst case, the suite's
verdicts -> a ``Report`` (written by ``render`` when ``out`` is given).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privattack import validate
from privattack.attacks.base import AttackInputs, Reconstructions, build_order, inherited
from privattack.errors import ArgumentError, UnknownNameError
from privattack.eta import plan
from privattack.manifest import manifest
from privattack.metrics import identity_leads, primary
from privattack.nulls import null_baselines
from privattack.prepare import Prepared, prepare, resolve_defense
from privattack.protocol import Defense, capabilities
from privattack.registry import attacks as attack_registry
from privattack.report import Leakage, Report, worst_case
from privattack.run import RunContext, derive_seed, rough
from privattack.samples import grid_samples
from privattack.scoring import score
from privattack.suites import Budget, Suite
from privattack.suites import load as load_suite
from privattack.utility import measure_utility
from privattack.validate import run_arguments

if TYPE_CHECKING:
    import optuna


@dataclasses.dataclass(frozen=True)
class TuningOptions:
    """How to tune: trials per attack (None: the scale's), where the studies live, and
    Optuna's sampler and pruner (default: seeded TPE, median pruner unless ``prune`` is off)."""

    trials: int | None = None
    storage: str | optuna.storages.BaseStorage | None = None
    study: str | None = None
    sampler: optuna.samplers.BaseSampler | None = None
    pruner: optuna.pruners.BasePruner | None = None
    prune: bool = True
    repeats: int | None = None  # seeds per attack's scored runs (None: the scale's)


def evaluate(
    defense: Defense | str,
    suite: Suite | str | Path,
    *,
    scale: str = "quick",
    data_root: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
    attacks: Sequence[str] | None = None,
    trials: int | None = None,
    repeats: int | None = None,
    refit: bool = False,
    storage: str | optuna.storages.BaseStorage | None = None,
    study: str | None = None,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    prune: bool = True,
    cache: bool = True,
    out: str | Path | None = None,
    progress: bool = True,
) -> Report:
    """Measure how much ``defense`` leaks on ``suite``, next to the utility it keeps.

    Args:
        defense: an object meeting the Defense protocol, or a registered name ("split", ...).
        suite: a suite name ("celeba_input"), a path to a suite file, or a loaded Suite.
        scale: "smoke" (seconds), "quick" (minutes on a CPU) or "paper" (a GPU).
        data_root: folder holding ``cifar10/``, ``celeba/``, ...; default ``$PRIVATTACK_DATA``,
            else the data bundled with privattack.
        seed: feeds every random choice (splits, training, tuning, bootstrap).
        device: where models train and run ("cpu", "cuda").
        attacks: run only these of the suite's attacks (default: all of them).
        trials: tuning trials per attack (default: the suite scale's ``trials``; 0: defaults
            only). Tuning sees attack_train alone; the best parameters are refitted on all of
            it and scored on attack_test, next to the defaults' score.
        repeats: train each attack's scored runs with this many seeds (default: the suite
            scale's ``repeats``, usually 1); each estimate is their average and its interval
            covers the seeds as well as the test images. Tuning runs once.
        refit: with repeats, fit the defense anew for each repeat (its own seeds, the same
            splits; a registered name is built again, an object deep-copied before its first
            fit), and attack each fit once: the intervals, utility's too, then cover the
            defense's training as well.
        storage, study: keep each attack's study in ``storage`` (a URL such as
            ``sqlite:///f.db`` or ``postgresql://...``, or an Optuna storage) under
            ``{study}.{attack}``, so a rerun resumes it and ``privattack tune`` workers share it.
        sampler, pruner: Optuna's own, used as given; ``prune=False`` turns the default
            median pruner off.
        cache: keep a defense fitted in this run, and what it released, in the fit cache
            (``$PRIVATTACK_CACHE``), and reuse them when an identical run comes again.
        out: a folder to write ``report.json``, ``report.html``, ``summary.md`` and
            ``reconstructions.png`` into.
        progress: show progress bars.

    Returns:
        The Report: ``report.utility``, ``report.leakage["decoder"].ssim``, ``report.worst_case``.
    """
    run_arguments(
        "evaluate", scale=scale, data_root=data_root, seed=seed, device=device, attacks=attacks,
        trials=trials, repeats=repeats, refit=refit, prune=prune, cache=cache, progress=progress,
    )  # fmt: skip
    tuning = TuningOptions(trials, storage, study, sampler, pruner, prune, repeats)
    validate.tuning(storage, study, sampler, pruner, "evaluate")
    spec = load_suite(suite)
    budget = spec.budget(scale)
    chosen = _chosen_attacks(spec, attacks)
    _check_out(out)
    given = defense
    defense, info = resolve_defense(defense)
    context = RunContext(seed, device, progress)
    fits = capabilities(defense).fit and not getattr(defense, "fitted", False)
    more_fits = _more_fits(given, defense, info["name"], fits, _repeats(budget, tuning), refit)
    runs_trials = budget.trials if trials is None else trials
    context.plan = plan(budget, info["name"], fits, chosen, runs_trials, 1 + len(more_fits))
    context.say(
        f"privattack: {info['name']} on {spec.name} ({scale} scale, seed {seed}): "
        + ("fit, " if fits else "")
        + f"release, utility, {len(chosen)} attack{'s' * (len(chosen) > 1)} "
        + f"({', '.join(chosen)}), {runs_trials} tuning trial{'s' * (runs_trials != 1)} each; "
        + f"{rough(sum(context.plan.values()))} on a 2-core CPU"
    )
    shared = {
        "scale": scale, "data_root": data_root, "seed": seed, "device": device,
        "progress": progress, "cache": cache, "context": context,
    }  # fmt: skip
    prepared = prepare(
        defense, spec, **shared, before_fit=_study_check(spec, scale, seed, chosen, tuning)
    )
    refits = [
        prepare(again, spec, **shared, defense_repeat=k)
        for k, again in enumerate(more_fits, start=1)
    ]
    return assess(prepared, chosen, tuning, context, out, refits)


def _more_fits(
    given: Defense | str,
    defense: Defense,
    name: str,
    fits: bool,
    repeats: int,
    refit: bool,
) -> list[Defense]:
    """With ``refit``, an unfitted copy of the defense for every repeat after the first."""
    if not refit or repeats == 1:
        return []
    if not fits:
        raise ArgumentError(
            f"refit=True fits the defense once per repeat, but {name!r} is not fitted by this "
            "run (it has no fit(), or says it is already fitted); leave refit off."
        )
    if isinstance(given, str):
        return [resolve_defense(given)[0] for _ in range(repeats - 1)]
    try:
        return [copy.deepcopy(defense) for _ in range(repeats - 1)]
    except Exception as error:
        raise ArgumentError(
            f"refit=True fits a deep copy of the defense per repeat, but {name!r} cannot be "
            f"copied ({type(error).__name__}: {error}); leave refit off."
        ) from error


def evaluate_activations(
    activations: Prepared | str | Path,
    *,
    data_root: str | Path | None = None,
    device: str = "cpu",
    attacks: Sequence[str] | None = None,
    trials: int | None = None,
    repeats: int | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    study: str | None = None,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    prune: bool = True,
    out: str | Path | None = None,
    progress: bool = True,
) -> Report:
    """Attack an activation benchmark (a folder ``privattack.export`` wrote, or what
    ``load_activations`` read from one) as ``evaluate`` attacks a live defense: the suite,
    scale and seed are the benchmark's. Other arguments as for ``evaluate``."""
    run_arguments(
        "evaluate_activations", data_root=data_root, device=device, attacks=attacks,
        trials=trials, repeats=repeats, prune=prune, progress=progress,
    )  # fmt: skip
    validate.tuning(storage, study, sampler, pruner, "evaluate_activations")
    if not isinstance(activations, Prepared):
        from privattack.activations import load_activations

        validate.path(activations, "activations", "evaluate_activations", optional=False)
        activations = load_activations(activations, data_root=data_root)
    chosen = _chosen_attacks(activations.suite, attacks)
    _check_out(out)
    tuning = TuningOptions(trials, storage, study, sampler, pruner, prune, repeats)
    fingerprints = activations.data_info["fingerprints"]
    check = _study_check(activations.suite, activations.scale, activations.seed, chosen, tuning)
    if check is not None:
        check(activations.defense_info, fingerprints)
    context = RunContext(activations.seed, device, progress)
    return assess(activations, chosen, tuning, context, out)


def _chosen_attacks(suite: Suite, attacks: Sequence[str] | None) -> list[str]:
    """The attacks to run, each after any it builds on (the hybrid after the decoder)."""
    chosen = list(suite.attacks) if attacks is None else list(attacks)
    for name in chosen:
        if name not in suite.attacks:
            raise UnknownNameError(f"attack of suite {suite.name!r}", name, suite.attacks)
    return build_order(chosen)


def _study_check(
    suite: Suite, scale: str, seed: int, chosen: Sequence[str], tuning: TuningOptions
) -> Callable[[dict[str, Any], dict[str, str]], None] | None:
    """With stored studies: a check, once the splits are drawn, that each is this setup's."""
    if tuning.storage is None or tuning.study is None:
        return None
    storage, study = tuning.storage, tuning.study

    def check(defense_info: dict[str, Any], fingerprints: dict[str, str]) -> None:
        from privattack.tuning import check_stored_studies, study_setup

        train = fingerprints["attack_train"]
        setups = {a: study_setup(suite, scale, seed, defense_info, train, a) for a in chosen}
        check_stored_studies(storage, study, setups)

    return check


def _check_out(out: str | Path | None) -> None:
    if out is not None:
        from privattack.render import check_report_folder

        check_report_folder(out)


def assess(
    prepared: Prepared,
    chosen: Sequence[str],
    tuning: TuningOptions,
    context: RunContext,
    out: str | Path | None = None,
    refits: Sequence[Prepared] = (),
) -> Report:
    """The second half of ``evaluate``: utility, every chosen attack, the report. ``refits``
    are further fits of the defense on the same splits: repeat k attacks the k-th fit."""
    context.seconds.update(prepared.seconds)
    fits = [prepared, *refits]
    with context.phase("utility"):
        utility, utility_source, utility_detail = measure_utility(fits, context)
    nulls = null_baselines(prepared, context)
    leakage: dict[str, Leakage] = {}
    skipped: dict[str, str] = {}
    reconstructions = {}
    scored_with: dict[str, dict[str, Any]] = {}  # attack -> the tuned knobs it scored with
    for name in chosen:
        factory = attack_registry.factory(name)
        missing = [cap for cap in factory.requires if not getattr(prepared.caps, cap)]
        if missing:
            skipped[name] = f"the defense has no {' or '.join(missing)} capability"
            continue
        fixed = inherited(factory, scored_with)
        leakage[name], result, scored_with[name] = _attack(fits, name, tuning, context, fixed)
        if isinstance(result, Reconstructions):
            reconstructions[name] = result.images
    kind = prepared.target.kind
    chosen_metrics, skipped_metrics = prepared.measured_metrics
    worst = worst_case(leakage, primary(kind))
    lead = identity_leads(chosen_metrics)
    identity = None if lead is None else worst_case(leakage, lead)
    params = {name: leak.params for name, leak in leakage.items()}
    samples, notes = grid_samples(prepared.attack_test.images, reconstructions, params, worst, lead)
    report = Report(
        suite=prepared.suite.name,
        suite_version=prepared.suite.version,
        scale=prepared.scale,
        seed=prepared.seed,
        defense=prepared.defense_info,
        data=prepared.data_info,
        utility=utility,
        utility_source=utility_source,
        utility_detail=utility_detail,
        leakage=leakage,
        null=nulls,
        worst_case=worst,
        skipped=skipped,
        manifest=manifest(context, prepared.caps, prepared.cache),
        thresholds=prepared.suite.thresholds,
        worst_identity=identity,
        skipped_metrics=skipped_metrics,
        samples=samples,
        sample_notes=notes,
        repeats=_repeats(prepared.budget, tuning),
        defense_fits=len(fits),
    )
    if out is not None:
        from privattack.render import write_report

        write_report(report, out)
    return report


def _repeats(budget: Budget, tuning: TuningOptions) -> int:
    """The seeds each attack's scored runs train with: the run's, else the scale's."""
    return budget.repeats if tuning.repeats is None else tuning.repeats


def _runs(name: str, params: dict[str, Any], inputs: Sequence[AttackInputs]) -> list[Any]:
    """Attack ``name`` run on each of ``inputs`` (one per repeat: the same, or each fit's), the
    first with its own seed, each other with a seed derived from it (so the hybrid attack's
    k-th run starts from the decoder's k-th)."""
    attack = attack_registry.get(name, **params)
    return [
        attack.run(dataclasses.replace(given, seed=derive_seed(given.seed, f"repeat {k}")))
        if k
        else attack.run(given)
        for k, given in enumerate(inputs)
    ]


def _attack(
    fits: Sequence[Prepared],
    name: str,
    tuning: TuningOptions,
    context: RunContext,
    fixed: dict[str, Any],
) -> tuple[Leakage, Any, dict[str, Any]]:
    """Run attack ``name`` with its defaults and, when tuning, with the best parameters too;
    each as many times as ``repeats`` asks (repeat k on the k-th of ``fits`` when the defense
    was fitted more than once), scored together; ``fixed`` knobs (what it inherits from an
    attack it builds on) stay as given. Tuning runs on the first fit. Returns the first run's
    result and the tuned knobs it scored with (none: its defaults)."""
    prepared = fits[0]
    repeats = _repeats(prepared.budget, tuning)
    inputs = [fits[k % len(fits)].attack_inputs(name, context) for k in range(repeats)]
    with context.phase(f"attack:{name}"):
        results = _runs(name, fixed, inputs)
        scored = score(name, results, prepared, context)
    trials = prepared.budget.trials if tuning.trials is None else tuning.trials
    if trials == 0 and tuning.storage is None:
        return scored, results[0], {}
    from privattack.tuning import tune

    with context.phase(f"tune:{name}"):
        tuned = tune(
            prepared,
            name,
            context,
            trials=trials,
            storage=tuning.storage,
            study=tuning.study,
            sampler=tuning.sampler,
            pruner=tuning.pruner,
            prune=tuning.prune,
            fixed=fixed,
        )
        default = scored
        if any(results[0].params.get(k) != v for k, v in tuned.best_params.items()):
            results = _runs(name, {**fixed, **tuned.best_params}, inputs)
            scored = score(name, results, prepared, context)
    tuned_scored = dataclasses.replace(scored, tuning=tuned, default=default.metrics)
    return tuned_scored, results[0], dict(tuned.best_params)
