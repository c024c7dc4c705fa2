"""The report is data: it reads back from its JSON whole, its dict is a copy, and a report of
another schema version is refused with a clear error."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import privattack
from privattack.diff import diff
from privattack.report import SCHEMA_VERSION


@pytest.mark.slow
def test_a_saved_report_reads_back_whole(smoke_run: tuple[privattack.Report, Path]) -> None:
    report, out = smoke_run
    loaded = privattack.Report.load(out / "report.json")
    assert loaded.to_dict() == report.to_dict()
    assert loaded.leakage["decoder"].ssim == report.leakage["decoder"].ssim
    assert loaded.worst_case == report.worst_case
    assert loaded.worst_identity == report.worst_identity is not None
    assert loaded.skipped_metrics == report.skipped_metrics
    assert loaded.thresholds == report.thresholds and loaded.verdicts() == report.verdicts()


@pytest.mark.slow
def test_identity_has_its_own_thresholds(smoke_run: tuple[privattack.Report, Path]) -> None:
    """A bound on re-identification reads the attack that identifies most, at the upper end of
    its interval; the summary names the identity worst case beside the pixels'."""
    report, _ = smoke_run
    lead = report.worst_identity
    assert lead is not None and lead.metric in ("reid_top1", "iip_top1")
    (verdict,) = report.verdicts({f"max_{lead.metric}": 0.99})
    best = max(leak.metrics[lead.metric].ci[1] for leak in report.leakage.values())
    assert verdict.value == best and verdict.attack == lead.attack
    assert f"identity: {lead.attack} {lead.metric}" in report.summary()


def test_a_bound_on_a_metric_not_measured_is_an_error_never_a_pass(
    smoke_run: tuple[privattack.Report, Path],
) -> None:
    """Without the face model a face suite reports why re-identification was skipped, and a
    gate on it cannot pass."""
    report, _ = smoke_run
    data = report.to_dict()
    for leak in data["leakage"].values():
        leak.pop("reid_top1", None)
    data["skipped_metrics"] = {"reid_top1": "the face model needs dlib: pip install ..."}
    unmeasured = privattack.Report.from_dict(data)
    (verdict,) = unmeasured.verdicts({"max_reid_top1": 0.5})
    assert not verdict.passed and "reid_top1 was not measured: the face model" in verdict.error
    assert "reid_top1  skipped: the face model needs dlib" in unmeasured.summary()


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


@pytest.mark.slow
def test_diff_flags_identity_that_rose(smoke_run: tuple[privattack.Report, Path]) -> None:
    report, _ = smoke_run
    data = report.to_dict()
    data["leakage"]["decoder"]["iip_top1"] = {"mean": 1.0, "ci": [1.0, 1.0]}
    before = copy.deepcopy(data)
    before["leakage"]["decoder"]["iip_top1"] = {"mean": 0.1, "ci": [0.05, 0.15]}
    lines, regressed = diff(privattack.Report.from_dict(before), privattack.Report.from_dict(data))
    assert regressed
    assert any(line.startswith("decoder iip_top1") and "REGRESSION" in line for line in lines)
