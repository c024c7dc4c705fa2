"""Identity leakage: does a reconstruction pick out its own source among a gallery of originals?

Each reconstruction ranks the gallery (attack_test's originals; its first images are the
reconstructions' sources, in order) by distance: between face embeddings of an independent face
model (``reid``), or between the images themselves (``iip``, image identifiability as breaching
and GradInversion define it). Rank 0 is re-identified top-1.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from privattack import faces
from privattack.files import atomic_path, cache_root

_EMBEDDINGS: OrderedDict[str, Tensor] = OrderedDict()  # content digest -> face embeddings
_KEEP = 16  # image sets whose embeddings stay memoised (a run scores each several times)
EMBEDDING = 128  # the face model's embedding size


@dataclass(frozen=True)
class Matches:
    """Per reconstruction: the rank of its own source in the gallery (0: nearest), and the
    distance to it."""

    ranks: Tensor  # (Q,) long
    distances: Tensor  # (Q,) float

    def within(self, k: int) -> Tensor:
        """(Q,) 1.0 where the source is among the ``k`` nearest gallery entries."""
        return (self.ranks < k).float()


def rank_sources(queries: Tensor, gallery: Tensor) -> Matches:
    """Rank, for each query ``i`` (Q, D), its source ``gallery[i]`` among the gallery (N, D)
    by Euclidean distance; ties count for the source (an attacker picks among equals)."""
    if queries.ndim != 2 or gallery.ndim != 2 or queries.shape[1] != gallery.shape[1]:
        raise ValueError(
            f"queries {tuple(queries.shape)} and gallery {tuple(gallery.shape)} must be "
            "(Q, D) and (N, D)."
        )
    if len(queries) > len(gallery):
        raise ValueError(f"{len(queries)} queries, but only {len(gallery)} gallery entries.")
    distances = torch.cdist(
        queries.double(), gallery.double(), compute_mode="donot_use_mm_for_euclid_dist"
    )
    own = distances.diagonal()
    ranks = (distances < own[:, None]).sum(1)
    return Matches(ranks, own.float())


def _digest(images: Tensor) -> str:
    """What the embeddings depend on: the images, and the face model and how it reads them."""
    array = images.detach().cpu().float().contiguous()
    recipe = f"{tuple(array.shape)} {faces.MODEL} {faces.FACE_SIZE} bilinear".encode()
    return hashlib.sha256(array.numpy().tobytes() + recipe).hexdigest()


def face_embeddings(images: Tensor, store: bool = False) -> Tensor:
    """(N, 128) face embeddings of (N, 3, H, W) images in [0, 1], each resized to the face
    model's 150 px chip with the whole image as the face box; memoised by content and, with
    ``store`` (a gallery, which every defense on the same suite and seed shares), kept on disk
    under ``$PRIVATTACK_CACHE/faces``."""
    key = _digest(images)
    if key in _EMBEDDINGS:
        _EMBEDDINGS.move_to_end(key)
        return _EMBEDDINGS[key]
    path = cache_root() / "faces" / f"{key}.safetensors"
    embedded = _read_stored(path, len(images)) if store else None
    if embedded is None:
        embedded = _embed(images)
        if store:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as temporary:
                save_file({"embeddings": embedded}, str(temporary))
    _EMBEDDINGS[key] = embedded
    while len(_EMBEDDINGS) > _KEEP:
        _EMBEDDINGS.popitem(last=False)
    return embedded


def _read_stored(path: Path, n: int) -> Tensor | None:
    """The embeddings stored at ``path`` when they are whole and of ``n`` images, else None."""
    try:
        embedded = load_file(str(path))["embeddings"]
    except (OSError, KeyError, SafetensorError):
        return None
    whole = embedded.shape == (n, EMBEDDING) and bool(torch.isfinite(embedded).all())
    return embedded if whole else None


def _embed(images: Tensor) -> Tensor:
    chips = torch.nn.functional.interpolate(
        images.detach().float().clamp(0, 1),
        size=(faces.FACE_SIZE, faces.FACE_SIZE),
        mode="bilinear",
        align_corners=False,
        antialias=images.shape[-1] > faces.FACE_SIZE,
    )
    pixels = (chips * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
    return torch.from_numpy(faces.embed_chips(pixels))


def face_matches(x_hat: Tensor, x: Tensor) -> Matches:
    """Re-identification by the face model: ``x_hat[i]`` against the gallery ``x``."""
    return rank_sources(face_embeddings(x_hat), face_embeddings(x, store=True))


def pixel_matches(x_hat: Tensor, x: Tensor) -> Matches:
    """Image identifiability: ``x_hat[i]`` against the gallery ``x`` by pixel distance."""
    return rank_sources(x_hat.detach().float().clamp(0, 1).flatten(1), x.float().flatten(1))
