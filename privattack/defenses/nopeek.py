"""NoPeek (Vepakomma et al., "NoPeek: Information leakage reduction to share activations in
distributed deep learning", 2020): minimise the distance correlation between x and z.

Strength: ``alpha``, the weight of the distance correlation next to the task loss.
"""

from __future__ import annotations

import torch
from torch import Tensor

from privattack.protocol import Task
from privattack.registry import defenses

from ._adversary import ProxyAdversary
from ._regularised import RegularisedDefense


def _centred_distances(a: Tensor) -> Tensor:
    d = torch.cdist(a, a)
    return d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean()


def distance_correlation(x: Tensor, z: Tensor) -> Tensor:
    """Sample distance correlation (Székely et al. 2007) between rows of x and z, in [0, 1]."""
    a, b = _centred_distances(x.flatten(1)), _centred_distances(z.flatten(1))
    covariance = (a * b).mean()
    variance = (a * a).mean().sqrt() * (b * b).mean().sqrt()
    return (covariance / variance.clamp_min(1e-12)).clamp_min(0).sqrt()


@defenses.register("nopeek")
class NoPeekDefense(RegularisedDefense):
    """The split model trained with ``L_task + alpha * dCor(x, z)``.

    Args:
        alpha: strength of the distance-correlation term.
        cut, lr, image_size, num_classes: as for the split model.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        super().__init__("alpha", alpha, cut, lr, image_size, num_classes)

    def privacy_term(
        self, task: Task, x: Tensor, z: Tensor, secret: Tensor, adversary: ProxyAdversary | None
    ) -> Tensor:
        return self.strength * distance_correlation(x, z)
