"""An independent face model for identity leakage: dlib's 128-D face-recognition ResNet
(99.38% on LFW), whose weights ship inside PyPI's ``face-recognition-models``, so it runs offline.

Nothing here imports torch: with more than one CPU, large batches are embedded in worker
processes that import only numpy and dlib (dlib holds the GIL, so threads would not help).
"""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np

FACE_SIZE = 150  # px: the aligned face chip the model reads
SAME_PERSON = 0.6  # dlib's verification threshold on the Euclidean distance of two embeddings
INSTALL = "pip install 'privattack[faces]'"
MODEL = "dlib_face_recognition_resnet_model_v1.dat"
PARALLEL_FROM = 64  # faces: below this, worker processes cost more than they save


def missing() -> str | None:
    """Why the face model cannot run here (None when it can)."""
    if importlib.util.find_spec("dlib") is None:
        return f"the face model needs dlib: {INSTALL}"
    if _model_file() is None:
        return f"the face model's weights (face-recognition-models) are not installed: {INSTALL}"
    return None


def _model_file() -> Path | None:
    """The weights, found without importing ``face_recognition_models`` (its ``__init__``
    imports ``pkg_resources``, which current setuptools no longer ships)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL
    return path if path.is_file() else None


@cache
def _model():
    import dlib

    path = _model_file()
    if path is None:
        raise RuntimeError(missing())
    return dlib.face_recognition_model_v1(str(path))


def _embed_here(chips: np.ndarray) -> np.ndarray:
    return np.asarray(_model().compute_face_descriptor(list(chips)), dtype=np.float32)


def embed_chips(chips: np.ndarray) -> np.ndarray:
    """(N, 128) embeddings of (N, 150, 150, 3) uint8 face chips, the whole chip as the face."""
    if chips.ndim != 4 or chips.shape[1:] != (FACE_SIZE, FACE_SIZE, 3) or chips.dtype != np.uint8:
        raise ValueError(f"face chips must be (N, {FACE_SIZE}, {FACE_SIZE}, 3) uint8.")
    workers = min(os.cpu_count() or 1, len(chips) // (PARALLEL_FROM // 2))
    if workers < 2:
        return _embed_here(chips)
    parts = np.array_split(chips, workers)
    return np.concatenate(list(_pool(workers).map(_embed_here, parts)))


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes kept for the life of this one, so each loads the model once."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
