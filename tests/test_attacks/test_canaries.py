"""Every attack succeeds against the undefended split and fails against a noise encoder.

Real data: the FairFace faces bundled with privattack, and the CIFAR-10 subset bundled with it
(or the shared copy when PRIVATTACK_DATA points there), at smoke scale.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers import NoiseEncoder
from scipy.stats import binomtest

import privattack
from privattack import faces

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def undefended_faces(reference_run: Callable[[str], privattack.Report]) -> privattack.Report:
    """The undefended split on the bundled FairFace faces at smoke scale, every attack (the
    reference run: DISCO's real-face test and the reference test read the same report)."""
    return reference_run("split_fairface_input")


@pytest.fixture(scope="module")
def noise_faces() -> privattack.Report:
    return privattack.evaluate(NoiseEncoder(), "fairface_input", scale="smoke", progress=False)


def test_decoder_reconstructs_undefended_faces(undefended_faces: privattack.Report) -> None:
    report = undefended_faces
    decoder = report.leakage["decoder"]
    assert decoder.ssim.ci[0] > report.null["ssim"] + 0.2
    assert decoder.psnr.mean > report.null["psnr"] + 4
    assert decoder.l1.mean < report.null["l1"] * 0.6


def test_decoder_fails_against_noise(noise_faces: privattack.Report) -> None:
    assert noise_faces.leakage["decoder"].ssim.mean < noise_faces.null["ssim"] + 0.05
    assert noise_faces.leakage["decoder"].psnr.mean < noise_faces.null["psnr"] + 1.0
    assert noise_faces.utility_source == "probe"  # no predict: a probe measures utility


def test_attacks_that_learn_nothing_are_failed_never_privacy(
    noise_faces: privattack.Report, undefended_faces: privattack.Report
) -> None:
    """Against noise every attack scores the mean image: each is marked failed, there is no
    worst case, and the suite's threshold is an error rather than a pass."""
    for attack, leak in noise_faces.leakage.items():
        assert leak.failed and "no better than the mean training image" in leak.failed, attack
    assert noise_faces.worst_case is None
    (verdict,) = noise_faces.verdicts()
    assert not verdict.passed and "every attack that reports ssim failed" in verdict.error
    assert not noise_faces.passes({"max_ssim": 0.99})
    assert "FAILED (no better than the mean training image" in noise_faces.summary()
    assert all(leak.failed is None for leak in undefended_faces.leakage.values())
    loaded = privattack.Report.from_dict(noise_faces.to_dict())
    assert loaded.leakage["decoder"].failed == noise_faces.leakage["decoder"].failed


@pytest.fixture(scope="module")
def identified_faces() -> privattack.Report:
    """The undefended split on the bundled faces, the decoder and the likelihood attack, with
    the face model on (the attribute reader off: test_attributes.py reads real faces)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRIVATTACK_FACES", "on")
        patch.setenv("PRIVATTACK_ATTRIBUTES", "off")
        if faces.missing() is not None:
            pytest.skip(faces.missing())
        return privattack.evaluate(
            "split",
            "fairface_input",
            scale="smoke",
            attacks=["decoder", "likelihood"],
            progress=False,
        )


def test_undefended_reconstructions_give_the_person_away(
    identified_faces: privattack.Report,
) -> None:
    """The face model re-identifies the decoder's and the likelihood attack's reconstructions
    far above chance (1 in 64), and the identity worst case says which attack leaks most.

    Both pass a one-sided binomial test against chance; the decoder, scored on all 64 faces, also
    keeps its interval above 5 times chance. The likelihood attack reconstructs 8 faces at smoke
    scale, too few for a bootstrap interval's lower bound to clear chance."""
    undefended_faces = identified_faces
    assert set(undefended_faces.skipped_metrics) == {"attributes_kept", "attributes_read"}
    assert "PRIVATTACK_ATTRIBUTES=off" in undefended_faces.skipped_metrics["attributes_kept"]
    chance = undefended_faces.null["reid_top1"]
    assert chance == pytest.approx(1 / 64)
    for attack in ("decoder", "likelihood"):
        leak = undefended_faces.leakage[attack]
        assert leak.extra["gallery"] == 64
        hits = round(leak.reid_top1.mean * leak.extra["n"])
        above_chance = binomtest(hits, leak.extra["n"], chance, alternative="greater")
        assert above_chance.pvalue < 0.01, attack
        assert leak.reid_top5.mean > leak.reid_top1.mean
        assert leak.iip_top1.ci[0] > 0.9, attack
    assert undefended_faces.leakage["decoder"].reid_top1.ci[0] > 5 * chance
    worst = undefended_faces.worst_identity
    assert worst is not None and worst.metric == "reid_top1"
    best = max(leak.reid_top1.mean for leak in undefended_faces.leakage.values())
    assert worst.value == best


def test_reconstructions_from_noise_identify_nobody(noise_faces: privattack.Report) -> None:
    for attack, leak in noise_faces.leakage.items():
        assert leak.iip_top1.mean <= 3 / 64, attack
        if "reid_top1" in leak.metrics:
            assert leak.reid_top5.mean <= 0.2, attack
    assert noise_faces.worst_identity is None  # every attack failed


@pytest.mark.parametrize("attack", ["likelihood", "inversion", "hybrid"])
def test_white_box_attacks_reconstruct_undefended_faces(
    undefended_faces: privattack.Report, attack: str
) -> None:
    leakage = undefended_faces.leakage[attack]
    assert leakage.extra["n"] == 8  # the smoke budget inverts 8 test images
    assert leakage.ssim.mean > undefended_faces.null["ssim"] + 0.1
    assert leakage.psnr.mean > undefended_faces.null["psnr"] + 2


@pytest.mark.parametrize("attack", ["likelihood", "inversion", "hybrid"])
def test_white_box_attacks_fail_against_noise(noise_faces: privattack.Report, attack: str) -> None:
    assert noise_faces.leakage[attack].ssim.mean < noise_faces.null["ssim"] + 0.05


def test_white_box_attacks_are_skipped_without_a_client() -> None:
    defense = privattack.adapters.blackbox(lambda x: x.mean(1, keepdim=True))
    report = privattack.evaluate(
        defense,
        "cifar10_input",
        scale="smoke",
        progress=False,
        attacks=["likelihood", "inversion", "hybrid"],
    )
    assert report.leakage == {}
    assert report.skipped == {
        attack: "the defense has no client capability"
        for attack in ("likelihood", "inversion", "hybrid")
    }


@pytest.fixture(scope="module")
def undefended_cifar() -> privattack.Report:
    return privattack.evaluate("split", "cifar10_attribute", scale="smoke", progress=False)


def test_attribute_attack_beats_chance_undefended(undefended_cifar: privattack.Report) -> None:
    attribute = undefended_cifar.leakage["attribute"]
    assert attribute.advantage.ci[0] > 0.05
    assert attribute.balanced_accuracy.mean > 0.65


def test_attribute_attack_sits_at_chance_against_noise() -> None:
    report = privattack.evaluate(NoiseEncoder(), "cifar10_attribute", scale="smoke", progress=False)
    attribute = report.leakage["attribute"]
    assert attribute.accuracy.mean <= attribute.extra["chance"] + 0.05
    assert attribute.balanced_accuracy.mean < 0.58
