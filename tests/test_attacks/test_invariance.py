"""No rescaling or offset of the released activation hides anything: every attack standardises z
with float64 statistics of attack_train, so the undefended split multiplied by 1e20 or 1e-20,
or shifted by 1e6, leaks what it leaks unscaled (its server undoing the change keeps its
utility: the trick costs the defense nothing, so it must gain it nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

import privattack
from privattack.attacks.standardize import Standardizer
from privattack.prepare import prepare

SUITE = Path(__file__).parents[1] / "suite_files" / "invariance_smoke.toml"


@given(
    exponent=st.integers(-30, 30),
    shift=st.sampled_from([0.0, -3.0, 1e4]),
    sign=st.sampled_from([1.0, -1.0]),
)
@settings(max_examples=60, deadline=None)
def test_standardising_undoes_any_scale_and_offset(
    exponent: int, shift: float, sign: float
) -> None:
    """z * scale + offset, for scales from 1e-30 to 1e30 and offsets up to 1e4 times the scale
    (beyond that float32 itself rounds z away), standardises to what z does."""
    torch.manual_seed(0)
    z = torch.randn(64, 8, 4, 4) + torch.linspace(0, 3, 8)[None, :, None, None]
    scale = sign * 10.0**exponent
    scaled = (z.double() * scale + shift * abs(scale)).float()
    expected = Standardizer.fit(z)(z) * sign
    got = Standardizer.fit(scaled)(scaled)
    assert torch.allclose(got, expected, atol=1e-2), (got - expected).abs().max()


class Rescaled:
    """The fitted split releasing ``z * scale + offset``; its server undoes it."""

    fitted = True

    def __init__(self, split: object, scale: float, offset: float) -> None:
        self.split, self.scale, self.offset = split, scale, offset
        self.client = nn.Sequential(split.client, Affine(scale, offset))
        self.params = {"scale": scale, "offset": offset}

    def release(self, x: Tensor) -> Tensor:
        return self.split.release(x) * self.scale + self.offset

    def predict(self, z: Tensor) -> Tensor:
        return self.split.predict((z - self.offset) / self.scale)


@pytest.fixture(scope="module")
def fitted_split() -> object:
    split = privattack.defenses.get("split")
    prepare(split, SUITE, scale="smoke", progress=False)  # fits it, attacking nothing
    return split


@pytest.mark.slow
def test_the_rescaled_split_leaks_what_the_split_leaks(fitted_split: object) -> None:
    reports = {
        (s, o): privattack.evaluate(
            Rescaled(fitted_split, s, o), SUITE, scale="smoke", progress=False, cache=False
        )
        for s, o in ((1.0, 0.0), (1e20, 0.0), (1e-20, 0.0), (1.0, 1e6))
    }
    plain = reports[(1.0, 0.0)]
    assert plain.worst_case is not None
    for (s, o), report in reports.items():
        assert report.utility.mean == pytest.approx(plain.utility.mean, abs=0.05)
        for attack, leak in plain.leakage.items():
            other = report.leakage[attack]
            assert other.failed is None, (s, o, attack, other.failed)
            low, high = leak.ssim.ci
            width = high - low
            assert low - width <= other.ssim.mean <= high + width, (s, o, attack)
        assert report.worst_case is not None
        assert abs(report.worst_case.value - plain.worst_case.value) <= width + 0.02, (s, o)
