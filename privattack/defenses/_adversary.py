"""The defender's proxy adversary: the stand-in attacker that adversarial training plays
against (the adversarial and max-entropy baselines, DISCO's phase ii)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from privattack.attacks.attribute import classifier_head
from privattack.attacks.decoder import ConvDecoder
from privattack.errors import CapabilityError
from privattack.protocol import Task


class ProxyAdversary(nn.Module):
    """A decoder with L1 loss (input suites) or a classifier with cross-entropy (attribute
    suites) on the released activation, trained one Adam step per batch by ``learn``."""

    def __init__(
        self, task: Task, activation_shape: tuple[int, ...], lr: float, device: str = "cpu"
    ) -> None:
        super().__init__()
        self.sensitive = task.sensitive
        if task.sensitive == "input":
            self.network = ConvDecoder(activation_shape, task.image_size, width=32)
        elif task.num_sensitive_classes is None:
            raise CapabilityError("an attribute adversary needs the number of sensitive classes.")
        else:
            self.network = classifier_head(activation_shape, task.num_sensitive_classes)
        self.to(device)
        self.optimiser = torch.optim.Adam(self.network.parameters(), lr=lr)

    def forward(self, released: Tensor) -> Tensor:
        return self.network(released)

    def loss(self, released: Tensor, secret: Tensor) -> Tensor:
        """The adversary's loss on ``released``: differentiable through it, for the defender."""
        if self.sensitive == "input":
            return F.l1_loss(self(released), secret)
        return F.cross_entropy(self(released), secret)

    def learn(self, released: Tensor, secret: Tensor) -> None:
        """One step of the adversary on what was just released (detached from the defense)."""
        self.optimiser.zero_grad(set_to_none=True)
        self.loss(released.detach(), secret).backward()
        self.optimiser.step()
