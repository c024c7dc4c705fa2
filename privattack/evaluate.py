"""``evaluate``: the data flow of DESIGN.md, from a suite and a defense to a Report.

suite -> data set -> three splits -> defense.fit(defense_train) -> z = release(attack splits)
(``prepare``) -> utility on attack_test -> each attack trained on attack_train (tuned on an
inner split of it when trials are asked for), scored on attack_test -> per-sample metrics ->
bootstrap estimates, null baselines, worst case.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from privattack.attacks.attribute import classifier_head
from privattack.attacks.base import AttackData, AttackResult
from privattack.errors import UnknownNameError
from privattack.metrics import (
    Estimate,
    balanced_accuracy,
    bootstrap,
    chance,
    correct,
    image_metrics,
)
from privattack.prepare import (
    RELEASE_BATCH,
    PhaseTimer,
    Prepared,
    derive_seed,
    prepare,
)
from privattack.protocol import Capabilities, Defense
from privattack.registry import attacks as attack_registry
from privattack.report import Leakage, Report, worst_case
from privattack.suite import SearchParam, Suite
from privattack.training import predict_batched, seed_everything, train_supervised
from privattack.tuning import TrainSplit, Tuned, tune_attack

GRID_SAMPLES = 8  # test images shown in the reconstruction grid


def _attribute_leakage(
    result: AttackResult, y_train: torch.Tensor, y_test: torch.Tensor, seed: int
) -> Leakage:
    assert result.logits is not None
    pred = result.logits.argmax(1)
    base = chance(y_train, y_test)
    accuracy = bootstrap(correct(pred, y_test), seed)
    rows = torch.stack([pred, y_test], dim=1).numpy()
    balanced = bootstrap(
        rows,
        seed,
        lambda r: balanced_accuracy(torch.from_numpy(r[:, 0]), torch.from_numpy(r[:, 1])),
    )
    advantage = Estimate(accuracy.mean - base, (accuracy.ci[0] - base, accuracy.ci[1] - base))
    return Leakage(
        {"accuracy": accuracy, "balanced_accuracy": balanced, "advantage": advantage},
        result.params,
        {"chance": base, "n": len(y_test)},
    )


def input_leakage(result: AttackResult, x_test: torch.Tensor, seed: int) -> Leakage:
    """SSIM, PSNR and L1 of the reconstructions against the first test images, bootstrapped."""
    assert result.reconstructions is not None
    scored = len(result.reconstructions)  # white-box attacks may invert a prefix
    per_image = image_metrics(result.reconstructions, x_test[:scored])
    return Leakage(
        {m: bootstrap(v, seed) for m, v in per_image.items()}, result.params, {"n": scored}
    )


def _missing_capabilities(required: Sequence[str], caps: Capabilities) -> list[str]:
    return [name for name in required if not getattr(caps, name)]


def _utility(prepared: Prepared, device: str, progress: bool) -> tuple[Estimate, str]:
    """Task accuracy on attack_test: the server's own logits, else a probe trained on z."""
    seed, budget = prepared.seed, prepared.budget
    if prepared.server_logits is not None:
        logits, source = prepared.server_logits, "server"
    else:
        seed_everything(derive_seed(seed, "probe"))
        z_train = prepared.z["attack_train"]
        probe = classifier_head(tuple(z_train.shape[1:]), prepared.task.num_classes)
        train_supervised(
            probe,
            z_train,
            prepared.y_task["attack_train"],
            F.cross_entropy,
            epochs=budget.attack_epochs,
            batch_size=budget.batch_size,
            lr=1e-3,
            seed=derive_seed(seed, "probe"),
            device=device,
            progress=progress,
            desc="utility probe",
        )
        logits = predict_batched(probe, prepared.z["attack_test"], RELEASE_BATCH, device)
        source = "probe"
    accuracy = bootstrap(correct(logits, prepared.y_task["attack_test"]), derive_seed(seed, "ci"))
    return accuracy, source


def _search_space(suite: Suite, attack: str) -> dict[str, SearchParam]:
    """The suite's search space for ``attack``, else the one the attack declares."""
    declared = getattr(attack_registry.factory(attack), "search_space", {})
    return dict(suite.attacks.get(attack) or declared)


def study_setup(prepared: Prepared, attack: str) -> dict[str, Any]:
    """What a stored study is tied to: a study made for another setup is refused."""
    setup = {
        "suite": prepared.suite.name,
        "suite_version": prepared.suite.version,
        "scale": prepared.scale,
        "seed": prepared.seed,
        "defense": {k: prepared.defense_info.get(k) for k in ("name", "params")},
        "attack_train": prepared.data_info["fingerprints"]["attack_train"],
        "attack": attack,
    }
    return json.loads(json.dumps(setup, default=str))  # as the storage will give it back


