"""The learned-prior attack: its codes stay inside the box attack_train's codes span, its pixel
stage is never worse than its latent search on the adversary's own feature loss, no rescaling
of z changes what it reconstructs, and it reconstructs real faces from the undefended split but
nothing from noise (canaries on the bundled FairFace faces)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from helpers import NoiseEncoder, small_client_inputs
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import privattack
from privattack.attacks.hybrid import HybridAttack
from privattack.attacks.prior import LatentImages, PriorAttack

SUITE = Path(__file__).parents[1] / "suite_files" / "prior_smoke.toml"


@given(u=st.lists(st.floats(-1e6, 1e6), min_size=4, max_size=4))
@settings(max_examples=30, deadline=None)
def test_codes_stay_inside_the_training_box(u: list[float]) -> None:
    mean, half_width = torch.tensor([0.0, 1.0, -2.0, 5.0]), torch.tensor([1.0, 0.5, 3.0, 1e-3])
    images = LatentImages(nn.Identity(), mean, half_width, mean[None])
    with torch.no_grad():
        images.u.copy_(torch.tensor([u]))
    codes = images.codes()
    assert torch.all((codes - mean).abs() <= half_width + 1e-6)


@given(
    lr=st.floats(1e-4, 10.0),
    latent_lr=st.floats(1e-4, 10.0),
    anchor_weight=st.floats(0.0, 100.0),
    distance=st.sampled_from(["mse", "cosine"]),
)
@settings(max_examples=6, deadline=None)
def test_never_worse_than_its_latent_search_on_the_feature_loss(
    lr: float, latent_lr: float, anchor_weight: float, distance: str
) -> None:
    inputs = small_client_inputs()
    attack = PriorAttack(lr=lr, latent_lr=latent_lr, anchor_weight=anchor_weight, distance=distance)
    start = attack._starts(inputs, 6)
    result = attack.run(inputs).images
    loss = HybridAttack(distance=distance).feature_loss
    assert result.shape == start.shape
    assert torch.all(loss(inputs, result) <= loss(inputs, start) + 1e-5)


def test_the_pixel_stage_improves_on_the_prior() -> None:
    inputs = small_client_inputs()
    attack = PriorAttack(lr=0.05)
    start = attack._starts(inputs, 6)
    loss = HybridAttack().feature_loss
    assert loss(inputs, attack.run(inputs).images).mean() < 0.9 * loss(inputs, start).mean()


@pytest.mark.parametrize(("scale", "offset"), [(1e20, 0.0), (1e-20, 0.0), (1.0, 1e3)])
def test_rescaling_z_changes_nothing(scale: float, offset: float) -> None:
    """(An offset far beyond z's own scale rounds z away in float32: the real-face invariance
    test covers 1e6 within intervals.)"""
    expected = PriorAttack().run(small_client_inputs()).images
    got = PriorAttack().run(small_client_inputs(scale, offset)).images
    assert torch.allclose(got, expected, atol=1e-2), (got - expected).abs().max()


def test_latent_search_starts_from_the_nearest_training_image() -> None:
    """With no search steps the latent stage returns the prior's image of the attack_train
    image whose activation is nearest: for a z_test row copied from attack_train, that one."""
    inputs = small_client_inputs()
    copied = dataclasses.replace(inputs, z_test=inputs.z_train[:3])
    attack = PriorAttack(latent_iterations=1, latent_lr=1e-12)
    autoencoder = attack.prior(copied)
    with torch.no_grad():
        own = autoencoder(copied.secret_train[:3])
    assert torch.allclose(attack._starts(copied, 3), own, atol=1e-4)


@pytest.mark.slow
def test_prior_reconstructs_undefended_faces_and_nothing_from_noise() -> None:
    undefended = privattack.evaluate("split", SUITE, scale="smoke", progress=False)
    noise = privattack.evaluate(NoiseEncoder(), SUITE, scale="smoke", progress=False)
    prior = undefended.leakage["prior"]
    assert prior.extra["n"] == 6 and prior.failed is None
    assert prior.ssim.mean > undefended.null["ssim"] + 0.1
    assert prior.psnr.mean > undefended.null["psnr"] + 2
    assert noise.leakage["prior"].ssim.mean < noise.null["ssim"] + 0.05
    assert noise.leakage["prior"].failed
