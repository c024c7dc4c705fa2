"""CI gates: a defense, a suite and thresholds, read from ``privattack.toml`` (or
``[tool.privattack]`` in ``pyproject.toml``) by the suites' validator, in the one threshold
language (``max_ssim = 0.5``), and run by ``privattack gate``."""

from __future__ import annotations

import importlib
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privattack.config import Key, Table, read_source
from privattack.errors import GateFileError, PrivattackError
from privattack.suites import SCALES
from privattack.thresholds import NAMES as THRESHOLD_NAMES
from privattack.thresholds import Threshold, Verdict, read_thresholds

GATE_KEYS = (
    "name", "defense", "params", "suite", "scale", "seed", "trials", "repeats", "refit",
    *THRESHOLD_NAMES,
)  # fmt: skip


class GateError(PrivattackError, RuntimeError):
    """A gate could not run: its defense does not import, or its factory raised."""


@dataclass(frozen=True)
class Gate:
    """One gate: a defense on a suite at a scale and seed, and the thresholds it must meet."""

    name: str
    defense: str
    suite: str
    scale: str = "quick"
    seed: int = 0
    trials: int | None = None  # tuning trials per attack; None: the suite scale's
    repeats: int | None = None  # seeds per attack, covered by the intervals; None: the scale's
    refit: bool = False  # with repeats, a fit of the defense per repeat, covered too
    params: Mapping[str, Any] = field(default_factory=dict)
    thresholds: tuple[Threshold, ...] = ()

    @property
    def evaluation(self) -> tuple[Any, ...]:
        """What the gate evaluates: gates with the same one share a single evaluation."""
        params = json.dumps(dict(self.params), sort_keys=True, default=str)
        return (
            self.defense, params, self.suite, self.scale, self.seed, self.trials, self.repeats,
            self.refit,
        )  # fmt: skip

    def build_defense(self) -> Any:
        """The defense: a registered name, or ``module:factory`` of the user's code."""
        if ":" not in self.defense:
            from privattack.registry import defenses

            return defenses.get(self.defense, **self.params)
        module, _, attribute = self.defense.partition(":")
        try:
            factory: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise GateError(
                f"gate {self.name!r}: cannot import its defense {self.defense!r} ({error}); "
                "give `module:factory` of a module on the path, or a registered defense name."
            ) from error
        try:
            return factory(**self.params)
        except PrivattackError:
            raise
        except Exception as error:
            raise GateError(
                f"gate {self.name!r}: {self.defense}(**{dict(self.params)}) raised "
                f"{type(error).__name__}: {error}"
            ) from error


def load_gates(path: str | Path) -> list[Gate]:
    """Read the gates of ``path`` (``privattack.toml`` or a ``pyproject.toml``).

    Raises:
        GateFileError: bad TOML, no gates, an unknown key, a wrong type or a missing field;
            the message names the file, the line and the key.
    """
    source = read_source(path, GateFileError, "gates file")
    raw: Any = source.parse()
    prefix: tuple[Key, ...] = ()
    if Path(path).name == "pyproject.toml":
        raw, prefix = raw.get("tool", {}).get("privattack", {}), ("tool", "privattack")
    tables = raw.get("gate")
    if not isinstance(tables, list) or not tables:
        where = " under [tool.privattack]" if prefix else ""
        raise GateFileError(source.file, "", f"no [[gate]] tables found{where}.")
    gates = [_gate(Table(source, (*prefix, "gate", k + 1), t)) for k, t in enumerate(tables)]
    names = [g.name for g in gates]
    for name in names:
        if names.count(name) > 1:
            raise GateFileError(
                source.file, "", f"two gates are named {name!r}; names must differ."
            )
    return gates


def _gate(table: Table) -> Gate:
    table.check_keys(GATE_KEYS)
    defense, suite = table.get("defense", str), table.get("suite", str)
    scale = table.get("scale", str, "quick")
    if scale not in SCALES:
        table.fail(f"must be one of {', '.join(SCALES)}, got {scale!r}.", "scale")
    thresholds = read_thresholds(table, table.values)
    if not thresholds:
        table.fail(f"the gate sets no threshold; set one of {', '.join(THRESHOLD_NAMES)}.")
    name = table.get("name", str, f"{defense}-{suite}")
    if Path(name).name != name or name in (".", ".."):
        table.fail(
            f"must be a plain name (it names the gate's report folder), got {name!r}.", "name"
        )
    return Gate(
        name=name,
        defense=defense,
        suite=suite,
        scale=scale,
        seed=table.get("seed", int, 0),
        trials=table.positive("trials", None, minimum=0),
        repeats=table.positive("repeats", None),
        refit=table.get("refit", bool, False),
        params=table.get("params", dict, {}),
        thresholds=thresholds,
    )


def junit_xml(verdicts: Sequence[Verdict], errors: Mapping[str, str], seconds: float) -> str:
    """A JUnit XML document: one test case per checked threshold, one error per gate that
    could not run."""
    failures = sum(not v.passed and v.error is None for v in verdicts)
    unjudged = sum(v.error is not None for v in verdicts)
    suite = ET.Element(
        "testsuite",
        name="privattack gates",
        tests=str(len(verdicts) + len(errors)),
        failures=str(failures),
        errors=str(len(errors) + unjudged),
        time=f"{seconds:.1f}",
    )
    for v in verdicts:
        case = ET.SubElement(
            suite, "testcase", classname=f"privattack.{v.gate}", name=v.threshold, time="0"
        )
        if not v.passed:
            kind = "failure" if v.error is None else "error"
            ET.SubElement(case, kind, message=v.describe()).text = v.describe()
    for gate, message in errors.items():
        case = ET.SubElement(suite, "testcase", classname=f"privattack.{gate}", name="run")
        ET.SubElement(case, "error", message=message).text = message
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


@dataclass
class GateRun:
    """What ``run_gates`` found: every verdict, the gates that could not run, and which gate
    reused which gate's evaluation."""

    verdicts: list[Verdict] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_gates(
    gates: Sequence[Gate], out: Path, data_root: str | None = None, progress: bool = True
) -> GateRun:
    """Evaluate each gate (gates with the same evaluation share one), write each gate's report
    folder under ``out`` and ``out/junit.xml``. A gate that cannot run is an error in the run,
    never a pass; the others still run."""
    from privattack.evaluation import evaluate
    from privattack.files import write_atomic
    from privattack.render import write_report

    run, start = GateRun(), time.perf_counter()
    reports: dict[tuple[Any, ...], tuple[str, Any]] = {}  # evaluation -> (first gate, report)
    for gate in gates:
        if gate.evaluation in reports:
            first, report = reports[gate.evaluation]
            run.shared[gate.name] = first
        else:
            try:
                report = evaluate(
                    gate.build_defense(),
                    gate.suite,
                    scale=gate.scale,
                    seed=gate.seed,
                    trials=gate.trials,
                    repeats=gate.repeats,
                    refit=gate.refit,
                    data_root=data_root,
                    progress=progress,
                )
            except PrivattackError as error:
                run.errors[gate.name] = str(error)
                continue
            reports[gate.evaluation] = (gate.name, report)
        checked = report.verdicts(gate.thresholds, gate.name)
        write_report(report, out / gate.name, verdicts=checked)
        run.verdicts += checked
    run.seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "junit.xml", junit_xml(run.verdicts, run.errors, run.seconds).encode())
    return run
