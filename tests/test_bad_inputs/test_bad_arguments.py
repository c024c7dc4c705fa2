"""Catalogue, API arguments: every bad argument of ``evaluate``, ``evaluate_activations``,
``export``, ``sweep`` and the defenses' constructors is a privattack error that names the value,
raised before any work (each case must fail within seconds, long before a fit could finish)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import privattack
from privattack.errors import (
    ArgumentError,
    CapabilityError,
    DataError,
    DataNotFoundError,
    PrivattackError,
    SuiteError,
    TuningError,
    UnknownNameError,
)

SUITE = Path(__file__).parents[1] / "suite_files" / "gate_smoke.toml"
EARLY = 10.0  # seconds: a fit at smoke scale takes longer than any of these should


def _fails_early(call: Any, error: type[Exception], pattern: str) -> None:
    start = time.perf_counter()
    with pytest.raises(error, match=pattern):
        call()
    assert time.perf_counter() - start < EARLY


class NoFit:
    """A valid defense privattack cannot fit: it releases the image pooled by 4."""

    def release(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.avg_pool2d(x, 4)


def _evaluate(**given: Any) -> Any:
    return lambda: privattack.evaluate(
        given.pop("defense", "split"), given.pop("suite", SUITE), **{"scale": "smoke", **given}
    )


EVALUATE = [
    ({"trials": -1}, ArgumentError, r"'trials' .* Got -1"),
    ({"trials": 1.5}, ArgumentError, r"'trials' .* Got 1\.5"),
    ({"trials": True}, ArgumentError, r"'trials' .* Got True"),
    ({"repeats": 0}, ArgumentError, r"'repeats' .* an int >= 1 or None\. Got 0"),
    ({"refit": "yes"}, ArgumentError, r"'refit' .* Got 'yes'"),
    (
        {"defense": NoFit(), "refit": True, "repeats": 2},
        ArgumentError,
        r"'NoFit' is not fitted by this run",
    ),
    ({"seed": "abc"}, ArgumentError, r"'seed' .* Got 'abc'"),
    ({"seed": -3}, ArgumentError, r"'seed' .* Got -3"),
    ({"seed": 1.0}, ArgumentError, r"'seed' .* Got 1\.0"),
    ({"scale": "huge"}, ArgumentError, r"'scale' .* Got 'huge'"),
    ({"scale": None}, ArgumentError, r"'scale' .* Got None"),
    ({"device": "gpu0"}, ArgumentError, r"'device' .* Got 'gpu0'"),
    ({"device": 0}, ArgumentError, r"'device' .* Got 0"),
    ({"device": "tpu"}, ArgumentError, r"'device' .* Got 'tpu'"),
    ({"attacks": "decoder"}, ArgumentError, r"'attacks' .* Got 'decoder'"),
    ({"attacks": []}, ArgumentError, r"'attacks' .* Got \[\]"),
    ({"attacks": [1]}, ArgumentError, r"'attacks' .* Got \[1\]"),
    ({"attacks": ["decodr"]}, UnknownNameError, r"'decodr'. Did you mean 'decoder'"),
    ({"attacks": ["likelihood"]}, UnknownNameError, r"attack of suite 'gate_smoke'.*'likelihood'"),
    ({"data_root": 123}, ArgumentError, r"'data_root' .* Got 123"),
    ({"prune": "no"}, ArgumentError, r"'prune' .* Got 'no'"),
    ({"cache": 1}, ArgumentError, r"'cache' .* Got 1"),
    ({"progress": None}, ArgumentError, r"'progress' .* Got None"),
    ({"storage": "db.sqlite", "study": "s"}, TuningError, r"'db\.sqlite' is not a URL"),
    ({"storage": "sqlite:///x.db"}, TuningError, "both storage .* and study"),
    ({"study": "s"}, TuningError, "both storage .* and study"),
    ({"storage": 42, "study": "s"}, ArgumentError, r"'storage' .* Got 42"),
    ({"storage": "sqlite:///x.db", "study": ""}, ArgumentError, r"'study' .* Got ''"),
    ({"sampler": "tpe"}, ArgumentError, r"'sampler' .* Got 'tpe'"),
    ({"pruner": 3}, ArgumentError, r"'pruner' .* Got 3"),
    ({"suite": 42}, ArgumentError, "a suite is a name .* got 42"),
    ({"suite": "nope"}, UnknownNameError, "no suite named 'nope'"),
    ({"defense": object()}, CapabilityError, r"object has no release\(x\)"),
    ({"defense": "discoo"}, UnknownNameError, "no defense named 'discoo'. Did you mean 'disco'"),
    ({"defense": 3}, CapabilityError, r"int has no release\(x\)"),
]


@pytest.mark.parametrize(("given", "error", "pattern"), EVALUATE, ids=[str(c[0]) for c in EVALUATE])
def test_evaluate_refuses(given: dict[str, Any], error: type[Exception], pattern: str) -> None:
    _fails_early(_evaluate(**given), error, pattern)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_refused() -> None:
    _fails_early(_evaluate(device="cuda"), ArgumentError, "device 'cuda' .* no CUDA GPU")


def _paths(tmp_path: Path) -> dict[str, Path]:
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    (tmp_path / "folder.toml").mkdir()
    return {"file": file, "foreign": foreign, "folder.toml": tmp_path / "folder.toml"}


@pytest.mark.parametrize(
    ("case", "error", "pattern"),
    [
        ("out=file", ArgumentError, "a-file' exists and is not a folder"),
        ("out=foreign", DataError, r"holds files that are not a report's \(notes\.txt\)"),
        ("out=under-a-file", ArgumentError, "a-file is a file, not a folder"),
        ("data_root=missing", DataNotFoundError, "nowhere"),
        ("suite=missing", SuiteError, r"missing\.toml: cannot read this suite file: no such file"),
        ("suite=folder", SuiteError, r"folder\.toml: is a folder"),
    ],
)
def test_evaluate_refuses_paths(case: str, error: type, pattern: str, tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    given = {
        "out=file": {"out": paths["file"]},
        "out=foreign": {"out": paths["foreign"]},
        "out=under-a-file": {"out": paths["file"] / "report"},
        "data_root=missing": {"data_root": tmp_path / "nowhere"},
        "suite=missing": {"suite": tmp_path / "missing.toml"},
        "suite=folder": {"suite": paths["folder.toml"]},
    }[case]
    _fails_early(_evaluate(**given), error, pattern)


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        ({'task = "gender"': 'task = "gendr"'}, "label in data set 'fairface' named 'gendr'"),
        (
            {
                'sensitive = "input"': 'sensitive = "raec"',
                "[attacks.decoder]": "[attacks.attribute]",
            },
            "label in data set 'fairface' named 'raec'",
        ),
    ],
)
def test_unknown_labels_are_refused_before_the_fit(
    edit: dict, pattern: str, tmp_path: Path
) -> None:
    text = SUITE.read_text()
    for old, new in edit.items():
        text = text.replace(old, new)
    path = tmp_path / "labels.toml"
    path.write_text(text)
    _fails_early(_evaluate(suite=path), UnknownNameError, pattern)


OTHERS = [
    (lambda p: privattack.evaluate_activations(42), ArgumentError, r"'activations' .* Got 42"),
    (lambda p: privattack.evaluate_activations(p), DataError, r"no manifest\.json"),
    (lambda p: privattack.evaluate_activations(p, attacks=[]), ArgumentError, r"Got \[\]"),
    (lambda p: privattack.export("split", SUITE, p / "a-file", scale="smoke"), ArgumentError,
     "exists and is not a folder"),
    (lambda p: privattack.export("split", SUITE, p / "notes", scale="smoke"), DataError,
     r"not a benchmark's \(notes\.txt\)"),
    (lambda p: privattack.export("split", SUITE, p / "b", images="yes"), ArgumentError,
     r"'images' .* Got 'yes'"),
    (lambda p: privattack.export("split", SUITE, p / "b", seed=-1), ArgumentError, "Got -1"),
    (lambda p: privattack.sweep("disco", SUITE, "ratio", []), ArgumentError, r"Got \[\]"),
    (lambda p: privattack.sweep("disco", SUITE, "ratio", "0.5"), ArgumentError, "Got '0.5'"),
    (lambda p: privattack.sweep("disco", SUITE, 3, [0.5]), ArgumentError, "Got 3"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "pattern"), OTHERS)
def test_the_other_entry_points_refuse(
    call: Any, error: type, pattern: str, tmp_path: Path
) -> None:
    _paths(tmp_path)
    _fails_early(lambda: call(tmp_path), error, pattern)


DEFENSES = [
    ("disco", {"ratio": math.nan}, ArgumentError, r"'ratio' .* Got nan"),
    ("disco", {"ratio": 1.5}, ArgumentError, r"'ratio' .* Got 1\.5"),
    ("disco", {"ratio": "high"}, ArgumentError, r"'ratio' .* Got 'high'"),
    ("disco", {"grid": 0}, ArgumentError, r"'grid' .* Got 0"),
    ("disco", {"decoupler": "False"}, ArgumentError, r"'decoupler' .* Got 'False'"),
    ("disco", {"ratio_range": (0.2, 3)}, ArgumentError, r"'ratio_range' .* Got 3"),
    ("disco", {"ratio_range": 0.5}, ArgumentError, r"ratio_range must be \(low, high\)"),
    ("disco", {"cut": "layer9"}, UnknownNameError, "no cut named 'layer9'"),
    ("split", {"cutt": "layer2"}, UnknownNameError, "parameter of defense 'split' named 'cutt'"),
    ("pruning", {"ratio": -0.1}, ArgumentError, r"'ratio' .* Got -0\.1"),
    ("noise", {"sigma": -1}, ArgumentError, r"'sigma' .* Got -1"),
    ("noise", {"sigma": math.inf}, ArgumentError, r"'sigma' .* Got inf"),
    ("noise", {"mean": math.nan}, ArgumentError, r"'mean' .* Got nan"),
]


@pytest.mark.parametrize(("name", "params", "error", "pattern"), DEFENSES)
def test_defense_parameters_are_checked(name: str, params: dict, error: type, pattern: str) -> None:
    _fails_early(lambda: privattack.defenses.get(name, **params), error, pattern)


ATTACKS = [
    ("decoder", {"epochs": -3}, r"epochs=-3 is out of range"),
    ("decoder", {"patience": -1}, r"patience=-1 is out of range"),
    ("decoder", {"lr": 0.0}, r"lr=0\.0 is out of range"),
    ("attribute", {"weight_decay": -1.0}, r"weight_decay=-1\.0 is out of range"),
    ("hybrid", {"decoder_patience": -2}, r"patience=-2 is out of range"),
]


@pytest.mark.parametrize(("name", "params", "pattern"), ATTACKS)
def test_attack_training_budgets_are_checked(name: str, params: dict, pattern: str) -> None:
    """A supervised attack's knobs (the hybrid's decoder's too) are refused when built."""
    _fails_early(lambda: privattack.attacks.get(name, **params), ArgumentError, pattern)


