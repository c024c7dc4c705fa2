"""evaluate(): the report's contents and files, determinism, and clear errors on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from conftest import SMOKE_ATTACKS as ATTACKS
from conftest import evaluate_like_the_reference
from helpers import BadPredict, DropsOneImage, ReleasesNaN, SecretlyRandom

import privattack
from privattack.errors import (
    CapabilityError,
    DefenseError,
    NonFiniteError,
    ShapeError,
    UnknownNameError,
)
from privattack.prepare import FITTED_FROM_CACHE, FITTED_NOW


@pytest.mark.slow
def test_report_json_follows_the_schema(smoke_run: tuple[privattack.Report, Path]) -> None:
    _, out = smoke_run
    data = json.loads((out / "report.json").read_text())
    assert data["schema_version"] == 1
    assert (data["suite"], data["scale"], data["seed"]) == ("fairface_input", "smoke", 3)
    assert data["defense"]["name"] == "split"
    assert data["defense"]["params"] == {"cut": "layer1", "lr": 0.001}
    assert data["defense"]["fit"] in (FITTED_NOW, FITTED_FROM_CACHE)
    assert data["data"]["n"] == {"defense_train": 64, "attack_train": 128, "attack_test": 64}
    assert set(data["data"]["fingerprints"]) == {"defense_train", "attack_train", "attack_test"}
    assert set(data["leakage"]["decoder"]) >= {"ssim", "psnr", "l1", "params"}
    assert (
        data["leakage"]["decoder"]["ssim"]["ci"][0]
        <= data["leakage"]["decoder"]["ssim"]["mean"]
        <= data["leakage"]["decoder"]["ssim"]["ci"][1]
    )
    assert set(data["null"]) >= {"ssim", "psnr", "l1", "task_accuracy"}
    assert data["worst_case"]["attack"] in ATTACKS and data["worst_case"]["metric"] == "ssim"
    assert data["utility"]["source"] == "server"
    assert set(data["manifest"]["seconds"]) >= {"data", "utility", "attack:decoder"}
    assert data["thresholds"] == {"max_ssim": 0.5}  # the suite's [gates]
    (verdict,) = data["verdicts"]
    assert verdict["threshold"] == "max_ssim" and verdict["passed"] is False
    assert (out / "reconstructions.png").stat().st_size > 1000
    assert not list(out.parent.glob(".partial-*"))  # no temporary file left behind
    assert privattack.Report.load(out).to_dict() == data  # report.json reads back whole


@pytest.mark.slow
def test_repeats_average_seeded_runs_and_say_what_the_interval_covers(
    reference_run: Callable[[str], privattack.Report],
) -> None:
    """Two seeds of the likelihood attack (its generator starts from random weights): the
    estimate is their average (the first being the single run's own seed, the second's SSIM is
    a reconstruction's, above the mean image's), its interval wider, and every output says the
    interval covers the seeds. The single run is the split's reference run: the same data."""
    once = reference_run("split_fairface_input")
    twice = evaluate_like_the_reference(
        "split", "fairface_input", attacks=["likelihood"], repeats=2
    )
    leak, alone = twice.leakage["likelihood"], once.leakage["likelihood"]
    second = 2 * leak.ssim.mean - alone.ssim.mean
    assert second != alone.ssim.mean and twice.null["ssim"] < second < 1
    assert abs(second - alone.ssim.mean) < 0.1
    assert leak.ssim.ci[1] - leak.ssim.ci[0] > 0
    assert leak.extra["repeats"] == 2 and twice.repeats == 2
    assert "2 training seeds" in twice.interval and twice.interval in twice.summary()
    assert "images" in once.interval and "seeds" not in once.interval
    assert privattack.Report.from_dict(twice.to_dict()).interval == twice.interval


@pytest.mark.slow
def test_refit_attacks_a_fit_of_the_defense_per_repeat() -> None:
    """With refit, repeat k attacks the defense's k-th fit (its own seeds, the same splits):
    utility averages the fits and every output says the intervals cover them (the white-box
    inversion: the cheapest attack to run twice)."""
    report = privattack.evaluate(
        "split", "fairface_input", scale="smoke", seed=3, attacks=["inversion"], repeats=2,
        refit=True, cache=False, progress=False,
    )  # fmt: skip
    assert report.defense_fits == 2 and report.leakage["inversion"].extra["repeats"] == 2
    assert "2 fits of the defense" in report.interval and report.interval in report.summary()
    assert (report.utility.mean * 2 * 64) % 1 == 0  # the mean of two accuracies over 64 faces
    assert privattack.Report.from_dict(report.to_dict()).defense_fits == 2


class _Defense:
    """A trivially valid defense: the image, averaged over colour."""

    def release(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(1, keepdim=True)


@pytest.mark.parametrize(
    ("defense", "error", "pattern"),
    [
        (DropsOneImage(), DefenseError, r"returned shape \(3, 32, 32\) for 4 images"),
        (ReleasesNaN(), NonFiniteError, "returned NaN or inf activations"),
        (SecretlyRandom(), DefenseError, "does not declare `stochastic = True`"),
        (BadPredict(), CapabilityError, r"predict\(\) must return logits \(B, K\)"),
        (object(), CapabilityError, r"has no release\(x\) method"),
        ("discoo", UnknownNameError, "no defense named 'discoo'"),
    ],
)
def test_protocol_violations_are_clear_errors(defense: object, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        privattack.evaluate(defense, "cifar10_input", scale="smoke", progress=False)


def test_unknown_suite_scale_and_attack() -> None:
    with pytest.raises(UnknownNameError, match="no suite named"):
        privattack.evaluate(_Defense(), "celeba_inputs", progress=False)
    with pytest.raises(privattack.ArgumentError, match="'scale' parameter of evaluate must be"):
        privattack.evaluate(_Defense(), "cifar10_input", scale="fast", progress=False)
    with pytest.raises(UnknownNameError, match="no attack of suite 'cifar10_input' named"):
        privattack.evaluate(_Defense(), "cifar10_input", attacks=["attribute"], progress=False)


@pytest.mark.parametrize(
    ("images", "pattern"),
    [
        (torch.rand(2, 32, 32, 3), r"shape \(B, 3, H, W\).*permute"),
        (torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8), "float in \\[0, 1\\].*255"),
        (torch.rand(2, 3, 32, 32) * 255, r"must lie in \[0, 1\]"),
        (torch.rand(2, 3, 32, 32) - 0.5, r"must lie in \[0, 1\]"),
        (torch.full((2, 3, 32, 32), float("nan")), "NaN or inf"),
    ],
)
def test_split_release_rejects_bad_images(images: torch.Tensor, pattern: str) -> None:
    split = privattack.defenses.get("split", image_size=32, num_classes=10)
    with pytest.raises((ShapeError, NonFiniteError), match=pattern):
        split.release(images)
