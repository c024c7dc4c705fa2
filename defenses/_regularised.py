"""A split model trained with a privacy term next to the task loss, optionally against an
adversary: the building block of the adversarial, max-entropy and NoPeek baselines."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from privattack.attacks.attribute import classifier_head
from privattack.attacks.decoder import ConvDecoder
from privattack.errors import CapabilityError
from privattack.protocol import LabelledImages, Task, TrainingBudget
from privattack.training import seed_everything

from .split import SplitModel


def proxy_adversary(task: Task, activation_shape: tuple[int, ...]) -> nn.Module:
    """A decoder (input suites) or a classifier (attribute suites) on activations."""
    if task.sensitive == "input":
        return ConvDecoder(activation_shape, task.image_size, width=32)
    if task.num_sensitive_classes is None:
        raise CapabilityError("an attribute adversary needs the number of sensitive classes.")
    return classifier_head(activation_shape, task.num_sensitive_classes)


def adversary_loss(task: Task, prediction: Tensor, secret: Tensor) -> Tensor:
    """L1 to the image for input suites, cross-entropy for attribute suites."""
    if task.sensitive == "input":
        return F.l1_loss(prediction, secret)
    return F.cross_entropy(prediction, secret)


class RegularisedSplit(SplitModel):
    """Trains client and server on ``L_task + privacy_term``; subclasses define the term.

    When ``uses_adversary`` is set, a proxy adversary is trained alongside on the released
    activation (detached), one step per batch.
    """

    uses_adversary = False

    def __init__(
        self,
        knob: str,
        strength: float,
        cut: str,
        lr: float,
        image_size: int | None,
        num_classes: int | None,
    ) -> None:
        super().__init__(cut=cut, lr=lr, image_size=image_size, num_classes=num_classes)
        self.strength = strength
        self.params = {**self.params, knob: strength}

    def privacy_term(
        self, task: Task, x: Tensor, z: Tensor, secret: Tensor, adversary: nn.Module | None
    ) -> Tensor:
        """The term the client minimises next to the task loss (a scalar)."""
        raise NotImplementedError  # each baseline defines its privacy term

    def fit(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        """Train client and server for the task with the privacy term (and the adversary)."""
        seed_everything(budget.seed)
        self._build(task.image_size, task.num_classes)
        client, server = self._networks()
        client.to(budget.device).train()
        server.to(budget.device).train()
        obfuscation = self.obfuscation().to(budget.device)
        adversary, adversary_opt = None, None
        if self.uses_adversary:
            with torch.no_grad():
                shape = tuple(client(train.images[:2].to(budget.device)).shape[1:])
            adversary = proxy_adversary(task, shape).to(budget.device).train()
            adversary_opt = torch.optim.Adam(adversary.parameters(), lr=self.lr)
        params = [*client.parameters(), *server.parameters(), *obfuscation.parameters()]
        optimiser = torch.optim.Adam(params, lr=self.lr)
        for epoch in range(budget.epochs):
            for x, labels in train.batches(
                budget.batch_size, shuffle=True, seed=budget.seed + epoch
            ):
                x, y = x.to(budget.device), labels[task.task].to(budget.device)
                secret = (
                    x if task.sensitive == "input" else labels[task.sensitive].to(budget.device)
                )
                z = obfuscation(client(x))
                loss = F.cross_entropy(server(z), y) + self.privacy_term(
                    task, x, z, secret, adversary
                )
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                if adversary is not None and adversary_opt is not None:
                    adversary_opt.zero_grad(set_to_none=True)
                    adversary_loss(task, adversary(z.detach()), secret).backward()
                    adversary_opt.step()
        client.eval()
        server.eval()
        self.fitted = True