@pytest.mark.parametrize(
    ("knobs", "error", "pattern"),
    [
        ({"grid": 2}, UnknownNameError, "steerable knob of DISCO"),
        ({"ratio": 2}, ArgumentError, "Got 2"),
    ],
)
def test_disco_steers_only_its_ratio(knobs: dict, error: type, pattern: str) -> None:
    disco = privattack.defenses.get("disco")
    _fails_early(lambda: disco.steer(**knobs), error, pattern)


@given(
    value=st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(), st.booleans())
)
@settings(max_examples=60, deadline=None)
def test_any_bad_seed_or_trials_is_an_argument_error(value: Any) -> None:
    """A property over the numeric parameters: anything but an int >= 0 is refused."""
    for name in ("seed", "trials"):
        with pytest.raises(ArgumentError, match=f"'{name}'"):
            privattack.evaluate("split", SUITE, scale="smoke", **{name: value})


@given(ratio=st.one_of(st.floats(), st.integers(), st.text(max_size=3)))
@settings(max_examples=80, deadline=None)
def test_pruning_ratios_outside_zero_one_are_refused(ratio: Any) -> None:
    valid = isinstance(ratio, int | float) and math.isfinite(ratio) and 0 <= ratio <= 1
    if valid:
        privattack.defenses.get("pruning", ratio=ratio)
    else:
        with pytest.raises(PrivattackError, match="'ratio'"):
            privattack.defenses.get("pruning", ratio=ratio)
