"""The Suite: what a suite file declares, validated into frozen dataclasses.

Every error names the file, the line and the key path, and lists the allowed keys.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from privattack.config import Table
from privattack.data.splits import SplitSizes
from privattack.errors import SuiteError
from privattack.searchspace import SearchParam
from privattack.thresholds import NAMES as THRESHOLD_NAMES
from privattack.thresholds import Threshold, read_thresholds

Scale = Literal["smoke", "quick", "paper"]
SCALES: tuple[Scale, ...] = ("smoke", "quick", "paper")
DATASETS = ("cifar10", "celeba", "fairface", "utkface")
FACE_DATASETS = ("celeba", "fairface", "utkface")  # identity leakage by the face model
TOP_KEYS = ("include", "version", "description", "data", "attacks", "gates", "scales")
BUDGET_KEYS = (
    "image_size",
    "splits",
    "defense_epochs",
    "attack_epochs",
    "attack_patience",
    "batch_size",
    "iterations",
    "trials",
    "official_splits",
    "invert_images",
    "repeats",
)


@dataclass(frozen=True)
class DataSpec:
    """The data a suite runs on, the task the model serves and what must stay private."""

    dataset: str
    image_size: int
    task: str
    sensitive: str  # "input", or the name of a sensitive attribute label

    @property
    def is_input(self) -> bool:
        """True when the image itself is the secret (reconstruction attacks)."""
        return self.sensitive == "input"

    @property
    def faces(self) -> bool:
        """True for data sets of faces, whose reconstructions the face model re-identifies."""
        return self.dataset in FACE_DATASETS

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels every image of the suite must carry: the task's, and the secret's."""
        return (self.task,) if self.is_input else (self.task, self.sensitive)


@dataclass(frozen=True)
class Budget:
    """Everything one scale fixes: image size, split sizes, epochs, iterations, trials."""

    scale: Scale
    image_size: int
    splits: SplitSizes
    defense_epochs: int
    attack_epochs: int
    batch_size: int
    iterations: int
    trials: int
    official_splits: bool
    invert_images: int | None  # test images the white-box attacks invert (None: all)
    repeats: int = 1  # seeds each attack's final run trains with (the interval covers them)
    # supervised attacks stop once a held-out fifth of attack_train has not improved for this
    # many epochs, attack_epochs being the cap (None or 0: they train attack_epochs)
    attack_patience: int | None = None


