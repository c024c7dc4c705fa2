"""The first half of DESIGN.md's data flow: suite -> data -> splits -> fit -> released z.

``prepare`` builds a ``Prepared``: everything an attack, the utility measurement, tuning or an
export needs, computed once. ``evaluate`` attacks it; ``export`` writes it to disk;
``load_activations`` reads it back without the defense's code.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from privattack.data import ImageSet, Splits, make_splits, open_dataset
from privattack.errors import CapabilityError, DataError
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
from privattack.registry import defenses as defense_registry
from privattack.suite import Budget, Suite
from privattack.training import predict_batched, seed_everything

RELEASE_BATCH = 128
ATTACK_SPLITS = ("attack_train", "attack_test")


def derive_seed(seed: int, phase: str) -> int:
    """A seed for one phase, so adding a phase or an attack never shifts another's randomness."""
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:{phase}".encode(), digest_size=4).digest(), "little"
    )


class PhaseTimer:
    """Wall-clock seconds per named phase, for the report's manifest."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


@dataclass
class Prepared:
    """The released activations of both attack splits, with what scoring them needs.

    ``defense`` is None when the activations were read from disk without the defense's code;
    ``caps`` then says what the stored benchmark offers (``client`` when client weights came
    with it, ``predict`` when the server's logits did).
    """

    suite: Suite
    scale: str
    seed: int
    task: Task
    defense: Defense | None
    defense_info: dict[str, Any]
    caps: Capabilities
    data_info: dict[str, Any]  # dataset, source, layout, image_size, n, fingerprints
    ids: dict[str, np.ndarray]  # per attack split
    x: dict[str, Tensor]  # images per attack split
    z: dict[str, Tensor]  # released activations per attack split
    y_task: dict[str, Tensor]
    y_sensitive: dict[str, Tensor] | None  # None in input suites
    server_logits: Tensor | None  # the defense's predict() on attack_test, when it has one
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def budget(self) -> Budget:
        """The budget of the prepared scale."""
        return self.suite.budget(self.scale)


def resolve_defense(defense: Defense | str) -> tuple[Defense, dict[str, Any]]:
    """The defense object and its description (registered name, parameters)."""
    if isinstance(defense, str):
        name = defense_registry.canonical(defense)
        built = defense_registry.get(name)
        return built, {"name": name, "params": dict(getattr(built, "params", {}))}
    capabilities(defense)  # raises a clear error when release is missing
    params = getattr(defense, "params", {})
    name = defense_registry.name_of(defense) or type(defense).__name__
    return defense, {"name": name, "params": dict(params)}


def resolve_suite(suite: Suite | str | Path) -> Suite:
    """A loaded Suite from a name, a path or a Suite."""
    if isinstance(suite, Suite):
        return suite
    from privattack import suites

    return suites.load(suite)


def labelled_indices(dataset: ImageSet, label_names: Sequence[str]) -> np.ndarray:
    """Indices of images that carry every label needed (-1 marks a missing label)."""
    keep = np.ones(len(dataset), dtype=bool)
    for name in label_names:
        keep &= dataset.label(name) >= 0
    return np.flatnonzero(keep)


def task_of(suite: Suite, dataset: ImageSet, image_size: int) -> Task:
    """The Task a defense is fitted for, from the suite and the data set's label sets."""
    return Task(
        image_size=image_size,
        task=suite.data.task,
        num_classes=dataset.num_classes(suite.data.task),
        sensitive=suite.data.sensitive,
        num_sensitive_classes=None
        if suite.data.is_input
        else dataset.num_classes(suite.data.sensitive),
    )


@dataclass
class DrawnSplits:
    """A suite's splits drawn from its data set at one scale: indices, images and labels."""

    dataset: ImageSet
    splits: Splits
    index: dict[str, np.ndarray]  # data-set indices per split
    images: dict[str, Tensor]  # (N, 3, S, S) in [0, 1] per split
    labels: dict[str, dict[str, Tensor]]  # per split: the task's and the secret's labels


def draw_splits(
    spec: Suite, budget: Budget, seed: int, data_root: str | Path | None = None
) -> DrawnSplits:
    """Open the suite's data set and draw its splits the way ``prepare`` does (official
    partitions when the scale asks for them), so benchmarks see the same images."""
    dataset = open_dataset(spec.data.dataset, data_root)
    needed = [spec.data.task] + ([] if spec.data.is_input else [spec.data.sensitive])
    usable = labelled_indices(dataset, needed)
    partition = (
        dataset.partition[usable]
        if budget.official_splits and dataset.partition is not None
        else None
    )
    splits = make_splits(dataset.ids[usable], budget.splits, seed, partition)
    index = {name: usable[idx] for name, idx in splits.indices.items()}
    return DrawnSplits(
        dataset=dataset,
        splits=splits,
        index=index,
        images={name: dataset.images(idx, budget.image_size) for name, idx in index.items()},
        labels={
            name: {n: torch.from_numpy(dataset.label(n)[idx]) for n in needed}
            for name, idx in index.items()
        },
    )


def _fit(
    defense: Defense,
    label: str,
    caps: Capabilities,
    budget: Budget,
    suite: Suite,
    task: Task,
    train: LabelledImages,
    seed: int,
    device: str,
    progress: bool,
) -> str:
    """Fit the defense on defense_train unless it is already fitted; what the report says."""
    if not caps.fit:
        return "none"
    if getattr(defense, "fitted", False):
        return "before this run (reused as given)"
    if budget.splits["defense_train"] == 0:
        raise DataError(
            f"{label} trains (it has fit) but scale {budget.scale!r} of suite "
            f"{suite.name!r} gives defense_train no images."
        )
    defense.fit(  # type: ignore[attr-defined]
        task,
        train,
        TrainingBudget(
            budget.defense_epochs, budget.batch_size, derive_seed(seed, "fit"), device, progress
        ),
    )
    return "this run, on defense_train"


def prepare(
    defense: Defense | str,
    suite: Suite | str | Path,
    *,
    scale: str = "quick",
    data_root: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> Prepared:
    """Draw the splits, fit the defense on defense_train and release both attack splits.

    Arguments as for ``privattack.evaluate``.
    """
    timer = PhaseTimer()
    spec = resolve_suite(suite)
    budget = spec.budget(scale)
    size = budget.image_size
    defense_obj, defense_info = resolve_defense(defense)
    caps = capabilities(defense_obj)
    label = defense_info["name"]

    with timer.phase("data"):
        drawn = draw_splits(spec, budget, seed, data_root)
    dataset, images, labels = drawn.dataset, drawn.images, drawn.labels

    task = task_of(spec, dataset, size)
    with timer.phase("fit"):
        defense_info["fit"] = _fit(
            defense_obj,
            label,
            caps,
            budget,
            spec,
            task,
            LabelledImages(images["defense_train"], labels["defense_train"]),
            seed,
            device,
            progress,
        )
    if defense_info["fit"] != "this run, on defense_train":
        timer.seconds.pop("fit")
    caps = capabilities(defense_obj)

    with timer.phase("release"):
        if not caps.stochastic:
            check_deterministic(defense_obj, images["attack_test"][:4].to(device), label)
        seed_everything(derive_seed(seed, "release"))  # stochastic defenses: reproducible noise
        z = {
            name: release_all(defense_obj, images[name], RELEASE_BATCH, label, device)
            for name in ATTACK_SPLITS
        }
        server_logits = (
            predict_batched(_PredictModule(defense_obj), z["attack_test"], RELEASE_BATCH, device)
            if caps.predict
            else None
        )

    return Prepared(
        suite=spec,
        scale=scale,
        seed=seed,
        task=task,
        defense=defense_obj,
        defense_info=defense_info,
        caps=caps,
        data_info={
            "dataset": dataset.name,
            "source": dataset.origin,
            "layout": dataset.layout,
            "image_size": size,
            "n": drawn.splits.sizes(),
            "fingerprints": dict(drawn.splits.fingerprints),
        },
        ids={name: dataset.ids[drawn.index[name]] for name in ATTACK_SPLITS},
        x={name: images[name] for name in ATTACK_SPLITS},
        z=z,
        y_task={name: labels[name][spec.data.task] for name in ATTACK_SPLITS},
        y_sensitive=None
        if spec.data.is_input
        else {name: labels[name][spec.data.sensitive] for name in ATTACK_SPLITS},
        server_logits=server_logits,
        seconds=timer.seconds,
    )


class _PredictModule(torch.nn.Module):
    """Lets ``predict_batched`` call a defense's ``predict``, checking what it returns."""

    def __init__(self, defense: Defense) -> None:
        super().__init__()
        self.defense = defense

    def forward(self, z: Tensor) -> Tensor:
        logits = self.defense.predict(z)  # type: ignore[attr-defined]
        if not isinstance(logits, Tensor) or logits.ndim != 2 or logits.shape[0] != len(z):
            raise CapabilityError(
                f"{type(self.defense).__name__}.predict() must return logits (B, K) for "
                f"{len(z)} activations; got {getattr(logits, 'shape', type(logits))}."
            )
        return logits
