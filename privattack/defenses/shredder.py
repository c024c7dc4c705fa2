"""Shredder (Mireshghallah et al., "Shredder: Learning Noise Distributions to Protect Inference
Privacy", ASPLOS 2020): learned additive noise on the activation.

The split model is trained first (under the initial small noise); then, with client and
server frozen, a per-element Laplace noise scale is learned to keep the task loss low while
the regulariser ``-lam * mean(log scale)`` pushes the noise up. Strength: ``lam``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from privattack.protocol import LabelledImages, Task, TrainingBudget
from privattack.registry import defenses

from .split import SplitDefense

NOISE_LR = 0.2  # a log-parameter: fast enough that lam, not the step budget, sets the noise


class LearnedLaplaceNoise(nn.Module):
    """Adds Laplace noise with a learned scale per activation element."""

    def __init__(self, shape: tuple[int, ...], initial_scale: float = 0.1) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.full(shape, float(torch.tensor(initial_scale).log())))

    def forward(self, z: Tensor) -> Tensor:
        laplace = torch.distributions.Laplace(torch.zeros_like(z), torch.ones_like(z)).sample()
        return z + self.log_scale.exp() * laplace


def shredder_regulariser(noise: LearnedLaplaceNoise) -> Tensor:
    """Minus the mean log noise scale: minimising it makes the noise larger."""
    return -noise.log_scale.mean()


@defenses.register("shredder")
class ShredderDefense(SplitDefense):
    """Release the split activation plus learned Laplace noise.

    Args:
        lam: strength of the noise-growing regulariser.
        cut, lr, image_size, num_classes: as for the split model.
    """

    stochastic = True

    def __init__(
        self,
        lam: float = 0.1,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        self._noise: LearnedLaplaceNoise | None = None
        self.lam = lam
        super().__init__(cut=cut, lr=lr, image_size=image_size, num_classes=num_classes)
        self.params = {**self.params, "lam": lam}

    def _build(self, image_size: int, num_classes: int) -> None:
        super()._build(image_size, num_classes)
        client, _ = self._networks()
        with torch.no_grad():
            shape = client(torch.zeros(2, 3, image_size, image_size)).shape[1:]
        self._noise = LearnedLaplaceNoise(tuple(shape))

    def obfuscation(self) -> nn.Module:
        return self._learned_noise()

    def fit(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        """Train the split model under the initial noise, then the noise scale alone."""
        super().fit(task, train, budget)
        client, server = self._networks()
        noise = self._learned_noise().to(budget.device).train()
        optimiser = torch.optim.Adam(noise.parameters(), lr=NOISE_LR)
        for epoch in range(budget.epochs):
            for x, labels in train.batches(
                budget.batch_size, shuffle=True, seed=budget.seed + 7 + epoch
            ):
                with torch.no_grad():
                    z = client(x.to(budget.device))
                loss = F.cross_entropy(server(noise(z)), labels[task.task].to(budget.device))
                loss = loss + self.lam * shredder_regulariser(noise)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
        noise.eval()

    def _learned_noise(self) -> LearnedLaplaceNoise:
        if self._noise is None:
            self._networks()  # raises the not-built error
        assert self._noise is not None
        return self._noise

    def state_dict(self) -> dict:
        return {**super().state_dict(), "noise": self._learned_noise().state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        noise = self._learned_noise()
        noise.to(state["noise"]["log_scale"].device).load_state_dict(state["noise"])
