"""The report is data: it reads back from its JSON whole, its dict is a copy, and a report of
another schema version is refused with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import privattack
from privattack.report import SCHEMA_VERSION


@pytest.mark.slow
def test_a_saved_report_reads_back_whole(smoke_run: tuple[privattack.Report, Path]) -> None:
    report, out = smoke_run
    loaded = privattack.Report.load(out / "report.json")
    assert loaded.to_dict() == report.to_dict()
    assert loaded.leakage["decoder"].ssim == report.leakage["decoder"].ssim
    assert loaded.worst_case == report.worst_case
    assert loaded.thresholds == report.thresholds and loaded.verdicts() == report.verdicts()


@pytest.mark.slow
def test_to_dict_is_a_copy(smoke_run: tuple[privattack.Report, Path]) -> None:
    report, _ = smoke_run
    data = report.to_dict()
    data["defense"]["params"]["cut"] = "changed"
    data["leakage"]["decoder"]["params"].clear()
    assert report.defense["params"]["cut"] == "layer1"
    assert report.leakage["decoder"].params


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(privattack.DataError, match="schema version 2; this privattack reads"):
        privattack.Report.load(path)
    path.write_text("{ not json")
    with pytest.raises(privattack.DataError, match=r"not a readable report\.json"):
        privattack.Report.load(path)