@dataclass(frozen=True)
class Suite:
    """A parsed suite file; ``budget(scale)`` gives the settings of one scale.

    ``content()`` is what it declares as plain TOML-shaped data (every ``include`` resolved,
    every default filled in); ``digest`` hashes it, so two suites with the same name but another
    budget or search space never pass for each other.
    """

    name: str
    version: int
    description: str
    data: DataSpec
    attacks: Mapping[str, Mapping[str, SearchParam]]
    thresholds: tuple[Threshold, ...]
    scales: Mapping[str, Budget] = field(repr=False)
    file: str = ""

    def content(self) -> dict[str, Any]:
        """The suite as the data of a suite file without includes: ``parse_content`` of it
        gives this suite back."""
        return {
            "version": self.version,
            "description": self.description,
            "data": asdict(self.data),
            "attacks": {
                attack: {knob: _param_content(p) for knob, p in space.items()}
                for attack, space in self.attacks.items()
            },
            "gates": {t.name: t.limit for t in self.thresholds},
            "scales": {name: _budget_content(b) for name, b in self.scales.items()},
        }

    @property
    def digest(self) -> str:
        """SHA-256 of ``content()`` (keys sorted): what the suite measures."""
        text = json.dumps(self.content(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def budget(self, scale: str) -> Budget:
        """The budget of ``scale`` ("smoke", "quick" or "paper")."""
        if scale not in self.scales:
            raise SuiteError(
                self.file, "scales", f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}."
            )
        return self.scales[scale]


def _param_content(param: SearchParam) -> dict[str, Any]:
    if param.choices is not None:
        return {"choices": list(param.choices)}
    return {"low": param.low, "high": param.high, "log": param.log}


def _budget_content(budget: Budget) -> dict[str, Any]:
    # left out when once: a suite that never repeats hashes as it did before repeats existed
    content = {
        k: v
        for k, v in asdict(budget).items()
        if k != "scale" and v is not None and not (k == "repeats" and v == 1)
    }
    content["splits"] = budget.splits.as_dict()
    return content


def _accepts(kind: Any, value: Any) -> bool:
    """Whether ``value`` is of the hyper-parameter type ``kind`` (bools are never numbers)."""
    kinds = typing.get_args(kind) or (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, int) and float in kinds:
        return True
    return any(isinstance(value, k) for k in kinds if isinstance(k, type) and k is not bool)


def _search_param(table: Table, kind: Any) -> SearchParam:
    """One knob's range, checked against the type of the attack's hyper-parameter."""
    table.check_keys(("low", "high", "log", "choices"))
    kind_name = getattr(kind, "__name__", str(kind))
    if "choices" in table.values:
        choices = table.get("choices", list)
        if not choices or len(table.values) > 1:
            table.fail("'choices' must be a non-empty list and stand alone.")
        wrong = [c for c in choices if not _accepts(kind, c)]
        if wrong:
            table.fail(f"choices {wrong!r} are not of this hyper-parameter's type, {kind_name}.")
        return SearchParam(choices=tuple(choices))
    low, high = table.number("low"), table.number("high")
    if not _accepts(kind, 1):
        table.fail(
            f"this hyper-parameter is of type {kind_name}, which has no range; give choices."
        )
    if not (_accepts(kind, low) and _accepts(kind, high)):
        table.fail(
            f"this hyper-parameter is of type {kind_name}; its range needs {kind_name} bounds, "
            f"got (low={low!r}, high={high!r})."
        )
    if not low < high:
        table.fail(f"`low < high` must hold, but got (low={low}, high={high}).")
    log = table.get("log", bool, False)
    if log and low <= 0:
        table.fail(f"a log range needs low > 0, got {low}.")
    return SearchParam(low=low, high=high, log=log)


MAX_IMAGE_SIZE = 1024  # px: more is a typo (and an allocation no machine here makes)


def _image_size(table: Table, default: Any = ...) -> int:
    size = table.positive("image_size", default, minimum=8)
    if size > MAX_IMAGE_SIZE:
        table.fail(f"must be at most {MAX_IMAGE_SIZE} px, got {size}.", "image_size")
    return size


def _budget(table: Table, scale: Scale, image_size: int) -> Budget:
    table.check_keys(BUDGET_KEYS)
    splits = table.table("splits")
    splits.check_keys([f.name for f in fields(SplitSizes)])
    return Budget(
        scale=scale,
        image_size=_image_size(table, image_size),
        splits=SplitSizes(
            defense_train=splits.positive("defense_train", minimum=0),
            attack_train=splits.positive("attack_train", minimum=2),
            attack_test=splits.positive("attack_test", minimum=2),
        ),
        defense_epochs=table.positive("defense_epochs", 1),
        attack_epochs=table.positive("attack_epochs", 1),
        batch_size=table.positive("batch_size", 64),
        iterations=table.positive("iterations", 100),
        trials=table.positive("trials", 0, minimum=0),
        official_splits=table.get("official_splits", bool, False),
        invert_images=table.positive("invert_images", None),
        repeats=table.positive("repeats", 1),
        attack_patience=table.positive("attack_patience", None, minimum=0),
    )


def parse_suite(name: str, top: Table, knobs: Mapping[str, Mapping[str, Any]], file: str) -> Suite:
    """Validate a suite's resolved TOML ``top``; ``knobs`` gives each attack's hyper-parameters
    and their types."""
    top.check_keys(TOP_KEYS)
    data = top.table("data")
    data.check_keys(("dataset", "image_size", "task", "sensitive"))
    dataset = data.get("dataset", str)
    if dataset not in DATASETS:
        data.fail(f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}.", "dataset")
    spec = DataSpec(
        dataset,
        _image_size(data),
        data.get("task", str),
        data.get("sensitive", str),
    )

    attacks_table = top.table("attacks")
    attacks_table.check_keys(tuple(knobs))
    attacks = {}
    for attack in attacks_table.values:
        space = attacks_table.table(attack)
        space.check_keys(tuple(knobs[attack]))
        attacks[attack] = {
            knob: _search_param(space.table(knob), knobs[attack][knob]) for knob in space.values
        }
    if not attacks:
        attacks_table.fail("a suite must name at least one attack.")

    gates = top.table("gates", {})
    gates.check_keys(THRESHOLD_NAMES)
    scales = top.table("scales")
    scales.check_keys(SCALES)
    return Suite(
        name=name,
        version=top.positive("version"),
        description=top.get("description", str),
        data=spec,
        attacks=attacks,
        thresholds=read_thresholds(gates, gates.values),
        scales={s: _budget(scales.table(s), s, spec.image_size) for s in SCALES},
        file=file,
    )
