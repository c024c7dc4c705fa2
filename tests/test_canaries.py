"""Every attack succeeds against the undefended split and fails against a noise encoder.

Real data: the FairFace faces and the CIFAR-10 subset bundled with privattack, at smoke scale.
"""

from __future__ import annotations

import pytest
from helpers import NoiseEncoder

import privattack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def undefended_faces() -> privattack.Report:
    return privattack.evaluate(
        "split", "fairface_input", scale="smoke", data_root=None, progress=False
    )


def test_decoder_reconstructs_undefended_faces(undefended_faces: privattack.Report) -> None:
    report = undefended_faces
    decoder = report.leakage["decoder"]
    assert decoder.ssim.ci[0] > report.null["ssim"] + 0.2
    assert decoder.psnr.mean > report.null["psnr"] + 4
    assert decoder.l1.mean < report.null["l1"] * 0.6
    assert report.worst_case is not None and report.worst_case.attack == "decoder"


def test_decoder_fails_against_noise(bundled_only: None) -> None:
    report = privattack.evaluate(NoiseEncoder(), "fairface_input", scale="smoke", progress=False)
    assert report.leakage["decoder"].ssim.mean < report.null["ssim"] + 0.05
    assert report.leakage["decoder"].psnr.mean < report.null["psnr"] + 1.0
    assert report.utility_source == "probe"  # no predict: a probe measures utility


@pytest.fixture(scope="module")
def undefended_cifar() -> privattack.Report:
    return privattack.evaluate(
        "split", "cifar10_attribute", scale="smoke", data_root=None, progress=False
    )


def test_attribute_attack_beats_chance_undefended(undefended_cifar: privattack.Report) -> None:
    attribute = undefended_cifar.leakage["attribute"]
    assert attribute.advantage.ci[0] > 0.05
    assert attribute.balanced_accuracy.mean > 0.65


def test_attribute_attack_sits_at_chance_against_noise(bundled_only: None) -> None:
    report = privattack.evaluate(NoiseEncoder(), "cifar10_attribute", scale="smoke", progress=False)
    attribute = report.leakage["attribute"]
    assert attribute.accuracy.mean <= attribute.extra["chance"] + 0.05
    assert attribute.balanced_accuracy.mean < 0.58
