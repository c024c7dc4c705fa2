"""Per-sample leakage and utility metrics, each a pure function returning a (B,) tensor."""

from __future__ import annotations

import torch
from torch import Tensor

from privattack.errors import ShapeError


def _pair(x_hat: Tensor, x: Tensor) -> tuple[Tensor, Tensor]:
    if x_hat.shape != x.shape or x.ndim != 4:
        raise ShapeError(
            f"reconstructions and originals must both be (B, C, H, W) and match; got "
            f"{tuple(x_hat.shape)} and {tuple(x.shape)}."
        )
    return x_hat.detach().float().clamp(0, 1), x.detach().float().clamp(0, 1)


def ssim(x_hat: Tensor, x: Tensor) -> Tensor:
    """Structural similarity of each reconstruction to its original.

    Args:
        x_hat: reconstructions, (B, 3, H, W), clamped to [0, 1] before scoring.
        x: originals, (B, 3, H, W), float in [0, 1].

    Returns:
        (B,) one SSIM per image (piq, 11x11 Gaussian window, sigma 1.5, data_range=1).

    Example:
        >>> x = torch.rand(2, 3, 32, 32)
        >>> torch.allclose(ssim(x, x), torch.ones(2))
        True
    """
    import piq  # imports torchvision: loaded on first use, not with privattack

    x_hat, x = _pair(x_hat, x)
    return piq.ssim(
        x_hat,
        x,
        data_range=1.0,
        kernel_size=11,
        kernel_sigma=1.5,
        reduction="none",
        downsample=False,
    )


def psnr(x_hat: Tensor, x: Tensor) -> Tensor:
    """Peak signal-to-noise ratio (dB, peak 1) of each reconstruction; (B,) like ``ssim``.

    Example:
        >>> x = torch.zeros(1, 3, 8, 8)
        >>> round(psnr(x + 0.1, x).item(), 3)
        20.0
    """
    import piq

    x_hat, x = _pair(x_hat, x)
    return piq.psnr(x_hat, x, data_range=1.0, reduction="none")


def l1(x_hat: Tensor, x: Tensor) -> Tensor:
    """Mean absolute pixel error of each reconstruction; (B,) like ``ssim``.

    Example:
        >>> x = torch.zeros(1, 3, 8, 8)
        >>> l1(x + 0.25, x)
        tensor([0.2500])
    """
    x_hat, x = _pair(x_hat, x)
    return (x_hat - x).abs().flatten(1).mean(1)


def correct(logits_or_pred: Tensor, target: Tensor) -> Tensor:
    """(B,) 1.0 where the prediction (logits (B, K) or labels (B,)) equals ``target``."""
    pred = logits_or_pred.argmax(1) if logits_or_pred.ndim == 2 else logits_or_pred
    if pred.shape != target.shape:
        raise ShapeError(
            f"predictions {tuple(pred.shape)} and targets {tuple(target.shape)} "
            "must have one entry per sample."
        )
    return (pred == target).float()


def accuracy(pred: Tensor, target: Tensor) -> float:
    """Fraction of predicted labels (B,) equal to ``target`` (B,)."""
    return correct(pred, target).mean().item()


def balanced_accuracy(pred: Tensor, target: Tensor) -> float:
    """Mean per-class recall over the classes present in ``target`` (scikit-learn's definition).

    Example:
        >>> balanced_accuracy(torch.tensor([0, 0, 0, 0]), torch.tensor([0, 0, 0, 1]))
        0.5
    """
    hits = correct(pred, target)
    classes = target.unique()
    return torch.stack([hits[target == c].mean() for c in classes]).mean().item()


def chance(train_target: Tensor, test_target: Tensor) -> float:
    """Accuracy on ``test_target`` of always guessing the majority class of ``train_target``."""
    majority = torch.bincount(train_target).argmax()
    return (test_target == majority).float().mean().item()


__all__ = [
    "accuracy",
    "balanced_accuracy",
    "chance",
    "correct",
    "l1",
    "psnr",
    "ssim",
]
