"""Scoring: an attack's output on attack_test, turned into the report's estimates by the metrics
table (per-sample values, bootstrap intervals over the test images)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from privattack.attacks.base import RESULT_OF, AttackResult
from privattack.errors import DefenseError
from privattack.metrics import chance, primary
from privattack.metrics.attributes import attribute_table
from privattack.prepare import Prepared
from privattack.report import Leakage
from privattack.run import RunContext
from privattack.targets import AttributeTarget


def score(
    attack: str, results: Sequence[AttackResult], prepared: Prepared, context: RunContext
) -> Leakage:
    """Every metric of the suite's target for ``results`` (one per repeat of the attack, each
    with its own seed: their average, the interval over repeats and images), with ``n`` (the
    images scored: a white-box attack may invert a prefix), for attributes the chance level,
    and whether the attack failed: its primary metric no better than its null baseline on the
    same images. Identity metrics rank each reconstruction among all of attack_test's
    originals. Parameters and the attribute table are the first repeat's."""
    target = prepared.target
    for result in results:
        if not isinstance(result, RESULT_OF[target.kind]):
            raise DefenseError(
                f"attack {attack!r} returned {type(result).__name__}, but the suite's target "
                f"is {target.kind}: it must return {RESULT_OF[target.kind].__name__}."
            )
    result, runs = results[0], [r.outputs for r in results]
    truth = prepared.truth(context)
    seed = context.seed_for("ci")
    metrics = {}
    # identity's cost is timed apart (it is also within the attack's phase)
    for m in prepared.measured_metrics[0]:
        with context.phase("identity") if m.aspect == "identity" else nullcontext():
            metrics[m.name] = m.estimate(runs, truth, seed)
    extra: dict[str, Any] = {}
    if isinstance(target, AttributeTarget):
        extra["chance"] = chance(truth.train, truth.test)
    else:
        extra["gallery"] = len(truth.test)  # the originals each reconstruction is ranked among
    if truth.reading is not None:
        extra["attributes"] = attribute_table(truth.reading, result.outputs)
    extra["n"] = scored = len(result.outputs)
    extra["repeats"] = len(results)
    by = primary(target.kind)
    baselines = {by.null_name: None if by.null is None else by.null(truth.prefix(scored))}
    if by.constant is not None:  # an attack whose output does not follow z learned nothing
        constant = by.estimate([by.constant(o) for o in runs], truth, seed).mean
        baselines["its own output averaged over the test images (it does not follow z)"] = constant
    failed = by.failure(metrics[by.name], baselines)
    return Leakage(metrics, result.params, extra, failed=failed)
