"""Supervised attribute attack: a classifier trained on (z, sensitive label) of attack_train.

The paper's "Supervised Decoder" used as a leakage attack (section 3.1): conv layers, pooling
and a linear head for maps, an MLP for flat activations; cross-entropy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch.nn.functional as F
from torch import nn

from privattack.attacks.base import AttackInputs, Predictions
from privattack.attacks.configured import SupervisedAttack, SupervisedConfig
from privattack.errors import CapabilityError, ShapeError, UnknownNameError
from privattack.registry import attacks
from privattack.searchspace import SearchParam
from privattack.targets import AttributeTarget, TargetKind

HEADS = ("conv", "fc")


def classifier_head(
    z_shape: tuple[int, ...], num_classes: int, width: int = 64, kind: str = "conv"
) -> nn.Module:
    """A small classifier from activations of shape ``z_shape`` to ``num_classes`` logits:
    convolutions and pooling ("conv"), or a fully connected head on the flattened z ("fc")."""
    if kind not in HEADS:
        raise UnknownNameError("classifier head", kind, HEADS)
    if kind == "fc" and len(z_shape) > 1:
        return nn.Sequential(
            nn.Flatten(), classifier_head((math.prod(z_shape),), num_classes, width)
        )
    if len(z_shape) == 1:
        return nn.Sequential(
            nn.BatchNorm1d(z_shape[0]),
            nn.Linear(z_shape[0], width),
            nn.ReLU(inplace=True),
            nn.Linear(width, num_classes),
        )
    if len(z_shape) != 3:
        raise ShapeError(f"a classifier needs z of shape (C, h, w) or (D,), got {z_shape}.")
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
class AttributeAttack(SupervisedAttack):
    """Train a classifier on (z, sensitive attribute) of attack_train; predict attack_test."""

    name: ClassVar[str] = "attribute"
    target: ClassVar[TargetKind] = "attribute"
    requires: ClassVar[tuple[str, ...]] = ()
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-4, 1e-2, log=True),
        "width": SearchParam(choices=(32, 64, 128)),
        "weight_decay": SearchParam(1e-6, 1e-2, log=True),
        "head": SearchParam(choices=HEADS),
    }

    @dataclass(frozen=True)
    class Config(SupervisedConfig):
        weight_decay: float = 1e-4
        head: str = "conv"  # or "fc"

    def run(self, inputs: AttackInputs) -> Predictions:
        target = inputs.target
        if not isinstance(target, AttributeTarget):
            raise CapabilityError("the attribute attack needs an attribute target.")
        self.seeded(inputs)
        cfg = self.config
        z_shape = tuple(inputs.z_train.shape[1:])
        head = classifier_head(z_shape, target.num_classes, cfg.width, cfg.head)
        logits, ran = self.fit_predict(head, F.cross_entropy, inputs)
        return Predictions(logits, {**self.params(), **ran})
