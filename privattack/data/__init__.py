"""Data sets as lazily decoded images with ids and named labels, and their splits."""

from privattack.data.images import ImageSet, Sample
from privattack.data.sources import bundled_datasets, data_root, open_dataset
from privattack.data.splits import (
    SPLIT_NAMES,
    Split,
    SplitSizes,
    SuiteSplits,
    draw_splits,
    fingerprint,
    make_splits,
)

__all__ = [
    "SPLIT_NAMES",
    "ImageSet",
    "Sample",
    "Split",
    "SplitSizes",
    "SuiteSplits",
    "bundled_datasets",
    "data_root",
    "draw_splits",
    "fingerprint",
    "make_splits",
    "open_dataset",
]
