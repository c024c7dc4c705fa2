"""The Defense protocol: ``release`` is required; ``fit``, ``client``, ``predict``,
``state_dict`` and ``layout`` are capabilities, detected at run time, that unlock attacks.

Two plain attributes are read too: ``stochastic = True`` declares a defense that samples noise
at every release, and ``fitted = True`` one that is already trained (``fit`` is then not run).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from privattack.errors import CapabilityError, DefenseError, NonFiniteError, ShapeError


@runtime_checkable
class Defense(Protocol):
    """What privattack evaluates: maps private images to what the server receives."""

    def release(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W) float in [0, 1] -> the activation sent to the server (B, ...)."""
        ...


@dataclass(frozen=True)
class Task:
    """What a defense is trained for: the task label and the sensitive target of a suite."""

    image_size: int
    task: str
    num_classes: int
    sensitive: str  # "input" or an attribute name
    num_sensitive_classes: int | None  # None for "input"


@dataclass(frozen=True)
class TrainingBudget:
    """How long and where a defense trains (from the suite's scale)."""

    epochs: int
    batch_size: int
    seed: int
    device: str = "cpu"
    progress: bool = False


class LabelledImages:
    """A split of a data set as batches of (images, labels); what ``Defense.fit`` receives."""

    def __init__(self, images: Tensor, labels: Mapping[str, Tensor]) -> None:
        self.images, self.labels = images, dict(labels)

    def __len__(self) -> int:
        return len(self.images)

    def batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
    ) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
        """Yield (images (b, 3, H, W), {label: (b,)}) batches, shuffled by ``seed`` if asked."""
        order = (
            torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
            if shuffle
            else torch.arange(len(self))
        )
        for start in range(0, len(self), batch_size):
            idx = order[start : start + batch_size]
            yield self.images[idx], {k: v[idx] for k, v in self.labels.items()}


@dataclass(frozen=True)
class TileLayout:
    """A defense's ``layout``: its input was cut into a ``grid`` x ``grid`` tiling whose tiles
    were each stretched to full size and stacked as channels (DISCO's spatial decoupler), so
    every position of the activation mixes the same position of every tile."""

    grid: int


@dataclass(frozen=True)
class Capabilities:
    """Which optional members of the Defense protocol an object has."""

    fit: bool
    client: bool
    predict: bool
    state_dict: bool
    layout: bool
    stochastic: bool

    def names(self) -> list[str]:
        """The capabilities present, by name."""
        return [name for name, present in self.__dict__.items() if present]


def capabilities(defense: object) -> Capabilities:
    """Detect the capabilities of ``defense`` (any object with ``release``).

    A trainable defense may gain ``client`` only once fitted; detect again after ``fit``.
    """
    if not callable(getattr(defense, "release", None)):
        raise CapabilityError(
            f"{type(defense).__name__} has no release(x) method; a defense must at least map "
            "images (B, 3, H, W) in [0, 1] to the activation it sends. Wrap a model with "
            "privattack.adapters.module(model) to get one."
        )
    try:
        client = getattr(defense, "client", None)
    except CapabilityError:  # e.g. a model that only exists after fit
        client = None
    stochastic = getattr(defense, "stochastic", False)
    if not isinstance(stochastic, bool):
        raise DefenseError(
            f"{type(defense).__name__}.stochastic must be True or False, got {stochastic!r}; "
            "privattack checks that a defense not declared stochastic releases one answer."
        )
    return Capabilities(
        fit=callable(getattr(defense, "fit", None)),
        client=isinstance(client, nn.Module),
        predict=callable(getattr(defense, "predict", None)),
        state_dict=callable(getattr(defense, "state_dict", None))
        and callable(getattr(defense, "load_state_dict", None)),
        layout=getattr(defense, "layout", None) is not None,
        stochastic=stochastic,
    )


def check_images(x: Any, what: str = "images") -> Tensor:
    """Validate images: a float tensor (B, 3, H, W) with values in [0, 1]; returns it."""
    if not isinstance(x, Tensor):
        raise ShapeError(f"{what} must be a torch.Tensor, got {type(x).__name__}.")
    if x.ndim != 4 or x.shape[1] != 3:
        raise ShapeError(
            f"{what} must have shape (B, 3, H, W), got {tuple(x.shape)}. Channels come first; "
            "use x.permute(0, 3, 1, 2) for (B, H, W, 3) arrays."
        )
    if not x.is_floating_point():
        raise ShapeError(
            f"{what} must be float in [0, 1], got dtype {x.dtype}; divide uint8 images by 255."
        )
    if not torch.isfinite(x).all():
        raise NonFiniteError(f"{what} contain NaN or inf.")
    low, high = x.min().item(), x.max().item()
    if low < 0 or high > 1:
        raise ShapeError(
            f"{what} must lie in [0, 1], got values in [{low:.3g}, {high:.3g}]. "
            "privattack expects unnormalised images; models normalise inside."
        )
    return x
