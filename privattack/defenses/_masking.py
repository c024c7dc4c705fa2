"""Channel masks shared by DISCO and random pruning: keep the top ``C - round(R*C)`` channels.

Pruning ratio R is the fraction of channels pruned; at least one channel is always kept.
Masks are hard (0/1) and per sample; DISCO trains through them with a straight-through
estimator whose backward pass is the tempered sigmoid of the scores.
"""

from __future__ import annotations

import torch
from torch import Tensor

from privattack.errors import ShapeError


def kept_channels(channels: int, ratio: float | Tensor) -> Tensor:
    """How many of ``channels`` survive pruning ratio ``ratio`` (a float or a (B,) tensor)."""
    ratio = torch.as_tensor(ratio, dtype=torch.float64)
    if (~torch.isfinite(ratio) | (ratio < 0) | (ratio > 1)).any():
        raise ShapeError(f"pruning ratio must lie in [0, 1], got {ratio.tolist()}.")
    return (channels - torch.round(ratio * channels)).clamp(min=1).long()


def top_k_mask(scores: Tensor, keep: Tensor) -> Tensor:
    """Hard mask (B, C): 1 for each sample's ``keep[b]`` highest-scoring channels, else 0.

    Args:
        scores: (B, C) channel scores, one row per sample.
        keep: (B,) or () number of channels to keep per sample.
    """
    ranks = scores.argsort(dim=1, descending=True).argsort(dim=1)
    return (ranks < keep.to(scores.device).reshape(-1, 1)).to(scores.dtype)


def straight_through_mask(scores: Tensor, keep: Tensor, temperature: float) -> Tensor:
    """Hard top-k mask forward, gradient of ``sigmoid(scores / temperature)`` backward."""
    soft = torch.sigmoid(scores / temperature)
    hard = top_k_mask(scores.detach(), keep)
    return hard + soft - soft.detach()


def random_mask(
    batch: int,
    channels: int,
    ratio: float,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> Tensor:
    """A fresh random hard mask per sample with the same R semantics as DISCO."""
    scores = torch.rand(batch, channels, generator=generator).to(device)
    return top_k_mask(scores, kept_channels(channels, ratio).expand(batch))


def apply_mask(activation: Tensor, mask: Tensor) -> Tensor:
    """Zero the masked channels of (B, C, h, w) activations with a (B, C) mask."""
    return activation * mask[:, :, None, None]
