"""The Suite: what a suite TOML file declares, parsed and validated into frozen dataclasses.

The files live in ``suites/`` (``privattack.suites``); this module only knows their schema.
Every error names the file and the key path, and lists the allowed keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from privattack.errors import SuiteError

Scale = Literal["smoke", "quick", "paper"]
SCALES: tuple[Scale, ...] = ("smoke", "quick", "paper")
DATASETS = ("cifar10", "celeba", "fairface", "utkface")


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


@dataclass(frozen=True)
class SearchParam:
    """One hyper-parameter's search range: ``low``/``high`` (``log``) or ``choices``."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Budget:
    """Everything one scale fixes: image size, split sizes, epochs, iterations, trials."""

    scale: Scale
    image_size: int
    splits: Mapping[str, int]
    defense_epochs: int
    attack_epochs: int
    batch_size: int
    iterations: int
    trials: int
    official_splits: bool
    invert_images: int | None  # test images the white-box attacks invert (None: all)


@dataclass(frozen=True)
class Gate:
    """A default threshold: ``metric`` (e.g. "decoder.ssim") must stay <= max or >= min."""

    metric: str
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class Suite:
    """A parsed suite file; ``budget(scale)`` gives the settings of one scale."""

    name: str
    version: int
    description: str
    data: DataSpec
    attacks: Mapping[str, Mapping[str, SearchParam]]
    gates: tuple[Gate, ...]
    scales: Mapping[str, Budget] = field(repr=False)
    file: str = ""

    def budget(self, scale: str) -> Budget:
        """The budget of ``scale`` ("smoke", "quick" or "paper")."""
        if scale not in self.scales:
            raise SuiteError(
                self.file, "scales", f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}."
            )
        return self.scales[scale]


class _Table:
    """A TOML table being read: typed lookups whose errors name the file and key path."""

    def __init__(self, file: str, path: str, values: Any) -> None:
        self.file, self.path = file, path
        if not isinstance(values, Mapping):
            raise SuiteError(file, path, f"must be a table, got {type(values).__name__}.")
        self.values = values

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for name in self.values:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise SuiteError(
                    self.file,
                    self.key(name),
                    f"unknown key {name!r}.{hint} Allowed keys: {', '.join(sorted(allowed))}.",
                )

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self.values:
            if default is ...:
                raise SuiteError(self.file, self.key(name), "missing required key.")
            return default
        value = self.values[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise SuiteError(
                self.file, self.key(name), f"must be {names}, got {type(value).__name__} {value!r}."
            )
        return value

    def table(self, name: str, default: Any = ...) -> _Table:
        value = self.values.get(name, default)
        if value is ...:
            raise SuiteError(self.file, self.key(name), "missing required table.")
        return _Table(self.file, self.key(name), value)

    def positive(self, name: str, default: Any = ..., minimum: int = 1) -> int:
        value = self.get(name, int, default)
        if value < minimum:
            raise SuiteError(self.file, self.key(name), f"must be >= {minimum}, got {value}.")
        return value


def _search_param(table: _Table) -> SearchParam:
    table.check_keys(("low", "high", "log", "choices"))
    if "choices" in table.values:
        choices = table.get("choices", list)
        if not choices or len(table.values) > 1:
            raise SuiteError(
                table.file, table.path, "'choices' must be a non-empty list and stand alone."
            )
        return SearchParam(choices=tuple(choices))
    low, high = table.get("low", (int, float)), table.get("high", (int, float))
    if not low < high:
        raise SuiteError(
            table.file, table.path, f"`low < high` must hold, but got (low={low}, high={high})."
        )
    log = table.get("log", bool, False)
    if log and low <= 0:
        raise SuiteError(table.file, table.path, f"a log range needs low > 0, got {low}.")
    return SearchParam(low=low, high=high, log=log)


def _budget(table: _Table, scale: Scale, image_size: int) -> Budget:
    table.check_keys(
        (
            "image_size",
            "splits",
            "defense_epochs",
            "attack_epochs",
            "batch_size",
            "iterations",
            "trials",
            "official_splits",
            "invert_images",
        )
    )
    splits = table.table("splits")
    splits.check_keys(("defense_train", "attack_train", "attack_test"))
    sizes = {
        "defense_train": splits.positive("defense_train", minimum=0),
        "attack_train": splits.positive("attack_train", minimum=2),
        "attack_test": splits.positive("attack_test", minimum=2),
    }
    return Budget(
        scale=scale,
        image_size=table.positive("image_size", image_size, minimum=8),
        splits=sizes,
        defense_epochs=table.positive("defense_epochs", 1),
        attack_epochs=table.positive("attack_epochs", 1),
        batch_size=table.positive("batch_size", 64),
        iterations=table.positive("iterations", 100),
        trials=table.positive("trials", 0, minimum=0),
        official_splits=table.get("official_splits", bool, False),
        invert_images=table.positive("invert_images", 1)
        if "invert_images" in table.values
        else None,
    )


def parse_suite(
    name: str, raw: Mapping[str, Any], file: str, attack_params: Mapping[str, tuple[str, ...]]
) -> Suite:
    """Validate a suite's parsed TOML ``raw``; ``attack_params`` names each attack's knobs."""
    top = _Table(file, "", raw)
    top.check_keys(("version", "description", "data", "attacks", "gates", "scales"))
    data = top.table("data")
    data.check_keys(("dataset", "image_size", "task", "sensitive"))
    dataset = data.get("dataset", str)
    if dataset not in DATASETS:
        raise SuiteError(
            file,
            "data.dataset",
            f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}.",
        )
    spec = DataSpec(
        dataset,
        data.positive("image_size", minimum=8),
        data.get("task", str),
        data.get("sensitive", str),
    )

    attacks_table = top.table("attacks")
    attacks_table.check_keys(tuple(attack_params))
    attacks = {}
    for attack in attacks_table.values:
        space = attacks_table.table(attack)
        space.check_keys(attack_params[attack])
        attacks[attack] = {knob: _search_param(space.table(knob)) for knob in space.values}
    if not attacks:
        raise SuiteError(file, "attacks", "a suite must name at least one attack.")

    gates_table = top.table("gates", {})
    gates = []
    for metric in gates_table.values:
        gate = gates_table.table(metric)
        gate.check_keys(("max", "min"))
        gates.append(
            Gate(metric, gate.get("max", (int, float), None), gate.get("min", (int, float), None))
        )

    scales_table = top.table("scales")
    scales_table.check_keys(SCALES)
    scales = {s: _budget(scales_table.table(s), s, spec.image_size) for s in SCALES}
    return Suite(
        name=name,
        version=top.positive("version"),
        description=top.get("description", str),
        data=spec,
        attacks=attacks,
        gates=tuple(gates),
        scales=scales,
        file=file,
    )
