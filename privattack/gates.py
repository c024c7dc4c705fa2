"""CI gates: thresholds on a report, read from ``privattack.toml`` (or ``[tool.privattack]`` in
``pyproject.toml``), checked against the pessimistic end of each confidence interval."""

from __future__ import annotations

import difflib
import importlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privattack.errors import PrivattackError
from privattack.metrics import Estimate
from privattack.report import Report

# threshold -> (which numbers it reads, True for an upper bound)
THRESHOLDS: dict[str, tuple[str, bool]] = {
    "max_ssim": ("ssim", True),
    "max_psnr": ("psnr", True),
    "min_l1": ("l1", False),
    "max_attribute_accuracy": ("accuracy", True),
    "max_advantage": ("advantage", True),
    "min_utility": ("utility", False),
}
GATE_KEYS = ("name", "defense", "params", "suite", "scale", "seed", "trials", *THRESHOLDS)


class GateFileError(PrivattackError, ValueError):
    """A gates file is malformed; the message names the file, the line and the key."""


@dataclass(frozen=True)
class Gate:
    """One gate: a defense on a suite at a scale and seed, and the thresholds it must meet."""

    name: str
    defense: str
    suite: str
    scale: str = "quick"
    seed: int = 0
    trials: int | None = None  # tuning trials per attack; None: the suite scale's
    params: Mapping[str, Any] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)

    @property
    def evaluation(self) -> tuple[Any, ...]:
        """What the gate evaluates: gates with the same one share a single evaluation."""
        params = json.dumps(dict(self.params), sort_keys=True, default=str)
        return (self.defense, params, self.suite, self.scale, self.seed, self.trials)

    def build_defense(self) -> Any:
        """The defense: a registered name, or ``module:factory`` of the user's code."""
        if ":" in self.defense:
            module, _, attribute = self.defense.partition(":")
            factory: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
            return factory(**self.params)
        from privattack.registry import defenses

        return defenses.get(self.defense, **self.params)


@dataclass(frozen=True)
class Verdict:
    """A threshold checked against a report: the value compared, and whether it passed."""

    gate: str
    threshold: str
    limit: float
    value: float
    estimate: Estimate | None
    attack: str
    passed: bool


def _line_of(text: str, gate_index: int, key: str) -> int:
    """1-based line of ``key`` inside the ``gate_index``-th ``[[gate]]`` table (0 if unknown)."""
    lines, seen = text.splitlines(), -1
    for number, line in enumerate(lines, start=1):
        if re.match(r"\s*\[\[\s*(tool\.privattack\.)?gate\s*\]\]", line):
            seen += 1
        elif seen == gate_index and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return 0


def load_gates(path: str | Path) -> list[Gate]:
    """Read the gates of ``path`` (``privattack.toml`` or a ``pyproject.toml``).

    Raises:
        GateFileError: bad TOML, no gates, an unknown key, a wrong type or a missing field.
    """
    path = Path(path)
    if not path.is_file():
        raise GateFileError(
            f"{path}: no such gates file. Write a privattack.toml with "
            "[[gate]] tables (see the README, 'Gate your CI')."
        )
    text = path.read_text()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GateFileError(f"{path}: not valid TOML: {error}.") from error
    if path.name == "pyproject.toml":
        raw = raw.get("tool", {}).get("privattack", {})
    tables = raw.get("gate")
    if not isinstance(tables, list) or not tables:
        raise GateFileError(
            f"{path}: no [[gate]] tables found"
            + (" under [tool.privattack]" if path.name == "pyproject.toml" else "")
            + "."
        )
    return [_gate(path, text, k, table) for k, table in enumerate(tables)]


