"""Privacy-utility curves: sweep trains a steerable defense once and steers it to each value."""

from __future__ import annotations

import pytest
import torch

import privattack


class Steerable:
    """A steerable toy defense that counts how often it is trained."""

    steerable = ("scale",)
    fits = 0

    def __init__(self, scale: float) -> None:
        self.scale, self.fitted = scale, False
        self.params = {"scale": scale}

    def fit(self, task: object, train: object, budget: object) -> None:
        type(self).fits += 1
        self.fitted = True

    def steer(self, **knobs: float) -> Steerable:
        steered = Steerable(knobs["scale"])
        steered.fitted = self.fitted
        return steered

    def release(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.mean(1, keepdim=True)


@pytest.mark.slow
def test_sweep_trains_a_steerable_defense_once(tmp_path) -> None:
    reports = privattack.sweep(
        Steerable,
        "cifar10_input",
        "scale",
        [1.0, 2.0],
        scale="smoke",
        attacks=["decoder"],
        progress=False,
        out=tmp_path,
    )
    assert Steerable.fits == 1
    assert [r.defense["params"]["scale"] for r in reports] == [1.0, 2.0]
    assert reports[0].defense["fit"].startswith("this run")
    assert reports[1].defense["fit"].startswith("before this run")
    for value in ("1.0", "2.0"):
        html = (tmp_path / f"scale={value}" / "report.html").read_text()
        assert "<h2>Privacy-utility</h2>" in html
