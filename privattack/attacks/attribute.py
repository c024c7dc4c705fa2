"""Supervised attribute attack: a classifier trained on (z, sensitive label) of attack_train.

The paper's "Supervised Decoder" used as a leakage attack (section 3.1): conv layers, pooling
and a linear head for maps, an MLP for flat activations; cross-entropy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch.nn.functional as F
from torch import nn

from privattack.attacks.base import AttackData, AttackResult, Target
from privattack.attacks.configured import Configured
from privattack.registry import attacks
from privattack.training import predict_batched, seed_everything, train_supervised


def classifier_head(z_shape: tuple[int, ...], num_classes: int, width: int = 64) -> nn.Module:
    """A small classifier from activations of shape ``z_shape`` to ``num_classes`` logits."""
    if len(z_shape) == 1:
        return nn.Sequential(
            nn.BatchNorm1d(z_shape[0]),
            nn.Linear(z_shape[0], width),
            nn.ReLU(inplace=True),
            nn.Linear(width, num_classes),
        )
    if len(z_shape) != 3:
        raise ValueError(f"a classifier needs z of shape (C, h, w) or (D,), got {z_shape}.")
    return nn.Sequential(
        nn.BatchNorm2d(z_shape[0]),
        nn.Conv2d(z_shape[0], width, 3, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.Conv2d(width, width, 3, stride=2, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(width, num_classes),
    )


@attacks.register("attribute")
class AttributeAttack(Configured):
    """Train a classifier on (z, sensitive attribute) of attack_train; predict attack_test."""

    name: ClassVar[str] = "attribute"
    target: ClassVar[Target] = "attribute"
    requires: ClassVar[tuple[str, ...]] = ()

    @dataclass(frozen=True)
    class Config:
        lr: float = 1e-3
        epochs: int | None = None  # None: the suite scale's attack_epochs
        width: int = 64
        batch_size: int = 32
        weight_decay: float = 1e-4

    def run(self, data: AttackData) -> AttackResult:
        if data.y_train is None or data.num_classes is None:
            raise ValueError("the attribute attack needs sensitive labels for attack_train.")
        cfg = self.config
        seed_everything(data.seed)
        head = classifier_head(tuple(data.z_train.shape[1:]), data.num_classes, cfg.width)
        train_supervised(
            head,
            data.z_train,
            data.y_train,
            F.cross_entropy,
            epochs=cfg.epochs or data.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            seed=data.seed,
            device=data.device,
            progress=data.progress,
            desc="attribute attack",
        )
        return AttackResult(
            logits=predict_batched(head, data.z_test, 256, data.device), params=self.params()
        )
