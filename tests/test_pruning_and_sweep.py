"""Random pruning shares DISCO's R semantics; sweep trains steerable defenses once."""

from __future__ import annotations

import pytest
import torch

import privattack


def test_random_pruning_draws_a_fresh_mask_per_sample_and_call() -> None:
    torch.manual_seed(0)
    pruning = privattack.defenses.get("pruning", ratio=0.8, image_size=32, num_classes=2)
    x = torch.rand(1, 3, 32, 32).expand(6, 3, 32, 32).contiguous()
    first, second = pruning.release(x), pruning.release(x)
    zeroed = first.flatten(2).abs().amax(2) == 0
    assert (zeroed.sum(1) >= 51).all()  # round(0.8 * 64) pruned; a ReLU may zero more
    assert len({tuple(row.tolist()) for row in zeroed}) > 1  # per sample
    assert not torch.equal(first, second)  # per call
    assert privattack.capabilities(pruning).stochastic


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

    def steer(self, knob: str, value: float) -> Steerable:
        steered = Steerable(value)
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
    html = (tmp_path / "scale=2.0" / "report.html").read_text()
    assert "<h2>Privacy-utility</h2>" in html
