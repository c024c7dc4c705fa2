"""DISCO: the decoupler, the per-sample hard masks, the gradient routing, steering, experts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import privattack
from privattack.defenses._adversary import ProxyAdversary
from privattack.defenses._masking import kept_channels, straight_through_mask
from privattack.defenses.disco import DiscoDefense, SpatialDecoupler


def _disco(**params: object) -> DiscoDefense:
    torch.manual_seed(0)
    return privattack.defenses.get("disco", image_size=32, num_classes=2, **params)


@pytest.mark.parametrize("grid", [1, 2, 4, 8])
def test_decoupler_matches_a_loop_over_tiles(grid: int) -> None:
    torch.manual_seed(grid)
    module, x = SpatialDecoupler(grid), torch.rand(2, 3, 32, 32)
    tile = 32 // grid
    expected = torch.stack(
        [
            torch.stack(
                [
                    F.relu(
                        module.conv(
                            F.interpolate(
                                x[
                                    b : b + 1,
                                    :,
                                    i * tile : (i + 1) * tile,
                                    j * tile : (j + 1) * tile,
                                ],
                                size=(32, 32),
                                mode="bilinear",
                                align_corners=False,
                            )
                        )
                    ).mean(1)[0]
                    for i in range(grid)
                    for j in range(grid)
                ]
            )
            for b in range(2)
        ]
    )
    assert torch.allclose(module(x), expected, atol=1e-5)


def test_decoupler_toggles_off_without_changing_the_network() -> None:
    x = torch.rand(2, 3, 32, 32)
    on, off = SpatialDecoupler(4, enabled=True), SpatialDecoupler(4, enabled=False)
    assert on(x).shape == off(x).shape == (2, 16, 32, 32)
    with pytest.raises(privattack.ShapeError, match="divisible by its grid d=4"):
        on(torch.rand(1, 3, 30, 30))


def test_kept_channels_follow_r_and_never_collapse() -> None:
    counts = [kept_channels(64, r).item() for r in (0.0, 0.6, 0.8, 0.9, 1.0)]
    assert counts == [64, 26, 13, 6, 1]  # C - round(R*C), at least one
    with pytest.raises(privattack.ShapeError, match=r"pruning ratio must lie in \[0, 1\]"):
        kept_channels(64, 1.5)


def test_masks_are_hard_per_sample_and_carry_gradient() -> None:
    scores = torch.randn(4, 16, requires_grad=True)
    mask = straight_through_mask(scores, kept_channels(16, 0.75).expand(4), 0.03)
    assert set(mask.detach().unique().tolist()) <= {0.0, 1.0}
    assert (mask.detach().sum(1) == 4).all()
    assert len({tuple(row.tolist()) for row in mask.detach()}) > 1  # not one mask per batch
    (mask * torch.arange(16.0)).sum().backward()
    assert scores.grad is not None and scores.grad.abs().sum() > 0  # reaches the scores


def test_release_prunes_each_sample_with_its_own_hard_mask() -> None:
    disco = _disco(ratio=0.75)
    x = torch.rand(6, 3, 32, 32)
    z, mask = disco.release(x), disco.mask(x)
    assert (mask.sum(1) == 16).all()
    zero_channels = z.flatten(2).abs().amax(2) == 0
    assert (zero_channels >= (mask == 0)).all()
    masks = disco.mask(torch.rand(32, 3, 32, 32))
    assert len({tuple(row.tolist()) for row in masks}) > 1  # dynamic: conditioned on x


def test_steering_changes_the_ratio_without_retraining() -> None:
    disco = _disco(ratio=0.6)
    x = torch.rand(4, 3, 32, 32)
    counts = [int(disco.steer(ratio=r).mask(x).sum(1)[0]) for r in (0.6, 0.8, 0.9)]
    assert counts == [26, 13, 6]
    steered = disco.steer(ratio=0.9)
    assert steered.modules is disco.modules and steered.params["ratio"] == 0.9
    assert disco.ratio == 0.6
    with pytest.raises(privattack.UnknownNameError, match="steerable knob of DISCO"):
        disco.steer(grid=2)


def test_a_state_rebuilds_an_unbuilt_disco() -> None:
    """What the fit cache relies on: a fresh DISCO takes a fitted one's state, and is fitted."""
    disco, x = _disco(ratio=0.75), torch.rand(4, 3, 32, 32)
    fresh = privattack.defenses.get("disco", ratio=0.75)
    fresh.load_state_dict(disco.state_dict())
    assert fresh.fitted and torch.equal(fresh.release(x), disco.release(x))


@pytest.mark.parametrize("sensitive", ["input", "attribute"])
def test_gradient_routing(sensitive: str) -> None:
    disco = _disco(rho=2.0)
    m = disco.modules.train()
    x, y = torch.rand(8, 3, 32, 32), torch.randint(0, 2, (8,))
    if sensitive == "input":
        task, secret = _task("input"), x
    else:
        task, secret = _task("race"), torch.randint(0, 3, (8,))
    adversary = ProxyAdversary(task, (64, 16, 16), lr=1e-3)
    utility, privacy, _ = disco.training_losses(
        x, y, secret, adversary, torch.Generator().manual_seed(0)
    )
    client = [*m["pre"].parameters(), *m["body"].parameters()]
    filters = list(m["filter"].parameters())
    g_priv_client = torch.autograd.grad(privacy, client, retain_graph=True, allow_unused=True)
    assert all(g is None or g.abs().sum() == 0 for g in g_priv_client)  # no adversary gradient
    g_priv_filter = torch.autograd.grad(privacy, filters, retain_graph=True)
    g_util_filter = torch.autograd.grad(utility, filters, retain_graph=True)
    assert sum(g.abs().sum() for g in g_priv_filter) > 0
    total = torch.autograd.grad(disco.objective(utility, privacy), filters)
    for g_total, g_util, g_priv in zip(total, g_util_filter, g_priv_filter, strict=True):
        assert torch.allclose(g_total, 2.0 * g_util - g_priv, rtol=1e-4, atol=1e-4)  # reversed


def _task(sensitive: str) -> privattack.Task:
    return privattack.Task(32, "gender", 2, sensitive, None if sensitive == "input" else 3)


def test_expert_filters_swap_on_the_same_client(tmp_path: Path) -> None:
    disco, other = _disco(), _disco()
    torch.manual_seed(1)
    other.modules["filter"].net[-1].reset_parameters()
    other.save_filter(tmp_path / "expert.safetensors")
    x = torch.rand(8, 3, 32, 32)
    client_before = disco.client(x)
    disco.load_filter(tmp_path / "expert.safetensors")
    assert torch.equal(disco.mask(x), other.mask(x))
    assert torch.equal(disco.client(x), client_before)


def test_cli_parameters_reach_the_constructor() -> None:
    from privattack.cli import _parse_param

    params = dict(_parse_param(p) for p in ("ratio=0.9", "decoupler=false", "cut=layer2"))
    disco = privattack.defenses.get("disco", **params)
    assert (disco.ratio, disco.decoupler, disco.cut) == (0.9, False, "layer2")


@pytest.mark.slow
def test_disco_lowers_leakage_on_real_faces(
    reference_run: Callable[[str], privattack.Report],
) -> None:
    split, disco = reference_run("split_fairface_input"), reference_run("disco_fairface_input")
    for attack in ("decoder", "likelihood"):
        assert disco.leakage[attack].ssim.ci[1] < split.leakage[attack].ssim.ci[0]
