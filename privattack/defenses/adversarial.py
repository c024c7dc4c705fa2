"""Adversarial representation learning: the client is trained against a proxy adversary.

Attribute suites: Kim et al., "Learning Not to Learn" (CVPR 2019): an attribute classifier on
z, whose loss the client maximises (the gradient reversal of the paper, written as a minus
sign). Input suites: Li et al., "DeepObfuscator" (2019): a decoder adversary whose
reconstruction loss the client maximises. Strength: ``lam``. The paper's [29, 23] baselines.
"""

from __future__ import annotations

from torch import Tensor

from privattack.protocol import Task
from privattack.registry import defenses

from ._adversary import ProxyAdversary
from ._regularised import RegularisedDefense


@defenses.register("adversarial")
class AdversarialDefense(RegularisedDefense):
    """The split model trained to make a proxy adversary fail: ``L_task - lam * L_adv``.

    Args:
        lam: strength of the adversarial term.
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

    def privacy_term(
        self, task: Task, x: Tensor, z: Tensor, secret: Tensor, adversary: ProxyAdversary | None
    ) -> Tensor:
        assert adversary is not None
        return -self.strength * adversary.loss(z, secret)
