"""Metrics agree with scikit-image on real images; bounds, identity and symmetry hold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from privattack.data import open_dataset
from privattack.errors import ShapeError
from privattack.metrics import (
    METRICS,
    UTILITY,
    Truth,
    balanced_accuracy,
    bootstrap,
    chance,
    l1,
    psnr,
    ssim,
)


@pytest.fixture(scope="module")
def faces() -> torch.Tensor:
    return open_dataset("fairface", None).images(range(0, 60, 6), 64)  # bundled: always here


def _degrade(x: torch.Tensor, seed: int) -> torch.Tensor:
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    return (x.flip(-1) * 0.3 + x * 0.7 + 0.08 * noise).clamp(0, 1)


def test_ssim_and_psnr_match_scikit_image_on_real_faces(faces: torch.Tensor) -> None:
    x_hat = _degrade(faces, 0)
    ours_ssim, ours_psnr = ssim(x_hat, faces), psnr(x_hat, faces)
    for i in range(len(faces)):
        a = faces[i].permute(1, 2, 0).double().numpy()
        b = x_hat[i].permute(1, 2, 0).double().numpy()
        ref_ssim = structural_similarity(
            a,
            b,
            data_range=1.0,
            channel_axis=2,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        assert ours_ssim[i].item() == pytest.approx(ref_ssim, abs=1e-3)
        assert ours_psnr[i].item() == pytest.approx(
            peak_signal_noise_ratio(a, b, data_range=1.0), abs=1e-3
        )


images = st.integers(0, 2**16).map(
    lambda seed: torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
)


@given(images, images)
@settings(max_examples=40, deadline=None)
def test_bounds_and_symmetry(a: torch.Tensor, b: torch.Tensor) -> None:
    s = ssim(a, b)
    assert ((s >= -1) & (s <= 1 + 1e-6)).all()
    assert torch.allclose(s, ssim(b, a), atol=1e-6)
    assert torch.allclose(psnr(a, b), psnr(b, a)) and (psnr(a, b) > 0).all()
    assert ((l1(a, b) >= 0) & (l1(a, b) <= 1)).all() and torch.allclose(l1(a, b), l1(b, a))


@given(images)
@settings(max_examples=20, deadline=None)
def test_identity(a: torch.Tensor) -> None:
    assert torch.allclose(ssim(a, a), torch.ones(2), atol=1e-5)
    assert (l1(a, a) == 0).all() and (psnr(a, a) >= 60).all()


def test_inputs_are_clamped_and_shapes_checked() -> None:
    x = torch.rand(1, 3, 16, 16)
    assert torch.allclose(l1(x + 5, x), l1(torch.ones_like(x), x))
    with pytest.raises(ShapeError, match=r"must both be \(B, C, H, W\) and match"):
        ssim(x, torch.rand(1, 3, 8, 8))


def test_classification_metrics() -> None:
    target = torch.tensor([0, 0, 0, 1])
    assert balanced_accuracy(torch.tensor([0, 0, 0, 0]), target) == 0.5
    assert chance(torch.tensor([1, 1, 0]), target) == 0.25


def test_bootstrap_is_seeded_and_covers_the_mean() -> None:
    values = np.random.default_rng(0).normal(0.5, 0.1, 200)
    first, second = bootstrap(values, 7), bootstrap(values, 7)
    assert first == second
    assert first.mean == pytest.approx(values.mean())
    assert first.ci[0] < first.mean < first.ci[1]


def test_one_repeat_is_the_plain_bootstrap_and_identical_repeats_add_no_width() -> None:
    values = np.random.default_rng(0).normal(0.5, 0.1, 200)
    assert bootstrap([values], 7) == bootstrap(values, 7)
    alone, thrice = bootstrap(values, 7), bootstrap([values] * 3, 7)
    assert thrice.mean == pytest.approx(alone.mean)
    assert thrice.ci == pytest.approx(alone.ci)


@given(
    spread=st.floats(0.05, 0.5),
    repeats=st.integers(2, 5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=25, deadline=None)
def test_repeats_that_disagree_widen_the_interval_around_their_average(
    spread: float, repeats: int, seed: int
) -> None:
    """Runs that differ by their seed (each shifted by up to ``spread``) give the average of
    their means, and an interval at least as wide as any one run's, covering their spread."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.5, 0.05, 100)
    offsets = np.linspace(-spread, spread, repeats)
    runs = [base + offset for offset in offsets]
    pooled = bootstrap(runs, seed)
    assert pooled.mean == pytest.approx(np.mean([r.mean() for r in runs]))
    one = bootstrap(runs[0], seed)
    assert pooled.ci[1] - pooled.ci[0] > one.ci[1] - one.ci[0]
    assert pooled.ci[0] < pooled.mean < pooled.ci[1]


def test_repeats_must_score_the_same_samples() -> None:
    with pytest.raises(ValueError, match="same samples"):
        bootstrap([np.ones(5), np.ones(4)], 0)


def test_the_metrics_table_says_each_direction_and_threshold() -> None:
    """Scoring, thresholds, diff and the worst case read directions from here, never names."""
    table = {m.name: m for m in (*METRICS, UTILITY)}
    assert table["ssim"].higher_is_worse and not table["l1"].higher_is_worse
    assert not UTILITY.higher_is_worse
    assert [m.threshold for m in (table["ssim"], table["l1"], UTILITY)] == [
        "max_ssim",
        "min_l1",
        "min_utility",
    ]
    for m in METRICS:
        assert m.threshold.startswith("max_" if m.higher_is_worse else "min_")
    x = torch.rand(6, 3, 16, 16)
    truth = Truth(x, x)
    mean_image = table["ssim"].null(truth)  # the mean training image against each test image
    assert mean_image < 1 and table["ssim"].estimate(x, truth, 0).mean == pytest.approx(1.0)
