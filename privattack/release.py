"""Releasing: what the defense sends for the attack splits, checked as it comes, as a value.

``Released`` holds the activations of attack_train and attack_test, the server's logits on
attack_test when the defense has ``predict``, and what it offers a white-box adversary (its
``client`` and channel ``layout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from privattack.errors import CapabilityError, DefenseError, NonFiniteError
from privattack.protocol import Capabilities, Defense, TileLayout
from privattack.training import predict_batched, seed_everything

RELEASE_BATCH = 128


@dataclass(frozen=True)
class Released:
    """The released activations of both attack splits, and what the defense offers."""

    train: Tensor  # (N_train, ...) z of attack_train
    test: Tensor  # (N_test, ...) z of attack_test
    server_logits: Tensor | None = None  # (N_test, K) the defense's predict(z_test)
    client: nn.Module | None = None  # the white-box client (x -> z), when offered
    layout: TileLayout | None = None  # how channels map to image tiles, when declared


def memory_format_of(z: Tensor) -> str:
    """How a released z is laid out in memory ("channels_last" or "contiguous"): convolutions
    on it round differently, so a stored z is given back in the layout it was released in."""
    channels_last = z.ndim == 4 and z.is_contiguous(memory_format=torch.channels_last)
    return "channels_last" if channels_last and not z.is_contiguous() else "contiguous"


def in_memory_format(z: Tensor, layout: str) -> Tensor:
    """``z`` in the memory ``layout`` that ``memory_format_of`` named."""
    return z.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else z


def check_release(z: Any, batch: int, name: str) -> Tensor:
    """Validate what ``name``.release returned for ``batch`` images; returns a float tensor."""
    if not isinstance(z, Tensor):
        raise DefenseError(
            f"{name}.release() returned {type(z).__name__}; it must return a "
            "torch.Tensor with one activation per image."
        )
    if z.ndim < 2 or z.shape[0] != batch:
        raise DefenseError(
            f"{name}.release() returned shape {tuple(z.shape)} for {batch} images; it must "
            "return one activation per image along dim 0, shape (B, ...)."
        )
    if not z.is_floating_point():
        z = z.float()
    if not torch.isfinite(z).all():
        raise NonFiniteError(
            f"{name}.release() returned NaN or inf activations; the attacks cannot score them. "
            "Check the defense's numerics (e.g. a division by zero or an exploding scale)."
        )
    return z


@torch.no_grad()
def release_all(
    defense: Defense,
    images: Tensor,
    name: str,
    device: str = "cpu",
    batch_size: int = RELEASE_BATCH,
) -> Tensor:
    """Release every image of ``images`` in batches, validating each batch; returns (N, ...)."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        outputs.append(check_release(defense.release(x), len(x), name).detach().cpu())
    shapes = {tuple(z.shape[1:]) for z in outputs}
    if len(shapes) > 1:
        raise DefenseError(
            f"{name}.release() returned activations of different shapes "
            f"{sorted(shapes)}; every image must map to the same shape."
        )
    return torch.cat(outputs)


def check_deterministic(defense: Defense, x: Tensor, name: str) -> None:
    """Raise when a defense that does not declare ``stochastic = True`` releases two answers."""
    with torch.no_grad():
        first = check_release(defense.release(x), len(x), name)
        second = check_release(defense.release(x), len(x), name)
    if not torch.allclose(first, second, rtol=1e-4, atol=1e-5):
        raise DefenseError(
            f"{name}.release() gave different activations for the same images but the defense "
            "does not declare `stochastic = True`. Set that attribute if it samples noise, "
            "or put its modules in eval mode."
        )


class _PredictModule(nn.Module):
    """Lets ``predict_batched`` call a defense's ``predict``, checking what it returns."""

    def __init__(self, defense: Defense) -> None:
        super().__init__()
        self.defense = defense

    def forward(self, z: Tensor) -> Tensor:
        logits = self.defense.predict(z)  # type: ignore[attr-defined]
        if not isinstance(logits, Tensor) or logits.ndim != 2 or logits.shape[0] != len(z):
            raise CapabilityError(
                f"{type(self.defense).__name__}.predict() must return logits (B, K) for "
                f"{len(z)} activations; got {getattr(logits, 'shape', type(logits))}."
            )
        return logits


def release(
    defense: Defense,
    caps: Capabilities,
    train_images: Tensor,
    test_images: Tensor,
    name: str,
    seed: int,
    device: str = "cpu",
) -> Released:
    """Release both attack splits through ``defense`` (checking determinism first unless it is
    declared stochastic; ``seed`` then fixes a stochastic defense's noise) and, when it has
    ``predict``, the server's logits on attack_test."""
    if not caps.stochastic:
        check_deterministic(defense, test_images[:4].to(device), name)
    seed_everything(seed)
    z_train = release_all(defense, train_images, name, device)
    z_test = release_all(defense, test_images, name, device)
    logits = (
        predict_batched(_PredictModule(defense), z_test, RELEASE_BATCH, device)
        if caps.predict
        else None
    )
    return Released(
        z_train,
        z_test,
        logits,
        defense.client if caps.client else None,  # type: ignore[attr-defined]
        getattr(defense, "layout", None),
    )
