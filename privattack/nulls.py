"""Null baselines: what an attacker who ignores z scores, per metric (the majority class, the
mean training image), so every leakage number is read against it."""

from __future__ import annotations

from contextlib import nullcontext

from privattack.metrics import UTILITY, Truth
from privattack.prepare import Prepared
from privattack.run import RunContext


def null_baselines(prepared: Prepared, context: RunContext) -> dict[str, float]:
    """``task_accuracy`` (the majority task class) and each of the target's metrics that has
    a null baseline in the metrics table (identity's timed as the "identity" phase)."""
    task = prepared.task.task
    train, test = prepared.attack_train, prepared.attack_test
    task_truth = Truth(test.labels[task], train.labels[task])
    nulls = {"task_accuracy": UTILITY.null(task_truth)}  # type: ignore[misc]
    truth = prepared.truth(context)
    for m in prepared.measured_metrics[0]:
        if m.null is not None:
            with context.phase("identity") if m.aspect == "identity" else nullcontext():
                nulls[m.name] = m.null(truth)
    return nulls
