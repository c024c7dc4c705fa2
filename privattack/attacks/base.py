"""The Attack contract: what an attack receives, what it returns, and the attack registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from torch import Tensor

from privattack.protocol import Defense, TileLayout
from privattack.suite import SearchParam

Target = Literal["input", "attribute"]
Monitor = Callable[[int, Tensor], None]
"""Called by an attack as it learns: (step, its current outputs on a prefix of z_test).

Tuning scores them on its inner validation split to prune weak trials (it may raise
``optuna.TrialPruned``); attacks never see the scores."""


@dataclass(frozen=True)
class AttackData:
    """What the adversary has: released activations of both attack splits and, for training,
    the matching secrets of ``attack_train``. ``x_test``/``y_test`` are for scoring only."""

    z_train: Tensor
    z_test: Tensor
    x_train: Tensor  # (N, 3, H, W) images of attack_train
    y_train: Tensor | None  # (N,) sensitive labels of attack_train (attribute suites)
    num_classes: int | None
    defense: Defense
    seed: int
    device: str = "cpu"
    epochs: int = 1
    iterations: int = 100
    invert_images: int | None = None  # white-box attacks invert only the first N test images
    progress: bool = False
    monitor: Monitor | None = None
    layout: TileLayout | None = None  # the defense's declared channel layout, if any


@dataclass
class AttackResult:
    """An attack's output on ``attack_test``: reconstructions (B, 3, H, W) or logits (B, K)."""

    reconstructions: Tensor | None = None
    logits: Tensor | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> Tensor:
        """Whichever of reconstructions and logits the attack produced."""
        outputs = self.reconstructions if self.reconstructions is not None else self.logits
        if outputs is None:
            raise ValueError("an attack result holds neither reconstructions nor logits.")
        return outputs


class Attack(Protocol):
    """An attack: ``run`` trains on attack_train (if it needs to) and predicts attack_test."""

    name: ClassVar[str]
    target: ClassVar[Target]
    requires: ClassVar[tuple[str, ...]]  # Defense capabilities it needs, e.g. ("client",)
    search_space: ClassVar[Mapping[str, SearchParam]]  # what tuning searches (suites narrow it)

    def run(self, data: AttackData) -> AttackResult: ...


def hyperparameters(factory: Any) -> tuple[str, ...]:
    """Names of an attack's tunable hyper-parameters (its config dataclass fields)."""
    config = getattr(factory, "Config", None)
    return tuple(f.name for f in dataclasses.fields(config)) if config else ()
