"""Conformance checks for defenses, shipped so third-party defenses can run them in their CI.

``for check in defense_checks(defense): check(defense)``; each check raises AssertionError
with a message that says what the defense must do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from privattack.errors import PrivattackError
from privattack.protocol import Defense, capabilities
from privattack.report import Report

Check = Callable[[Defense], None]


def assert_leakage(report: Report, **thresholds: float) -> None:
    """Fail with a readable message unless ``report`` meets every threshold (none given: the
    suite's own ``[gates]``).

    Example: ``assert_leakage(report, max_ssim=0.4, min_utility=0.85)``; the names are the
    threshold language of gates files and suites (``max_ssim``, ``max_psnr``, ``min_l1``,
    ``max_attribute_accuracy``, ``max_advantage``, ``min_utility``, ...), each checked against
    the pessimistic end of the interval of the attack that leaks most.
    """
    verdicts = report.verdicts(thresholds or None, gate="assert_leakage")
    failed = [v for v in verdicts if not v.passed]
    if failed:
        lines = "\n  ".join(v.describe() for v in failed)
        raise AssertionError(
            f"{report.defense['name']} on {report.suite} ({report.scale}, "
            f"seed {report.seed}) leaks more than allowed:\n  {lines}"
        )


IMAGE_SIZE = 32


def _images(n: int = 5) -> torch.Tensor:
    return torch.rand(n, 3, IMAGE_SIZE, IMAGE_SIZE, generator=torch.Generator().manual_seed(0))


def _name(defense: Defense) -> str:
    return type(defense).__name__


def check_release_one_activation_per_image(defense: Defense) -> None:
    z = defense.release(_images(5))
    assert z.shape[0] == 5, (
        f"{_name(defense)}.release() returned {z.shape[0]} activations "
        "for 5 images; it must return one per image (dim 0)."
    )


def check_release_is_finite(defense: Defense) -> None:
    z = defense.release(_images())
    assert torch.isfinite(z).all(), f"{_name(defense)}.release() returned NaN or inf."


def check_release_rejects_bad_images(defense: Defense) -> None:
    bad = {
        "channels last": _images().permute(0, 2, 3, 1),
        "uint8": (_images() * 255).to(torch.uint8),
        "out of range": _images() * 255,
    }
    for what, x in bad.items():
        try:
            defense.release(x)
        except PrivattackError:
            continue
        raise AssertionError(
            f"{_name(defense)}.release() accepted {what} images; it must "
            "raise a privattack error (use privattack.protocol.check_images)."
        )


def check_client_is_differentiable(defense: Defense) -> None:
    x = _images(2).requires_grad_(True)
    defense.client(x).sum().backward()  # type: ignore[attr-defined]
    assert x.grad is not None and torch.isfinite(x.grad).all(), (
        f"{_name(defense)}.client does not pass finite gradients back to its input."
    )


def check_client_matches_release(defense: Defense) -> None:
    x = _images()
    with torch.no_grad():
        expected = defense.client(x)  # type: ignore[attr-defined]
    released = defense.release(x)
    kept = released != 0  # a client may stop before a channel mask; released zeros are pruned
    assert expected.shape == released.shape, (
        f"{_name(defense)}.client(x) has shape {tuple(expected.shape)} but release(x) "
        f"{tuple(released.shape)}; the client must compute what the defense releases."
    )
    assert torch.allclose(released[kept], expected[kept], atol=1e-5), (
        f"{_name(defense)}.client(x) differs from release(x) on the released channels; a "
        "deterministic defense's client must compute what it releases (before any mask)."
    )


def check_predict_returns_logits(defense: Defense) -> None:
    logits = defense.predict(defense.release(_images()))  # type: ignore[attr-defined]
    assert logits.ndim == 2 and logits.shape[0] == 5, (
        f"{_name(defense)}.predict() must return logits (B, K); got {tuple(logits.shape)}."
    )


def check_state_dict_round_trip(defense: Defense) -> None:
    x = _images()
    before = defense.release(x)
    defense.load_state_dict(defense.state_dict())  # type: ignore[attr-defined]
    assert torch.allclose(defense.release(x), before), (
        f"{_name(defense)}.load_state_dict(state_dict()) changed what it releases."
    )


def defense_checks(defense: Defense) -> Iterator[Check]:
    """Yield the checks that apply to this defense, chosen by its capabilities."""
    caps = capabilities(defense)
    yield check_release_one_activation_per_image
    yield check_release_is_finite
    yield check_release_rejects_bad_images
    if caps.client:
        yield check_client_is_differentiable
        if not caps.stochastic:
            yield check_client_matches_release
    if caps.predict:
        yield check_predict_returns_logits
    if caps.state_dict and not caps.stochastic:
        yield check_state_dict_round_trip
