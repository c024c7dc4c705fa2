"""Scoring: an attack's output on attack_test, turned into the report's estimates by the metrics
table (per-sample values, bootstrap intervals over the test images)."""

from __future__ import annotations

from privattack.attacks.base import RESULT_OF, AttackResult
from privattack.errors import DefenseError
from privattack.metrics import chance, metrics_of
from privattack.prepare import Prepared
from privattack.report import Leakage
from privattack.run import RunContext
from privattack.targets import AttributeTarget


def score(attack: str, result: AttackResult, prepared: Prepared, context: RunContext) -> Leakage:
    """Every metric of the suite's target for ``result``, with ``n`` (the images scored: a
    white-box attack may invert a prefix) and, for attributes, the chance level."""
    target = prepared.target
    if not isinstance(result, RESULT_OF[target.kind]):
        raise DefenseError(
            f"attack {attack!r} returned {type(result).__name__}, but the suite's target is "
            f"{target.kind}: it must return {RESULT_OF[target.kind].__name__}."
        )
    secret_train = target.secret(prepared.attack_train)
    secret_test = target.secret(prepared.attack_test)
    seed = context.seed_for("ci")
    metrics = {
        m.name: m.estimate(result.outputs, secret_test, secret_train, seed)
        for m in metrics_of(target.kind)
    }
    extra: dict[str, float] = {}
    if isinstance(target, AttributeTarget):
        extra["chance"] = chance(secret_train, secret_test)
    extra["n"] = len(result.outputs)
    return Leakage(metrics, result.params, extra)
