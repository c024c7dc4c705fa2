"""Privacy-utility curves: evaluate one defense at several strengths of one knob."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from privattack.errors import ArgumentError
from privattack.evaluation import evaluate
from privattack.protocol import Defense
from privattack.registry import defenses
from privattack.report import Report


def _factory(defense: str | Callable[..., Defense], knob: str) -> Callable[[float], Defense]:
    if isinstance(defense, str):
        return lambda value: defenses.get(defense, **{knob: value})
    return lambda value: defense(**{knob: value})


def sweep(
    defense: str | Callable[..., Defense],
    suite: str,
    knob: str,
    values: Sequence[float],
    **evaluate_args: Any,
) -> list[Report]:
    """One report per value of ``knob``: the points of a privacy-utility curve.

    A defense that declares the knob in ``steerable`` (DISCO's ``ratio``) is trained once
    and steered to each value (``defense.steer(ratio=0.9)``); any other is built and trained
    afresh for each value.

    Args:
        defense: a registered name ("disco", "pruning", ...) or a factory taking ``knob=value``.
        suite: the suite every point is evaluated on (same data, splits, attacks and seed).
        knob: the strength parameter, e.g. "ratio" for DISCO and random pruning.
        values: the strengths to evaluate.
        evaluate_args: passed to ``evaluate`` (scale, seed, data_root, attacks, ...); with
            ``out``, each point is saved to ``out/<knob>=<value>/`` and its report.html shows
            the whole privacy-utility curve.

    Example:
        >>> reports = sweep("disco", "celeba_input", "ratio", [0.6, 0.8, 0.9])  # doctest: +SKIP
        >>> [(r.defense["params"]["ratio"], r.utility.mean) for r in reports]   # doctest: +SKIP
    """
    out = evaluate_args.pop("out", None)
    if not isinstance(knob, str) or not knob:
        raise ArgumentError(f"sweep's 'knob' must be a parameter name. Got {knob!r}.")
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ArgumentError(f"sweep's 'values' must be a non-empty list. Got {values!r}.")
    build = _factory(defense, knob)
    first = build(values[0])
    if knob not in getattr(first, "steerable", ()):
        reports = [
            evaluate(first if k == 0 else build(v), suite, **evaluate_args)
            for k, v in enumerate(values)
        ]
    else:
        reports = [evaluate(first, suite, **evaluate_args)]  # trains once
        reports += [
            evaluate(first.steer(**{knob: v}), suite, **evaluate_args)  # type: ignore[attr-defined]
            for v in values[1:]
        ]
    if out is not None:
        from privattack.render import write_report

        for value, report in zip(values, reports, strict=True):
            write_report(report, Path(out) / f"{knob}={value}", curve=reports)
    return reports
