"""The hybrid attack: it starts its white-box search from the decoder's reconstruction and is
never worse than that start on the adversary's own feature loss, whatever its settings; it
reuses the decoder an evaluation already trained. (Its canaries on real faces are with the
other attacks' in test_canaries.py.)"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from helpers import small_client_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from privattack.attacks import get
from privattack.attacks.hybrid import HybridAttack
from privattack.errors import UnknownNameError


@given(
    lr=st.floats(1e-4, 10.0),
    tv_weight=st.floats(0.0, 100.0),
    anchor_weight=st.floats(0.0, 100.0),
    prior=st.sampled_from(["pixels", "dip"]),
    distance=st.sampled_from(["mse", "cosine"]),
)
@settings(max_examples=12, deadline=None)
def test_never_worse_than_its_start_on_the_feature_loss(
    lr: float, tv_weight: float, anchor_weight: float, prior: str, distance: str
) -> None:
    """Even a learning rate that makes the search diverge returns, per image, something at
    least as close to z (by the adversary's own loss) as the decoder's reconstruction."""
    inputs = small_client_inputs()
    params = {"lr": lr, "tv_weight": tv_weight, "anchor_weight": anchor_weight}
    attack = HybridAttack(**params, prior=prior, distance=distance)
    start = get("decoder").run(inputs).images[:6]
    result = attack.run(inputs).images
    assert result.shape == start.shape
    assert torch.all(
        attack.feature_loss(inputs, result) <= attack.feature_loss(inputs, start) + 1e-5
    )


def test_the_search_improves_on_the_decoder() -> None:
    inputs = small_client_inputs()
    attack = HybridAttack(lr=0.05)
    start = get("decoder").run(inputs).images[:6]
    result = attack.run(inputs).images
    assert (
        attack.feature_loss(inputs, result).mean() < 0.9 * attack.feature_loss(inputs, start).mean()
    )


def test_best_family_starts_each_image_from_the_best_matching_decoder() -> None:
    inputs = small_client_inputs()
    attack = HybridAttack(decoder_family="best")
    start = attack._starts(inputs, 6)
    losses = torch.stack(
        [
            attack.feature_loss(inputs, get("decoder", family=f).run(inputs).images[:6])
            for f in ("conv", "tiles", "fc")
        ]
    )
    assert torch.allclose(attack.feature_loss(inputs, start), losses.min(0).values)


def test_the_decoder_an_evaluation_trained_is_reused_not_retrained() -> None:
    """Same settings and the very same tensors: the same reconstructions, not a second
    training; other tensors with equal values are a new training."""
    inputs = small_client_inputs()
    first = get("decoder").run(inputs).images
    assert get("decoder").run(inputs).images is first
    copied = dataclasses.replace(inputs, z_train=inputs.z_train.clone())
    again = get("decoder").run(copied).images
    assert again is not first and torch.equal(again, first)  # deterministic, trained anew
    assert get("decoder", lr=0.01).run(inputs).images is not first


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"select": "last"}, "selection rule of the hybrid attack"),
        ({"prior": "gan"}, "prior of the hybrid attack"),
        ({"decoder_family": "unet"}, "decoder family of the hybrid attack"),
        ({"decoder_widht": 3}, "hyper-parameter of attack 'hybrid'"),
    ],
)
def test_bad_settings_are_refused_when_built(params: dict, message: str) -> None:
    with pytest.raises(UnknownNameError, match=message):
        get("hybrid", **params)
