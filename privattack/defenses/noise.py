"""Gaussian noise on the activation (the paper's section 8 ii baseline).

``sigma`` is absolute, or relative to each activation's standard deviation (``relative=True``,
the default) so a client cannot defeat it by inflating its scale; ``mean`` shifts the noise
(the paper's form is mean -1, sigma 400, absolute). The server is trained on noisy activations.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from privattack.registry import defenses
from privattack.validate import number

from .split import SplitDefense


class GaussianNoise(nn.Module):
    """Adds N(mean, sigma^2) noise, sigma scaled by each sample's std when ``relative``."""

    def __init__(self, sigma: float, mean: float = 0.0, relative: bool = True) -> None:
        super().__init__()
        number(sigma, "sigma", "the noise defense", 0.0, math.inf)
        number(mean, "mean", "the noise defense", -math.inf, math.inf)
        self.sigma, self.mean, self.relative = sigma, mean, relative

    def forward(self, z: Tensor) -> Tensor:
        scale = self.sigma
        if self.relative:
            scale = self.sigma * z.detach().flatten(1).std(1).view(-1, *([1] * (z.ndim - 1)))
        return z + self.mean + scale * torch.randn_like(z)


@defenses.register("noise")
class NoiseDefense(SplitDefense):
    """Release the split activation plus Gaussian noise.

    Args:
        sigma: the noise's standard deviation (relative to the activation's, by default).
        mean: the noise's mean.
        relative: scale sigma by each activation's standard deviation.
        cut, lr, image_size, num_classes: as for the split model.
    """

    stochastic = True

    def __init__(
        self,
        sigma: float = 1.0,
        mean: float = 0.0,
        relative: bool = True,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        self._noise = GaussianNoise(sigma, mean, relative)
        super().__init__(cut=cut, lr=lr, image_size=image_size, num_classes=num_classes)
        self.params = {**self.params, "sigma": sigma, "mean": mean, "relative": relative}

    def obfuscation(self) -> nn.Module:
        return self._noise
