"""The Attack contract: what an attack is given (exactly what its threat model grants), what it
returns, and how it declares its knobs."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

from torch import Tensor, nn

from privattack.attacks.standardize import Standardizer
from privattack.protocol import TileLayout
from privattack.searchspace import SearchParam
from privattack.targets import Target, TargetKind

Monitor = Callable[[int, Tensor], None]
"""Called by an attack as it learns: (step, its current outputs on a prefix of z_test).

Tuning scores them on its inner validation split to prune weak trials (it may raise
``optuna.TrialPruned``); attacks never see the scores."""


@dataclass(frozen=True, kw_only=True)
class AttackBudget:
    """How long an attack may learn (from the suite's scale)."""

    epochs: int = 1  # supervised attacks: passes over attack_train (with patience: at most)
    iterations: int = 100  # white-box attacks: optimisation steps
    invert_images: int | None = None  # white-box attacks invert only the first N of z_test
    # supervised attacks: stop once a held-out fifth of attack_train has not improved for this
    # many epochs, keeping the best epoch's weights (None or 0: train every epoch)
    patience: int | None = None


@dataclass(frozen=True)
class AttackInputs:
    """What the adversary holds: the released activations of both attack splits, the secrets
    of ``attack_train`` (its images, or its sensitive labels), and, when the defense offers
    them, the white-box ``client`` (x -> z) and the channel ``layout``. Never the defense
    itself, and never a secret of ``attack_test``.

    ``seed``, ``device`` and ``progress`` say how to run; ``monitor`` is set by tuning.
    """

    z_train: Tensor
    z_test: Tensor
    secret_train: Tensor  # (N, 3, S, S) images, or (N,) int64 labels
    target: Target
    seed: int
    budget: AttackBudget = AttackBudget()
    client: nn.Module | None = None
    layout: TileLayout | None = None
    device: str = "cpu"
    progress: bool = False
    monitor: Monitor | None = None

    @cached_property
    def standardize(self) -> Standardizer:
        """attack_train's per-channel float64 standardisation of z, fitted once: every attack
        trains and matches in it, so no rescaling or offset of z hides leakage."""
        return Standardizer.fit(self.z_train)


@dataclass(frozen=True)
class Reconstructions:
    """An input attack's output: one image per ``z_test`` row (or per inverted prefix row)."""

    images: Tensor  # (B, 3, S, S) in [0, 1]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> Tensor:
        """What the attack produced, whatever its kind (for tuning's validation score)."""
        return self.images


@dataclass(frozen=True)
class Predictions:
    """An attribute attack's output: logits over the sensitive classes per ``z_test`` row."""

    logits: Tensor  # (B, K)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> Tensor:
        """What the attack produced, whatever its kind (for tuning's validation score)."""
        return self.logits


AttackResult = Reconstructions | Predictions
RESULT_OF: dict[TargetKind, type[AttackResult]] = {
    "input": Reconstructions,
    "attribute": Predictions,
}


class Attack(Protocol):
    """An attack: ``run`` trains on attack_train (if it needs to) and predicts attack_test."""

    name: ClassVar[str]
    target: ClassVar[TargetKind]
    requires: ClassVar[tuple[str, ...]]  # Defense capabilities it needs, e.g. ("client",)
    search_space: ClassVar[Mapping[str, SearchParam]]  # what tuning searches (suites narrow it)

    def run(self, inputs: AttackInputs) -> AttackResult: ...


def inherited(factory: Any, chosen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The knobs an attack that builds on another (its ``seeded_as``, such as the hybrid on the
    decoder) takes from it, when that attack ran earlier in the same evaluation with the
    parameters ``chosen[seeded_as]`` (its tuned choice; empty: its defaults). Optional
    members: ``seeded_as`` and a classmethod ``inherited(params) -> knobs``."""
    base, take = getattr(factory, "seeded_as", None), getattr(factory, "inherited", None)
    if base is None or take is None or base not in chosen:
        return {}
    return dict(take(chosen[base]))


def build_order(names: Sequence[str]) -> list[str]:
    """``names`` with every attack that builds on another of them (its ``seeded_as``) after
    the others, so that it can inherit that attack's tuned choice."""
    from privattack.registry import attacks as registry

    def builds_on_one_of_them(name: str) -> bool:
        base = getattr(registry.factory(name), "seeded_as", name)
        return base != name and base in names

    return sorted(names, key=builds_on_one_of_them)


def hyperparameters(factory: Any) -> tuple[str, ...]:
    """Names of an attack's tunable hyper-parameters (its config dataclass fields)."""
    return tuple(hyperparameter_types(factory))


def hyperparameter_types(factory: Any) -> dict[str, Any]:
    """An attack's tunable hyper-parameters and their types (its config dataclass fields)."""
    config = getattr(factory, "Config", None)
    if config is None:
        return {}
    types = typing.get_type_hints(config)
    return {f.name: types[f.name] for f in dataclasses.fields(config)}
