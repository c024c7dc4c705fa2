"""Random channel pruning: the paper's randomised variant of DISCO (sections 3.7, 5, 7).

The undefended split model, but every released activation has a fresh random set of channels
zeroed per sample, with DISCO's R semantics and mask code (keep C - round(R*C), at least one).
The server is trained on activations pruned the same way.
"""

from __future__ import annotations

from torch import Tensor, nn

from privattack.registry import defenses
from privattack.validate import number

from ._masking import apply_mask, random_mask
from .split import SplitDefense


class RandomChannelMask(nn.Module):
    """Zero a fresh random ``ratio`` of the channels of each sample, in training and release."""

    def __init__(self, ratio: float) -> None:
        super().__init__()
        number(ratio, "ratio", "the pruning defense", 0.0, 1.0)
        self.ratio = ratio

    def forward(self, activation: Tensor) -> Tensor:
        batch, channels = activation.shape[:2]
        return apply_mask(
            activation, random_mask(batch, channels, self.ratio, device=activation.device)
        )


@defenses.register("pruning")
class PruningDefense(SplitDefense):
    """Release the split activation with a random fraction ``ratio`` of channels pruned.

    Args:
        ratio: pruning ratio R, the fraction of channels zeroed per sample.
        cut, lr, image_size, num_classes: as for the split model.
    """

    stochastic = True

    def __init__(
        self,
        ratio: float = 0.6,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        self._mask = RandomChannelMask(ratio)
        super().__init__(cut=cut, lr=lr, image_size=image_size, num_classes=num_classes)
        self.ratio = ratio
        self.params = {**self.params, "ratio": ratio}

    def obfuscation(self) -> nn.Module:
        return self._mask