def tune(
    prepared: Prepared,
    attack: str,
    *,
    trials: int,
    storage: str | None = None,
    study: str | None = None,
    prune: bool = True,
    sampler_seed: int | None = None,
    device: str = "cpu",
    progress: bool = False,
) -> Tuned:
    """Tune one attack of ``prepared``'s suite on attack_train alone (never attack_test).

    ``study`` names the stored study (one per attack: ``{study}.{attack}``).
    """
    y = None if prepared.y_sensitive is None else prepared.y_sensitive["attack_train"]
    return tune_attack(
        attack,
        _search_space(prepared.suite, attack),
        TrainSplit(prepared.z["attack_train"], prepared.x["attack_train"], y),
        attack_data(prepared, attack, device, progress=False),
        study_setup(prepared, attack),
        trials=trials,
        storage=storage,
        study=None if study is None else f"{study}.{attack}",
        prune=prune,
        sampler_seed=derive_seed(prepared.seed, f"tune:{attack}")
        if sampler_seed is None
        else sampler_seed,
        progress=progress,
    )


def attack_data(prepared: Prepared, attack: str, device: str, progress: bool) -> AttackData:
    """What ``attack`` gets from ``prepared``: both attack splits, the budget, its own seed."""
    budget = prepared.budget
    return AttackData(
        z_train=prepared.z["attack_train"],
        z_test=prepared.z["attack_test"],
        x_train=prepared.x["attack_train"],
        y_train=None if prepared.y_sensitive is None else prepared.y_sensitive["attack_train"],
        num_classes=prepared.task.num_sensitive_classes,
        defense=prepared.defense,  # type: ignore[arg-type]
        seed=derive_seed(prepared.seed, f"attack:{attack}"),
        device=device,
        epochs=budget.attack_epochs,
        iterations=budget.iterations,
        invert_images=budget.invert_images,
        progress=progress,
        layout=getattr(prepared.defense, "layout", None),
    )


def _run_and_score(
    prepared: Prepared, attack: str, params: dict[str, Any], data: AttackData
) -> tuple[Leakage, AttackResult]:
    result = attack_registry.get(attack, **params).run(data)
    ci_seed = derive_seed(prepared.seed, "ci")
    if result.reconstructions is not None:
        return input_leakage(result, prepared.x["attack_test"], ci_seed), result
    assert prepared.y_sensitive is not None
    leakage = _attribute_leakage(
        result, prepared.y_sensitive["attack_train"], prepared.y_sensitive["attack_test"], ci_seed
    )
    return leakage, result


def evaluate(
    defense: Defense | str | Prepared,
    suite: Suite | str | Path | None = None,
    *,
    scale: str | None = None,
    data_root: str | Path | None = None,
    seed: int | None = None,
    device: str = "cpu",
    attacks: Sequence[str] | None = None,
    trials: int | None = None,
    storage: str | None = None,
    study: str | None = None,
    prune: bool = True,
    out: str | Path | None = None,
    progress: bool = True,
) -> Report:
    """Measure how much ``defense`` leaks on ``suite``, next to the utility it keeps.

    Args:
        defense: an object meeting the Defense protocol, a registered name ("split", ...), or
            activations read by ``privattack.load_activations`` (then give no suite, scale,
            data_root or seed: they come from the stored benchmark).
        suite: a suite name ("celeba_input"), a path to a suite file, or a loaded Suite.
        scale: "smoke" (seconds), "quick" (minutes on a CPU; the default) or "paper" (a GPU).
        data_root: folder holding ``cifar10/``, ``celeba/``, ...; default ``$PRIVATTACK_DATA``,
            else the data bundled with privattack.
        seed: feeds every random choice (splits, training, tuning, bootstrap); default 0.
        device: where models train and run ("cpu", "cuda").
        attacks: run only these of the suite's attacks (default: all of them).
        trials: tuning trials per attack (default: the suite scale's ``trials``; 0: defaults
            only). Tuning sees attack_train alone; the best parameters are refitted on all of
            it and scored on attack_test, next to the defaults' score.
        storage, study: keep each attack's study in ``storage`` (``sqlite:///f.db``,
            ``journal:FILE``, ``postgresql://...``) under ``{study}.{attack}``, so that a
            rerun resumes it and ``privattack tune`` workers can share it.
        prune: stop trials that trail the median as they learn.
        out: a folder to write ``report.json``, ``report.html`` and ``reconstructions.png``.
        progress: show progress bars.

    Returns:
        The Report: ``report.utility``, ``report.leakage["decoder"].ssim``, ``report.worst_case``.
    """
    if isinstance(defense, Prepared):
        given = {"suite": suite, "scale": scale, "data_root": data_root, "seed": seed}
        if any(v is not None for v in given.values()):
            named = ", ".join(k for k, v in given.items() if v is not None)
            raise TypeError(f"stored activations fix suite, scale and seed; do not pass {named}.")
        prepared = defense
    else:
        if suite is None:
            raise TypeError("evaluate() needs a suite: a name, a suite file or a Suite.")
        prepared = prepare(
            defense,
            suite,
            scale=scale or "quick",
            data_root=data_root,
            seed=0 if seed is None else seed,
            device=device,
            progress=progress,
        )
    return _attack(prepared, attacks, trials, storage, study, prune, device, out, progress)


