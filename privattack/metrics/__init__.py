"""Per-sample metrics (piq SSIM/PSNR, L1, accuracy), bootstrap estimates of their means, and
the table that says what each reported metric means."""

from privattack.metrics.estimate import Estimate, bootstrap
from privattack.metrics.functional import (
    accuracy,
    balanced_accuracy,
    chance,
    correct,
    l1,
    psnr,
    ssim,
)
from privattack.metrics.table import (
    METRICS,
    UTILITY,
    Metric,
    Truth,
    identity_leads,
    measured,
    metric,
    metrics_of,
    primary,
)

__all__ = [
    "METRICS",
    "UTILITY",
    "Estimate",
    "Metric",
    "Truth",
    "accuracy",
    "balanced_accuracy",
    "bootstrap",
    "chance",
    "correct",
    "identity_leads",
    "l1",
    "measured",
    "metric",
    "metrics_of",
    "primary",
    "psnr",
    "ssim",
]
