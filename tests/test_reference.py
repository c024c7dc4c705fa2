"""A refactor changes no number: fixed smoke evaluations (the undefended split and DISCO on the
bundled faces, an attribute suite, a tuned attack, a probe-measured adapter) give, on the CPU,
every number of the report.json recorded in tests/reference/, under the CPU code paths that
tests/conftest.py pins (float results depend on them).

The pins do not give every machine the same path: a machine whose float results still differ
has its own recording of the same evaluations in a folder of tests/reference/ (its README says
which machine), and a report passes when it matches one recording in full.

The files change only with a change meant to move numbers, in its own commit that says why:
``PRIVATTACK_RECORD_REFERENCE=1 pytest tests/test_reference.py`` writes them anew, and
``PRIVATTACK_RECORD_REFERENCE=FOLDER`` writes this machine's into tests/reference/FOLDER/."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REFERENCE_RUNS

import privattack

pytestmark = pytest.mark.slow
RECORDED = Path(__file__).parent / "reference"


def _recorded_keys(new: Any, old: Any) -> Any:
    """``new`` cut to the keys ``old`` has (keys added since are not compared)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _recorded_keys(new.get(k, "<missing>"), v) for k, v in old.items()}
    return new


def _measured(report: dict[str, Any]) -> dict[str, Any]:
    """Without what depends on the machine or the clock: paths, versions, seconds."""
    report = dict(report)
    report.pop("manifest", None)
    report["data"] = {k: v for k, v in report["data"].items() if k != "source"}
    for leak in report["leakage"].values():
        for key in ("seconds", "seconds_to_best"):
            leak.get("tuning", {}).pop(key, None)
    return report


@pytest.mark.parametrize("name", sorted(REFERENCE_RUNS))
def test_every_number_matches_the_recorded_report(
    name: str, reference_run: Callable[[str], privattack.Report]
) -> None:
    record = os.environ.get("PRIVATTACK_RECORD_REFERENCE")
    if record:
        if record != "1" and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", record):
            pytest.fail(f"PRIVATTACK_RECORD_REFERENCE={record!r}: 1, or a folder name (a-z 0-9 -)")
        folder = RECORDED if record == "1" else RECORDED / record
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(reference_run(name).to_dict(), indent=2) + "\n")
        pytest.skip(f"recorded {path}")
    report = reference_run(name).to_dict()
    recordings = [RECORDED, *sorted(sub for sub in RECORDED.iterdir() if sub.is_dir())]
    compared = []
    for folder in recordings:
        recorded = json.loads((folder / f"{name}.json").read_text())
        compared.append((_measured(_recorded_keys(report, recorded)), _measured(recorded)))
    if not any(now == recorded for now, recorded in compared):
        now, recorded = compared[0]
        assert now == recorded, f"matches none of the recordings in {[str(f) for f in recordings]}"
