"""What several test modules share: small defenses (an encoder that releases noise, broken
ones) and the numbers of a report that must match between two runs."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from privattack.protocol import check_images
from privattack.report import Report


def numbers(report: Report) -> dict[str, Any]:
    """Everything a report measured: its JSON without timings (the manifest) and without how
    the defense came to be fitted (in this run, or restored from the fit cache)."""
    data = report.to_dict()
    data.pop("manifest")
    data["defense"].pop("fit")
    return data


class _Noise(nn.Module):
    """Outputs fresh Gaussian noise shaped like the split's layer1 activation, whatever x is;
    differentiable (with zero gradient), so white-box attacks run against it too."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.randn(len(x), 64, 16, 16, device=x.device) + 0 * x.sum()


class NoiseEncoder:
    """A defense that releases noise: it carries no information about the image."""

    stochastic = True

    def __init__(self) -> None:
        self.client = _Noise()

    def release(self, x: Tensor) -> Tensor:
        return self.client(check_images(x))


class DropsOneImage:
    """Breaks the protocol: returns one activation fewer than it was given images."""

    def release(self, x: Tensor) -> Tensor:
        return x[1:].mean(1)


class ReleasesNaN:
    def release(self, x: Tensor) -> Tensor:
        return torch.full((len(x), 8), float("nan"))


class SecretlyRandom:
    """Samples noise but does not declare ``stochastic = True``."""

    def release(self, x: Tensor) -> Tensor:
        return x.mean(1, keepdim=True) + torch.rand_like(x.mean(1, keepdim=True))


class BadPredict:
    def release(self, x: Tensor) -> Tensor:
        return x.mean(1, keepdim=True)

    def predict(self, z: Tensor) -> Tensor:
        return z.flatten(1)[:, 0]  # (B,) instead of logits (B, K)
