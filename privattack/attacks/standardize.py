"""Standardising the released activation, so that no rescaling or offset can hide leakage.

A defense may multiply what it releases by 1e20 (and its server divide it back): that hides
nothing, but float32 statistics of such values overflow and an attack that normalises with
them learns nothing. Every attack therefore standardises z per channel with statistics
computed in float64 on attack_train alone (what the adversary holds), and compares
activations in that standard space: any per-channel affine map of z with a nonzero scale then
gives the same leakage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Standardizer:
    """Per-channel mean and scale of attack_train's z, in float64."""

    mean: Tensor  # (1, C, 1, 1) or (1, D), float64
    scale: Tensor  # same shape; 1 where a channel never varies

    @classmethod
    def fit(cls, z_train: Tensor, chunk: int = 256) -> Standardizer:
        """Statistics of ``z_train`` (N, C, h, w) or (N, D), per channel (dim 1), in two
        float64 passes over chunks of ``chunk`` rows (never the whole split in float64)."""
        dims = [d for d in range(z_train.ndim) if d != 1]
        count = z_train.numel() / z_train.shape[1]

        def chunks() -> Iterator[Tensor]:
            for start in range(0, len(z_train), chunk):
                yield z_train[start : start + chunk].detach().double()

        mean = sum(c.sum(dim=dims, keepdim=True) for c in chunks()) / count
        variance = sum(((c - mean) ** 2).sum(dim=dims, keepdim=True) for c in chunks()) / count
        scale = variance.sqrt()
        return cls(mean, torch.where(scale > 0, scale, torch.ones_like(scale)))

    def __call__(self, z: Tensor) -> Tensor:
        """``z`` standardised, as float32; differentiable (white-box attacks match in it)."""
        mean, scale = self.mean.to(z.device), self.scale.to(z.device)
        return ((z.double() - mean) / scale).float()
