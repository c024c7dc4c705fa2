"""A refactor changes no number: fixed smoke evaluations (the undefended split and DISCO on the
bundled faces, an attribute suite, a tuned attack, a probe-measured adapter) give, on the CPU,
every number of the report.json recorded in tests/reference/, under the CPU code paths that
tests/conftest.py pins (float results depend on them).

The files change only with a change meant to move numbers, in its own commit that says why:
``PRIVATTACK_RECORD_REFERENCE=1 pytest tests/test_reference.py`` writes them anew."""

from __future__ import annotations

import json
import os
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
    path = RECORDED / f"{name}.json"
    if os.environ.get("PRIVATTACK_RECORD_REFERENCE"):
        path.write_text(json.dumps(reference_run(name).to_dict(), indent=2) + "\n")
        pytest.skip(f"recorded {path}")
    recorded = json.loads(path.read_text())
    now = _recorded_keys(reference_run(name).to_dict(), recorded)
    assert _measured(now) == _measured(recorded)
