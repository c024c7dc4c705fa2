"""Maximum-entropy adversarial representation learning (Roy and Boddeti, CVPR 2019).

The client maximises the entropy of an attribute adversary's prediction on z, rather than its
loss: the adversary should end up uncertain, not confidently wrong. Attribute suites only.
Strength: ``lam``. The paper's [24] baseline.
"""

from __future__ import annotations

import torch
from torch import Tensor

from privattack.errors import CapabilityError
from privattack.protocol import LabelledImages, Task, TrainingBudget
from privattack.registry import defenses

from ._adversary import ProxyAdversary
from ._regularised import RegularisedDefense


def prediction_entropy(logits: Tensor) -> Tensor:
    """Mean entropy (nats) of the softmax of (B, K) logits."""
    log_p = torch.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(1).mean()


@defenses.register("maxentropy")
class MaxEntropyDefense(RegularisedDefense):
    """The split model trained so an attribute adversary's output has maximal entropy.

    Args:
        lam: strength of the entropy term.
        cut, lr, image_size, num_classes: as for the split model.
    """

    uses_adversary = True

    def __init__(
        self,
        lam: float = 1.0,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        super().__init__("lam", lam, cut, lr, image_size, num_classes)

    def fit(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        if task.sensitive == "input":
            raise CapabilityError(
                "maxentropy protects an attribute: its adversary predicts a "
                "sensitive label, so it needs an attribute suite, not an "
                "input suite. Use 'adversarial' or 'disco' for inputs."
            )
        super().fit(task, train, budget)

    def privacy_term(
        self, task: Task, x: Tensor, z: Tensor, secret: Tensor, adversary: ProxyAdversary | None
    ) -> Tensor:
        assert adversary is not None
        return -self.strength * prediction_entropy(adversary(z))
