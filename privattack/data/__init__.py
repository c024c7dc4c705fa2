"""Data sets as lazily decoded images with ids and named labels, and their splits."""

from privattack.data.images import ImageSet, Sample
from privattack.data.sources import bundled_datasets, data_root, open_dataset
from privattack.data.splits import SPLIT_NAMES, Splits, fingerprint, make_splits

__all__ = [
    "SPLIT_NAMES",
    "ImageSet",
    "Sample",
    "Splits",
    "bundled_datasets",
    "data_root",
    "fingerprint",
    "make_splits",
    "open_dataset",
]
