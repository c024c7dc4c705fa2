"""Image sources that decode lazily, and ``ImageSet``: a data set's images, ids and named labels."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from privattack.errors import DataError, UnknownNameError
from privattack.files import contained


def square_resize(image: Image.Image, size: int) -> np.ndarray:
    """Centre-crop ``image`` to a square and resize it to ``size`` x ``size`` (uint8 HWC RGB)."""
    image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if side != size:
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8)


class ImageSource(Protocol):
    """Decodes image ``i`` of a data set, at ``size`` px, as uint8 (size, size, 3)."""

    def __len__(self) -> int: ...

    def load(self, i: int, size: int) -> np.ndarray: ...


def _decode_jpeg(buffer: bytes, size: int) -> np.ndarray:
    image = Image.open(io.BytesIO(buffer))
    image.draft("RGB", (size, size))  # DCT-domain downscaling: large JPEGs decode much faster
    return square_resize(image, size)


@dataclass
class JpegPackSource:
    """Images stored as original JPEG files concatenated in one byte array (the jpeg-pack)."""

    jpeg_bytes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def load(self, i: int, size: int) -> np.ndarray:
        start, stop = int(self.offsets[i]), int(self.offsets[i + 1])
        return _decode_jpeg(self.jpeg_bytes[start:stop].tobytes(), size)


@dataclass
class ArraySource:
    """Images already decoded, uint8 (N, H, W, 3)."""

    images: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def load(self, i: int, size: int) -> np.ndarray:
        array = self.images[i]
        if array.shape[:2] == (size, size):
            return np.ascontiguousarray(array)
        return square_resize(Image.fromarray(array), size)


@dataclass
class FileSource:
    """One image file per sample (official layouts), each named relative to ``folder`` by
    ``listed_in`` (a label file); a name that would lead outside the folder is refused."""

    folder: Path
    names: Sequence[str]
    listed_in: str

    def __post_init__(self) -> None:
        for name in self.names:
            contained(self.folder, name, self.listed_in)

    def __len__(self) -> int:
        return len(self.names)

    def load(self, i: int, size: int) -> np.ndarray:
        path = self.folder / self.names[i]
        try:
            return _decode_jpeg(path.read_bytes(), size)
        except FileNotFoundError as error:
            raise DataError(
                f"{path}: missing; {self.listed_in} lists it. The data set's official layout "
                "is incomplete: copy the missing images, or use its npz packs."
            ) from error
        except (OSError, UnidentifiedImageError) as error:
            raise DataError(f"{path}: not a readable image ({error}).") from error


@dataclass
class ConcatSource:
    """Several sources read as one, in order (all packs of a folder)."""

    parts: Sequence[ImageSource]
    _starts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._starts = np.cumsum([0] + [len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def load(self, i: int, size: int) -> np.ndarray:
        part = int(np.searchsorted(self._starts, i, side="right")) - 1
        return self.parts[part].load(i - int(self._starts[part]), size)


@dataclass(frozen=True)
class Sample:
    """One image of a data set: float (3, S, S) in [0, 1], its stable id and its named labels."""

    image: Tensor
    id: str
    labels: dict[str, int]


@dataclass(eq=False)
class ImageSet:
    """A data set's images (decoded on demand, cached per size) with ids and integer labels.

    Args:
        name: the data set ("cifar10", "celeba", "fairface", "utkface").
        source: decodes images by index.
        ids: (N,) stable string ids, unique.
        labels: name -> (N,) int64 labels; -1 marks a missing label.
        label_names: name -> class names, for categorical labels.
        partition: (N,) official partition ("train", "val", "test") or None.
        origin: where the data came from, for reports.
        layout: "official", "npz" or "bundled".
    """

    name: str
    source: ImageSource
    ids: np.ndarray
    labels: Mapping[str, np.ndarray]
    label_names: Mapping[str, Sequence[str]]
    origin: str
    layout: str
    partition: np.ndarray | None = None
    _cache: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def label(self, name: str) -> np.ndarray:
        """The (N,) int64 labels called ``name``; an unknown name lists the known ones."""
        if name not in self.labels:
            raise UnknownNameError(f"label in data set {self.name!r}", name, self.labels)
        return self.labels[name]

    def num_classes(self, name: str) -> int:
        """How many classes label ``name`` has."""
        if name in self.label_names:
            return len(self.label_names[name])
        return int(self.label(name).max()) + 1

    def images(self, indices: Sequence[int] | np.ndarray, size: int) -> Tensor:
        """Images ``indices`` at ``size`` px: float (B, 3, size, size) in [0, 1]."""
        arrays = []
        for i in np.asarray(indices, dtype=np.int64).tolist():
            key = (i, size)
            if key not in self._cache:
                self._cache[key] = self.source.load(i, size)
            arrays.append(self._cache[key])
        if not arrays:
            return torch.empty(0, 3, size, size)
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        return batch.float().div_(255.0)

    def sample(self, i: int, size: int) -> Sample:
        """Image ``i`` with its id and every label."""
        return Sample(
            image=self.images([i], size)[0],
            id=str(self.ids[i]),
            labels={name: int(values[i]) for name, values in self.labels.items()},
        )
