"""The reconstructions a report shows: the same test images under every attack, those the
worst-case attack reconstructs best first, each reconstruction with the rank of its source
among the originals when identity was measured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from privattack.metrics import Metric, ssim
from privattack.report import WorstCase

GRID_SAMPLES = 8  # test images shown in the reconstruction grid


def grid_samples(
    originals: Tensor,
    reconstructions: Mapping[str, Tensor],
    params: Mapping[str, Mapping[str, Any]],
    worst: WorstCase | None,
    identity: Metric | None = None,
) -> tuple[dict[str, Tensor], dict[str, list[str]]]:
    """(row name -> images: "original", then each attack, labelled with the decoder family
    that ran; row name -> a note per image: "rank k", where its source falls among all of
    ``originals`` by ``identity``'s matching, rank 1 re-identified), among the test images
    every attack scored."""
    if worst is None or worst.attack not in reconstructions:
        return {}, {}
    shared = min(len(r) for r in reconstructions.values())
    order = ssim(reconstructions[worst.attack][:shared], originals[:shared]).argsort(
        descending=True
    )[:GRID_SAMPLES]
    rows, notes = {"original": originals[order]}, {}
    for name, images in reconstructions.items():
        built = params[name].get("built")
        label = f"{name} ({built})" if built else name
        rows[label] = images[order]
        if identity is not None and identity.matches is not None:
            ranks = identity.matches(images, originals).ranks[order]
            notes[label] = [f"rank {int(r) + 1}" for r in ranks]
    return rows, notes
