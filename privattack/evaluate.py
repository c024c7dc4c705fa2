"""``evaluate``: the data flow of DESIGN.md, from a suite and a defense to a Report.

suite -> data set -> three splits -> defense.fit(defense_train) -> z = release(attack splits)
-> utility on attack_test -> each attack trained on attack_train, scored on attack_test
-> per-sample metrics -> bootstrap estimates, null baselines, worst case.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from privattack.attacks.attribute import classifier_head
from privattack.attacks.base import AttackData, AttackResult
from privattack.data import ImageSet, make_splits, open_dataset
from privattack.errors import CapabilityError, DataError, UnknownNameError
from privattack.metrics import (
    Estimate,
    balanced_accuracy,
    bootstrap,
    chance,
    correct,
    image_metrics,
)
from privattack.protocol import (
    Capabilities,
    Defense,
    LabelledImages,
    Task,
    TrainingBudget,
    capabilities,
    check_deterministic,
    release_all,
)
from privattack.registry import attacks as attack_registry
from privattack.registry import defenses as defense_registry
from privattack.report import Leakage, Report, worst_case
from privattack.suite import Suite
from privattack.training import predict_batched, seed_everything, train_supervised

GRID_SAMPLES = 8  # test images shown in the reconstruction grid
RELEASE_BATCH = 128


def derive_seed(seed: int, phase: str) -> int:
    """A seed for one phase, so adding a phase or an attack never shifts another's randomness."""
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:{phase}".encode(), digest_size=4).digest(), "little"
    )


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


def _resolve_defense(defense: Defense | str) -> tuple[Defense, dict[str, Any]]:
    if isinstance(defense, str):
        name = defense_registry.canonical(defense)
        built = defense_registry.get(name)
        return built, {"name": name, "params": dict(getattr(built, "params", {}))}
    capabilities(defense)  # raises a clear error when release is missing
    params = getattr(defense, "params", {})
    name = defense_registry.name_of(defense) or type(defense).__name__
    return defense, {"name": name, "params": dict(params)}


def _resolve_suite(suite: Suite | str | Path) -> Suite:
    if isinstance(suite, Suite):
        return suite
    from privattack import suites

    return suites.load(suite)


def _labelled_indices(dataset: ImageSet, label_names: Sequence[str]) -> np.ndarray:
    """Indices of images that carry every label needed (-1 marks a missing label)."""
    keep = np.ones(len(dataset), dtype=bool)
    for name in label_names:
        keep &= dataset.label(name) >= 0
    return np.flatnonzero(keep)


def _attribute_leakage(
    result: AttackResult, y_train: torch.Tensor, y_test: torch.Tensor, seed: int
) -> Leakage:
    assert result.logits is not None
    pred = result.logits.argmax(1)
    base = chance(y_train, y_test)
    accuracy = bootstrap(correct(pred, y_test), seed)
    rows = np.stack([pred.numpy(), y_test.numpy()], axis=1)
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


def _missing_capabilities(required: Sequence[str], caps: Capabilities) -> list[str]:
    return [name for name in required if not getattr(caps, name)]


