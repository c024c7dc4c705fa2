"""Attacks configured by a dataclass of hyper-parameters (what tuning searches)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import Tensor, nn

from privattack.attacks.base import AttackInputs
from privattack.errors import ArgumentError, UnknownNameError
from privattack.heldout import held_out, validation_score
from privattack.training import EarlyStopping, predict_batched, seed_everything, train_supervised


class Configured:
    """Base for attacks: ``Attack(lr=1e-3)`` builds ``Attack.Config`` and rejects unknown knobs."""

    Config: ClassVar[type]
    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        known = [f.name for f in dataclasses.fields(self.Config)]
        for key in params:
            if key not in known:
                raise UnknownNameError(f"hyper-parameter of attack {self.name!r}", key, known)
        self.config = self.Config(**params)

    def params(self) -> dict[str, Any]:
        """The hyper-parameters in force, for the report."""
        return dataclasses.asdict(self.config)


@dataclass(frozen=True)
class SupervisedConfig:
    """Hyper-parameters every supervised attack (a network trained on attack_train) shares."""

    lr: float = 1e-3
    epochs: int | None = None  # None: the suite scale's attack_epochs (with patience: at most)
    # n: hold out a fifth of attack_train and stop once its score (SSIM, accuracy) has not
    # improved for n epochs, keeping the best epoch's weights; 0: train every epoch; None: the
    # suite scale's attack_patience
    patience: int | None = None
    width: int = 64
    batch_size: int = 32
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        """Reject a training budget no run could use, before any training starts."""
        positive = {"lr": self.lr, "width": self.width, "batch_size": self.batch_size}
        positive["epochs"] = 1 if self.epochs is None else self.epochs
        wrong = {knob: value for knob, value in positive.items() if not value > 0}
        if self.patience is not None and self.patience < 0:
            wrong["patience"] = self.patience
        if wrong or self.weight_decay < 0:
            wrong = wrong or {"weight_decay": self.weight_decay}
            raise ArgumentError(
                f"{type(self).__qualname__}: {', '.join(f'{k}={v!r}' for k, v in wrong.items())}"
                " is out of range: lr, width, batch_size and epochs must be positive, patience"
                " and weight_decay at least 0."
            )


class SupervisedAttack(Configured):
    """An attack that trains a network on (z, secret) pairs of attack_train."""

    def fit_predict(
        self,
        model: nn.Module,
        loss: Callable[[Tensor, Tensor], Tensor],
        inputs: AttackInputs,
    ) -> tuple[Tensor, dict[str, int]]:
        """Train ``model`` on (z_train, secret_train) with the config: its outputs on z_test,
        and the epochs it ran (and, with patience, its best epoch on the held-out part). Both
        are standardised first, with attack_train's float64 statistics."""
        cfg = self.config
        standardize = inputs.standardize  # any rescaling of z hides nothing
        z_train, z_test = standardize(inputs.z_train), standardize(inputs.z_test)
        secret_train, stopping = inputs.secret_train, None
        patience = inputs.budget.patience if cfg.patience is None else cfg.patience
        if patience:
            fit, held = held_out(len(z_train), inputs.seed)
            stopping = EarlyStopping(
                z_train[held],
                secret_train[held],
                lambda outputs, secret: validation_score(outputs, secret, inputs.target),
                patience,
            )
            z_train, secret_train = z_train[fit], secret_train[fit]
        monitor = inputs.monitor
        on_epoch: Callable[[int], None] | None = None
        if monitor is not None:

            def on_epoch(epoch: int) -> None:
                monitor(epoch, predict_batched(model, z_test, 256, inputs.device))

        epochs = cfg.epochs or inputs.budget.epochs
        train_supervised(
            model,
            z_train,
            secret_train,
            loss,
            epochs=epochs,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            seed=inputs.seed,
            device=inputs.device,
            progress=inputs.progress,
            desc=f"{self.name} attack",
            on_epoch=on_epoch,
            early_stopping=stopping,
        )
        ran = {"epochs_run": epochs}
        if stopping is not None:
            ran = {"epochs_run": stopping.epochs_run, "best_epoch": stopping.best_epoch}
        return predict_batched(model, z_test, 256, inputs.device), ran

    @staticmethod
    def seeded(inputs: AttackInputs) -> None:
        """Seed weight initialisation from the attack's seed."""
        seed_everything(inputs.seed)
