"""The reconstructions a report shows: the same test images under every attack, those the
worst-case attack reconstructs best first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from privattack.metrics import ssim
from privattack.report import WorstCase

GRID_SAMPLES = 8  # test images shown in the reconstruction grid


def grid_samples(
    originals: Tensor,
    reconstructions: Mapping[str, Tensor],
    params: Mapping[str, Mapping[str, Any]],
    worst: WorstCase | None,
) -> dict[str, Tensor]:
    """Row name -> images: "original", then each attack (labelled with the decoder family
    that ran), among the test images every attack scored."""
    if worst is None or worst.attack not in reconstructions:
        return {}
    shared = min(len(r) for r in reconstructions.values())
    order = ssim(reconstructions[worst.attack][:shared], originals[:shared]).argsort(
        descending=True
    )[:GRID_SAMPLES]
    rows = {"original": originals[order]}
    for name, images in reconstructions.items():
        built = params[name].get("built")
        rows[f"{name} ({built})" if built else name] = images[order]
    return rows