def _attack(
    prepared: Prepared,
    attacks: Sequence[str] | None,
    trials: int | None,
    storage: str | None,
    study: str | None,
    prune: bool,
    device: str,
    out: str | Path | None,
    progress: bool,
) -> Report:
    spec, seed = prepared.suite, prepared.seed
    chosen = list(spec.attacks) if attacks is None else list(attacks)
    for name in chosen:
        if name not in spec.attacks:
            raise UnknownNameError(f"attack of suite {spec.name!r}", name, spec.attacks)
    trials = prepared.budget.trials if trials is None else trials
    tuning = trials > 0 or storage is not None
    timer = PhaseTimer()
    timer.seconds.update(prepared.seconds)
    with timer.phase("utility"):
        utility, utility_source = _utility(prepared, device, progress)

    leakage: dict[str, Leakage] = {}
    skipped: dict[str, str] = {}
    reconstructions: dict[str, torch.Tensor] = {}
    for name in chosen:
        missing = _missing_capabilities(attack_registry.factory(name).requires, prepared.caps)
        if missing:
            skipped[name] = f"the defense has no {' or '.join(missing)} capability"
            continue
        data = attack_data(prepared, name, device, progress)
        with timer.phase(f"attack:{name}"):
            scored, result = _run_and_score(prepared, name, {}, data)
        if tuning:
            with timer.phase(f"tune:{name}"):
                tuned = tune(
                    prepared,
                    name,
                    trials=trials,
                    storage=storage,
                    study=study,
                    prune=prune,
                    device=device,
                    progress=progress,
                )
                default = scored
                if any(result.params.get(k) != v for k, v in tuned.best_params.items()):
                    scored, result = _run_and_score(prepared, name, tuned.best_params, data)
            scored = dataclasses.replace(scored, tuning=tuned, default=default.metrics)
        leakage[name] = scored
        if result.reconstructions is not None:
            reconstructions[name] = result.reconstructions

    report = Report(
        suite=spec.name,
        suite_version=spec.version,
        scale=prepared.scale,
        seed=seed,
        defense=prepared.defense_info,
        data=prepared.data_info,
        utility=utility,
        utility_source=utility_source,
        leakage=leakage,
        null=_null(prepared),
        worst_case=worst_case(leakage, "ssim" if spec.data.is_input else "accuracy"),
        skipped=skipped,
        manifest=_manifest(device, prepared.caps, timer.seconds),
        samples={},
    )
    report = dataclasses.replace(report, samples=_grid_samples(prepared, reconstructions, report))
    if out is not None:
        report.save(out)
    return report


def _null(prepared: Prepared) -> dict[str, float]:
    """What an attacker who ignores z scores: the majority class, or the mean training image."""
    y_task = prepared.y_task
    null = {"task_accuracy": chance(y_task["attack_train"], y_task["attack_test"])}
    if prepared.y_sensitive is None:
        x_train, x_test = prepared.x["attack_train"], prepared.x["attack_test"]
        mean_image = x_train.mean(0, keepdim=True).expand_as(x_test)
        null.update({m: v.mean().item() for m, v in image_metrics(mean_image, x_test).items()})
    else:
        y = prepared.y_sensitive
        null["accuracy"] = chance(y["attack_train"], y["attack_test"])
    return null


def _grid_samples(
    prepared: Prepared, reconstructions: dict[str, torch.Tensor], report: Report
) -> dict[str, torch.Tensor]:
    """Originals and every attack's reconstructions of the same test images, the images the
    worst-case attack reconstructs best first (among those every attack scored)."""
    worst = report.worst_case.attack if report.worst_case else None
    if not reconstructions or worst not in reconstructions:
        return {}
    x_test = prepared.x["attack_test"]
    shared = min(len(r) for r in reconstructions.values())
    ssim = image_metrics(reconstructions[worst][:shared], x_test[:shared])["ssim"]
    order = ssim.argsort(descending=True)[:GRID_SAMPLES]
    labels = {n: _label(n, report.leakage[n].params) for n in reconstructions}
    return {"original": x_test[order], **{labels[n]: r[order] for n, r in reconstructions.items()}}


def _label(attack: str, params: dict[str, Any]) -> str:
    """The attack's name, with the decoder family that ran (e.g. "decoder (tiles)")."""
    return f"{attack} ({params['built']})" if "built" in params else attack


def _manifest(device: str, caps: Capabilities, seconds: dict[str, float]) -> dict[str, Any]:
    from privattack import __version__

    return {
        "privattack": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device,
        "capabilities": caps.names(),
        "seconds": seconds,
    }
