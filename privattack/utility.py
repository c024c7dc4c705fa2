"""Utility: task accuracy on attack_test, from the server's own logits or, for a defense without
``predict``, from a probe trained on attack_train's released activations."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from privattack.attacks.attribute import classifier_head
from privattack.attacks.standardize import Standardizer
from privattack.metrics import UTILITY, Estimate, Truth
from privattack.prepare import Prepared
from privattack.release import RELEASE_BATCH
from privattack.run import RunContext
from privattack.training import predict_batched, seed_everything, train_supervised

PROBE_LR = 1e-3


def measure_utility(
    prepared: Prepared | Sequence[Prepared], context: RunContext
) -> tuple[Estimate, str, str]:
    """(task accuracy with its interval, "server" or "probe", what that means in words); for
    several fits of the defense (the same splits), their average, the interval over the fits
    as well as the images."""
    fits = [prepared] if isinstance(prepared, Prepared) else list(prepared)
    task = fits[0].task.task
    truth = Truth(fits[0].attack_test.labels[task], fits[0].attack_train.labels[task])
    measured = [_logits(fit, context) for fit in fits]
    _, source, detail = measured[0]
    logits = [found for found, _, _ in measured]
    return UTILITY.estimate(logits, truth, context.seed_for("ci")), source, detail


def _logits(prepared: Prepared, context: RunContext) -> tuple[Tensor, str, str]:
    """The task logits of attack_test, where they come from, and what that means in words."""
    task = prepared.task.task
    released = prepared.released
    if released.server_logits is not None:
        detail = f"the defense's own predict() on attack_test, for the task {task!r}"
        return released.server_logits, "server", detail
    seed = context.seed_for("probe")
    seed_everything(seed)
    standardize = Standardizer.fit(released.train)
    probe = classifier_head(tuple(released.train.shape[1:]), prepared.task.num_classes)
    train_supervised(
        probe,
        standardize(released.train),
        prepared.attack_train.labels[task],
        F.cross_entropy,
        epochs=prepared.budget.attack_epochs,
        batch_size=prepared.budget.batch_size,
        lr=PROBE_LR,
        seed=seed,
        device=context.device,
        progress=context.progress,
        desc="utility probe",
    )
    logits = predict_batched(probe, standardize(released.test), RELEASE_BATCH, context.device)
    detail = (
        f"the defense has no predict(): a small classifier trained on attack_train's "
        f"released activations for the task {task!r} ({prepared.task.num_classes} classes), "
        "scored on attack_test; the defense's own server may do better or worse"
    )
    return logits, "probe", detail
