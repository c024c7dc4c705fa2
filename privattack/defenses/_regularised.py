"""A split model trained with a privacy term next to the task loss, optionally against an
adversary: the building block of the adversarial, max-entropy and NoPeek baselines."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from privattack.protocol import LabelledImages, Task, TrainingBudget
from privattack.training import seed_everything, task_batches

from ._adversary import ProxyAdversary
from .split import SplitDefense


class RegularisedDefense(SplitDefense):
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
        self, task: Task, x: Tensor, z: Tensor, secret: Tensor, adversary: ProxyAdversary | None
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
        adversary = None
        if self.uses_adversary:
            with torch.no_grad():
                shape = tuple(client(train.images[:2].to(budget.device)).shape[1:])
            adversary = ProxyAdversary(task, shape, self.lr, budget.device).train()
        params = [*client.parameters(), *server.parameters(), *obfuscation.parameters()]
        optimiser = torch.optim.Adam(params, lr=self.lr)
        for x, y, secret in task_batches(task, train, budget, seed=budget.seed):
            z = obfuscation(client(x))
            loss = F.cross_entropy(server(z), y) + self.privacy_term(task, x, z, secret, adversary)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if adversary is not None:
                adversary.learn(z, secret)
        client.eval()
        server.eval()
        self.fitted = True
