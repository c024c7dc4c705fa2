"""Per-sample metrics (piq SSIM/PSNR, L1, accuracy) and bootstrap estimates of their means."""

from privattack.metrics.estimate import Estimate, MeanAccumulator, bootstrap
from privattack.metrics.functional import (
    HIGHER_IS_BETTER,
    IMAGE_METRICS,
    accuracy,
    balanced_accuracy,
    chance,
    correct,
    image_metrics,
    l1,
    psnr,
    ssim,
)

__all__ = [
    "HIGHER_IS_BETTER",
    "IMAGE_METRICS",
    "Estimate",
    "MeanAccumulator",
    "accuracy",
    "balanced_accuracy",
    "bootstrap",
    "chance",
    "correct",
    "image_metrics",
    "l1",
    "psnr",
    "ssim",
]
