"""An independent face model for identity leakage: dlib's 128-D face-recognition ResNet
(99.38% on LFW), whose weights ship inside PyPI's ``face-recognition-models``, so it runs offline.

Nothing here imports torch. With more than one CPU, large batches are embedded in worker
processes (``python -m privattack.faces``, chips in and embeddings out as .npy on its pipes):
dlib holds the GIL, so threads would not help, and a fresh interpreter never re-runs the
caller's script, as multiprocessing's spawn would.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np

FACE_SIZE = 150  # px: the aligned face chip the model reads
SAME_PERSON = 0.6  # dlib's verification threshold on the Euclidean distance of two embeddings
INSTALL = "pip install 'privattack[faces]'"
SWITCH = "PRIVATTACK_FACES"  # "off" skips the face model (its metrics say so in every report)
READER_SWITCH = "PRIVATTACK_ATTRIBUTES"  # "off" skips only the attribute reader's metrics
_OFF = ("0", "off", "false", "no")
MODEL = "dlib_face_recognition_resnet_model_v1.dat"
PER_WORKER = 32  # faces: fewer per process and starting it costs more than it saves


def missing() -> str | None:
    """Why the face model cannot run here (None when it can)."""
    off = _turned_off(SWITCH, "the face model")
    if off:
        return off
    try:
        import dlib  # noqa: F401
    except ImportError as error:
        return f"the face model needs dlib ({error}): {INSTALL}"
    if _model_file() is None:
        return f"the face model's weights (face-recognition-models) are not installed: {INSTALL}"
    return None


def reader_off() -> str | None:
    """Why the attribute reader does not run though the face model does (None when it runs):
    it embeds every attack_train face, about 0.1 s each."""
    return _turned_off(READER_SWITCH, "the attribute reader")


def _turned_off(switch: str, what: str) -> str | None:
    """Why ``what`` does not run when the environment variable ``switch`` turns it off."""
    if os.environ.get(switch, "").strip().lower() in _OFF:
        return f"{what} is turned off ({switch}={os.environ[switch]})"
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

    reason = missing()
    if reason is not None:
        raise RuntimeError(reason)
    return dlib.face_recognition_model_v1(str(_model_file()))


def _embed_here(chips: np.ndarray) -> np.ndarray:
    return np.asarray(_model().compute_face_descriptor(list(chips)), dtype=np.float32)


def _embed_in_worker(chips: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    np.save(buffer, chips)
    here = str(Path(__file__).resolve().parents[1])  # where this privattack is imported from
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "privattack.faces"],
        input=buffer.getvalue(),
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    if done.returncode != 0:
        raise RuntimeError(f"a face-model worker failed: {done.stderr.decode()[-2000:]}")
    return np.load(io.BytesIO(done.stdout))


def embed_chips(chips: np.ndarray) -> np.ndarray:
    """(N, 128) embeddings of (N, 150, 150, 3) uint8 face chips, the whole chip as the face."""
    if chips.ndim != 4 or chips.shape[1:] != (FACE_SIZE, FACE_SIZE, 3) or chips.dtype != np.uint8:
        raise ValueError(f"face chips must be (N, {FACE_SIZE}, {FACE_SIZE}, 3) uint8.")
    workers = min(os.cpu_count() or 1, len(chips) // PER_WORKER)
    if workers < 2:
        return _embed_here(chips)
    with ThreadPoolExecutor(workers) as pool:
        return np.concatenate(list(pool.map(_embed_in_worker, np.array_split(chips, workers))))


if __name__ == "__main__":  # a worker: chips on stdin, embeddings on stdout
    embedded = _embed_here(np.load(io.BytesIO(sys.stdin.buffer.read())))
    np.save(sys.stdout.buffer, embedded)
