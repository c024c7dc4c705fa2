"""What the adversary is after: the image itself (input suites) or a sensitive attribute.

A suite's target decides which attacks apply, what an attack trains on (the secret of each
attack_train image), how its output is scored and what the null baseline is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from privattack.data.splits import Split

TargetKind = Literal["input", "attribute"]


@dataclass(frozen=True)
class InputTarget:
    """The private image is the secret: attacks reconstruct it (B, 3, S, S) in [0, 1]."""

    image_size: int
    kind: TargetKind = "input"

    def secret(self, split: Split) -> Tensor:
        """The secret of every image of ``split``: the images themselves."""
        return split.images


@dataclass(frozen=True)
class AttributeTarget:
    """A sensitive label is the secret: attacks predict it (logits over ``num_classes``)."""

    label: str
    num_classes: int
    kind: TargetKind = "attribute"

    def secret(self, split: Split) -> Tensor:
        """The secret of every image of ``split``: its ``label``, (N,) int64."""
        return split.labels[self.label]


Target = InputTarget | AttributeTarget
