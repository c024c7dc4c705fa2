"""Small defenses the tests evaluate: an encoder that releases noise, and broken ones."""

from __future__ import annotations

import torch
from torch import Tensor

from privattack.protocol import check_images


class NoiseEncoder:
    """Releases Gaussian noise shaped like the split's layer1 activation: carries no image."""

    stochastic = True

    def release(self, x: Tensor) -> Tensor:
        check_images(x)
        return torch.randn(len(x), 64, 16, 16)


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
        return x.mean(1) + torch.rand_like(x.mean(1))


class BadPredict:
    def release(self, x: Tensor) -> Tensor:
        return x.mean(1)

    def predict(self, z: Tensor) -> Tensor:
        return z.flatten(1)[:, 0]  # (B,) instead of logits (B, K)