def _gate(path: Path, text: str, index: int, table: Mapping[str, Any]) -> Gate:
    def fail(key: str, message: str) -> GateFileError:
        line = _line_of(text, index, key)
        where = f"{path}:{line}" if line else str(path)
        return GateFileError(f"{where}: gate {index + 1}, key {key!r}: {message}")

    for key in table:
        if key not in GATE_KEYS:
            close = difflib.get_close_matches(key, GATE_KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise fail(key, f"unknown key.{hint} Allowed: {', '.join(GATE_KEYS)}.")
    kinds: dict[str, tuple[type, ...]] = {
        "name": (str,),
        "defense": (str,),
        "suite": (str,),
        "scale": (str,),
        "seed": (int,),
        "trials": (int,),
        "params": (dict,),
    }
    for key in ("defense", "suite"):
        if key not in table:
            raise fail(key, "missing required key.")
    for key, value in table.items():
        expected = kinds.get(key, (int, float))
        if isinstance(value, bool) or not isinstance(value, expected):
            names = " or ".join(k.__name__ for k in expected)
            raise fail(key, f"must be {names}, got {type(value).__name__} {value!r}.")
    thresholds = {k: float(v) for k, v in table.items() if k in THRESHOLDS}
    if not thresholds:
        raise fail("defense", f"the gate sets no threshold; set one of {', '.join(THRESHOLDS)}.")
    if table.get("scale", "quick") not in ("smoke", "quick", "paper"):
        raise fail("scale", f"must be smoke, quick or paper, got {table['scale']!r}.")
    return Gate(
        name=table.get("name", f"{table['defense']}-{table['suite']}"),
        defense=table["defense"],
        suite=table["suite"],
        scale=table.get("scale", "quick"),
        seed=table.get("seed", 0),
        trials=table.get("trials"),
        params=table.get("params", {}),
        thresholds=thresholds,
    )


def _candidates(report: Report, metric: str) -> list[tuple[str, Estimate]]:
    if metric == "utility":
        return [("utility", report.utility)]
    return [
        (name, leak.metrics[metric])
        for name, leak in report.leakage.items()
        if metric in leak.metrics
    ]


def check(
    report: Report,
    thresholds: Mapping[str, float],
    gate: str = "report",
) -> list[Verdict]:
    """Check ``thresholds`` (e.g. ``{"max_ssim": 0.4}``) against ``report``.

    Each bound reads the pessimistic end of the interval of the attack that leaks most: the
    upper end for ``max_*`` bounds, the lower end for ``min_*`` (utility, L1). A metric no
    attack reported fails the gate.
    """
    verdicts = []
    for threshold, limit in thresholds.items():
        if threshold not in THRESHOLDS:
            raise GateFileError(
                f"unknown threshold {threshold!r}; use one of {', '.join(THRESHOLDS)}."
            )
        metric, upper = THRESHOLDS[threshold]
        found = _candidates(report, metric)
        if not found:
            verdicts.append(Verdict(gate, threshold, limit, float("nan"), None, "-", False))
            continue
        end = 1 if upper else 0  # the pessimistic end of the interval
        choose = max if upper else min
        attack, estimate = choose(found, key=lambda item: item[1].ci[end])
        value = estimate.ci[end]
        passed = value <= limit if upper else value >= limit
        verdicts.append(Verdict(gate, threshold, limit, value, estimate, attack, passed))
    return verdicts


def junit_xml(verdicts: list[Verdict], seconds: float = 0.0) -> str:
    """A JUnit XML document with one test case per checked threshold."""
    import xml.etree.ElementTree as ET

    failures = sum(not v.passed for v in verdicts)
    suite = ET.Element(
        "testsuite",
        name="privattack gates",
        tests=str(len(verdicts)),
        failures=str(failures),
        errors="0",
        time=f"{seconds:.1f}",
    )
    for v in verdicts:
        case = ET.SubElement(
            suite, "testcase", classname=f"privattack.{v.gate}", name=v.threshold, time="0"
        )
        if not v.passed:
            ET.SubElement(case, "failure", message=describe(v)).text = describe(v)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def describe(v: Verdict) -> str:
    """One line: threshold, the value compared (with its interval), and the verdict."""
    interval = (
        ""
        if v.estimate is None
        else (
            f" (mean {v.estimate.mean:.3f}, 95% CI [{v.estimate.ci[0]:.3f}, {v.estimate.ci[1]:.3f}]"
            f", {v.attack})"
        )
    )
    comparison = "<=" if v.threshold.startswith("max") else ">="
    verdict = "pass" if v.passed else "FAIL"
    return f"{v.threshold} {comparison} {v.limit:g}: {v.value:.3f}{interval}: {verdict}"


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], bool]:
    """Compare two report.json documents: one line per shared metric, and whether leakage rose
    (or utility fell) beyond the intervals: the new interval entirely on the worse side."""
    from privattack.metrics import HIGHER_IS_BETTER

    lines, regressed = [], False

    def compare(label: str, a: Mapping[str, Any], b: Mapping[str, Any], worse_up: bool) -> None:
        nonlocal regressed
        worse = b["ci"][0] > a["ci"][1] if worse_up else b["ci"][1] < a["ci"][0]
        regressed |= worse
        flag = "  REGRESSION" if worse else ""
        lines.append(
            f"{label:<30} {a['mean']:8.3f} -> {b['mean']:8.3f}"
            f"   [{b['ci'][0]:.3f}, {b['ci'][1]:.3f}]{flag}"
        )

    compare("utility accuracy", old["utility"]["accuracy"], new["utility"]["accuracy"], False)
    for attack in sorted(set(old["leakage"]) & set(new["leakage"])):
        for metric, value in old["leakage"][attack].items():
            if isinstance(value, dict) and "ci" in value and metric in new["leakage"][attack]:
                compare(
                    f"{attack} {metric}",
                    value,
                    new["leakage"][attack][metric],
                    HIGHER_IS_BETTER.get(metric, True),
                )
    return lines, regressed