def evaluate(
    defense: Defense | str,
    suite: Suite | str | Path,
    *,
    scale: str = "quick",
    data_root: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
    attacks: Sequence[str] | None = None,
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
        seed: feeds every random choice (splits, training, attacks, bootstrap).
        device: where models train and run ("cpu", "cuda").
        attacks: run only these of the suite's attacks (default: all of them).
        out: a folder to write ``report.json`` and ``reconstructions.png`` into.
        progress: show progress bars.

    Returns:
        The Report: ``report.utility``, ``report.leakage["decoder"].ssim``, ``report.worst_case``.
    """
    timer = _Timer()
    spec = _resolve_suite(suite)
    budget = spec.budget(scale)
    size = budget.image_size
    chosen = list(spec.attacks) if attacks is None else list(attacks)
    for name in chosen:
        if name not in spec.attacks:
            raise UnknownNameError(f"attack of suite {spec.name!r}", name, spec.attacks)
    defense_obj, defense_info = _resolve_defense(defense)
    caps = capabilities(defense_obj)
    label = defense_info["name"]

    with timer.phase("data"):
        dataset = open_dataset(spec.data.dataset, data_root)
        needed = [spec.data.task] + ([] if spec.data.is_input else [spec.data.sensitive])
        usable = _labelled_indices(dataset, needed)
        partition = (
            dataset.partition[usable]
            if budget.official_splits and dataset.partition is not None
            else None
        )
        splits = make_splits(dataset.ids[usable], budget.splits, seed, partition)
        index = {name: usable[idx] for name, idx in splits.indices.items()}
        images = {name: dataset.images(idx, size) for name, idx in index.items()}
        labels = {
            name: {n: torch.from_numpy(dataset.label(n)[idx]) for n in needed}
            for name, idx in index.items()
        }

    task = Task(
        image_size=size,
        task=spec.data.task,
        num_classes=dataset.num_classes(spec.data.task),
        sensitive=spec.data.sensitive,
        num_sensitive_classes=None
        if spec.data.is_input
        else dataset.num_classes(spec.data.sensitive),
    )
    defense_info["fit"] = "none"
    if caps.fit and getattr(defense_obj, "fitted", False):
        defense_info["fit"] = "before this run (reused as given)"
    elif caps.fit:
        defense_info["fit"] = "this run, on defense_train"
        if budget.splits["defense_train"] == 0:
            raise DataError(
                f"{label} trains (it has fit) but scale {scale!r} of suite "
                f"{spec.name!r} gives defense_train no images."
            )
        with timer.phase("fit"):
            defense_obj.fit(  # type: ignore[attr-defined]
                task,
                LabelledImages(images["defense_train"], labels["defense_train"]),
                TrainingBudget(
                    budget.defense_epochs,
                    budget.batch_size,
                    derive_seed(seed, "fit"),
                    device,
                    progress,
                ),
            )
        caps = capabilities(defense_obj)

    with timer.phase("release"):
        if not caps.stochastic:
            check_deterministic(defense_obj, images["attack_test"][:4].to(device), label)
        seed_everything(derive_seed(seed, "release"))  # stochastic defenses: reproducible noise
        z = {
            name: release_all(defense_obj, images[name], RELEASE_BATCH, label, device)
            for name in ("attack_train", "attack_test")
        }

    y_task = {name: labels[name][spec.data.task] for name in labels}
    with timer.phase("utility"):
        if caps.predict:
            logits = predict_batched(
                _PredictModule(defense_obj), z["attack_test"], RELEASE_BATCH, device
            )
            utility_source = "server"
        else:
            seed_everything(derive_seed(seed, "probe"))
            probe = classifier_head(tuple(z["attack_train"].shape[1:]), task.num_classes)
            train_supervised(
                probe,
                z["attack_train"],
                y_task["attack_train"],
                F.cross_entropy,
                epochs=budget.attack_epochs,
                batch_size=budget.batch_size,
                lr=1e-3,
                seed=derive_seed(seed, "probe"),
                device=device,
                progress=progress,
                desc="utility probe",
            )
            logits = predict_batched(probe, z["attack_test"], RELEASE_BATCH, device)
            utility_source = "probe"
        utility = bootstrap(correct(logits, y_task["attack_test"]), derive_seed(seed, "ci"))

    x_train, x_test = images["attack_train"], images["attack_test"]
    y_sensitive = (
        None if spec.data.is_input else {name: labels[name][spec.data.sensitive] for name in labels}
    )
    leakage: dict[str, Leakage] = {}
    skipped: dict[str, str] = {}
    reconstructions: dict[str, torch.Tensor] = {}
    per_image_ssim: dict[str, torch.Tensor] = {}
    for name in chosen:
        factory = attack_registry.factory(name)
        missing = _missing_capabilities(factory.requires, caps)
        if missing:
            skipped[name] = f"the defense has no {' or '.join(missing)} capability"
            continue
        attack = attack_registry.get(name)
        data = AttackData(
            z_train=z["attack_train"],
            z_test=z["attack_test"],
            x_train=x_train,
            y_train=None if y_sensitive is None else y_sensitive["attack_train"],
            num_classes=task.num_sensitive_classes,
            defense=defense_obj,
            seed=derive_seed(seed, f"attack:{name}"),
            device=device,
            epochs=budget.attack_epochs,
            iterations=budget.iterations,
            invert_images=budget.invert_images,
            progress=progress,
        )
        with timer.phase(f"attack:{name}"):
            result = attack.run(data)
        if result.reconstructions is not None:
            scored = len(result.reconstructions)  # white-box attacks may invert a prefix
            per_image = image_metrics(result.reconstructions, x_test[:scored])
            leakage[name] = Leakage(
                {m: bootstrap(v, derive_seed(seed, "ci")) for m, v in per_image.items()},
                result.params,
                {"n": scored},
            )
            reconstructions[name] = result.reconstructions
            per_image_ssim[name] = per_image["ssim"]
        else:
            assert y_sensitive is not None
            leakage[name] = _attribute_leakage(
                result,
                y_sensitive["attack_train"],
                y_sensitive["attack_test"],
                derive_seed(seed, "ci"),
            )

    null: dict[str, float] = {
        "task_accuracy": chance(y_task["attack_train"], y_task["attack_test"])
    }
    if spec.data.is_input:
        mean_image = x_train.mean(0, keepdim=True).expand_as(x_test)
        null.update({m: v.mean().item() for m, v in image_metrics(mean_image, x_test).items()})
    else:
        assert y_sensitive is not None
        null["accuracy"] = chance(y_sensitive["attack_train"], y_sensitive["attack_test"])

    worst = worst_case(leakage, "ssim" if spec.data.is_input else "accuracy")
    report = Report(
        suite=spec.name,
        suite_version=spec.version,
        scale=scale,
        seed=seed,
        defense=defense_info,
        data={
            "dataset": dataset.name,
            "source": dataset.origin,
            "layout": dataset.layout,
            "image_size": size,
            "n": splits.sizes(),
            "fingerprints": dict(splits.fingerprints),
        },
        utility=utility,
        utility_source=utility_source,
        leakage=leakage,
        null=null,
        worst_case=worst,
        skipped=skipped,
        manifest=_manifest(device, caps, timer.seconds),
        samples=_grid_samples(
            x_test, reconstructions, per_image_ssim, worst.attack if worst else None
        ),
    )
    if out is not None:
        report.save(out)
    return report


def _grid_samples(
    x_test: torch.Tensor,
    reconstructions: dict[str, torch.Tensor],
    ssim: dict[str, torch.Tensor],
    worst: str | None,
) -> dict[str, torch.Tensor]:
    """Originals and every attack's reconstructions of the same test images, the images the
    worst-case attack reconstructs best first (among those every attack scored)."""
    if not reconstructions or worst not in ssim:
        return {}
    shared = min(len(r) for r in reconstructions.values())
    order = ssim[worst][:shared].argsort(descending=True)[:GRID_SAMPLES]
    return {"original": x_test[order], **{n: r[order] for n, r in reconstructions.items()}}


class _PredictModule(torch.nn.Module):
    """Lets ``predict_batched`` call a defense's ``predict``."""

    def __init__(self, defense: Defense) -> None:
        super().__init__()
        self.defense = defense

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        logits = self.defense.predict(z)  # type: ignore[attr-defined]
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or logits.shape[0] != len(z):
            raise CapabilityError(
                f"{type(self.defense).__name__}.predict() must return logits (B, K) for "
                f"{len(z)} activations; got {getattr(logits, 'shape', type(logits))}."
            )
        return logits


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
