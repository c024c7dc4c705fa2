"""Random pruning shares DISCO's R semantics and mask code, with a fresh mask per release."""

from __future__ import annotations

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
