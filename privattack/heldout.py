"""The adversary's own validation: a seeded held-out part of attack_train, and the score on it.

Tuning judges trials by it and early stopping judges epochs by it; neither ever sees
attack_test.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from privattack.metrics import ssim
from privattack.targets import InputTarget, Target

VALIDATION_FRACTION = 0.2


def held_out(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices into ``n`` >= 4 samples (a fifth, at least 2, validate),
    fixed by ``seed``."""
    n_val = max(2, round(n * VALIDATION_FRACTION))
    if n - n_val < 2:
        raise ValueError(f"a held-out split needs at least 4 samples, got {n}.")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def validation_score(outputs: Tensor, secret: Tensor, target: Target) -> float:
    """Mean SSIM of reconstructions, or accuracy of logits, against held-out secrets (NaN when
    the outputs are not finite: a diverged attack)."""
    if not torch.isfinite(outputs).all():
        return float("nan")
    n = len(outputs)
    if isinstance(target, InputTarget):
        return ssim(outputs, secret[:n]).mean().item()
    return (outputs.argmax(1) == secret[:n]).double().mean().item()
