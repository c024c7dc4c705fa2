"""Releasing: what the defense sends for the attack splits, checked as it comes, as a value.

``Released`` holds the activations of attack_train and attack_test, the server's logits on
attack_test when the defense has ``predict``, and what it offers a white-box adversary (its
``client`` and channel ``layout``).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from privattack.errors import CapabilityError, DefenseError, NonFiniteError, PrivattackError
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


def call_defense(defense: Defense, method: str, *args: Any) -> Any:
    """``defense.method(*args)``; an exception from a defense that is not one of privattack's
    own (the user's code, or a model an adapter wraps) becomes a ``DefenseError`` naming it."""
    try:
        return getattr(defense, method)(*args)
    except PrivattackError:
        raise
    except Exception as error:
        if type(defense).__module__.startswith("privattack.defenses."):
            raise  # a built-in defense failing is privattack's bug
        raise DefenseError(
            f"{type(defense).__name__}.{method}() raised {type(error).__name__}: {error}"
        ) from error


def weights_digest(module: nn.Module) -> str:
    """A short SHA-256 of a module's parameters and buffers: which weights produced a report."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


def memory_format_of(z: Tensor) -> str:
    """How a released z is laid out in memory ("channels_last" or "contiguous"): convolutions
    on it round differently, so a stored z is given back in the layout it was released in."""
    channels_last = z.ndim == 4 and z.is_contiguous(memory_format=torch.channels_last)
    return "channels_last" if channels_last and not z.is_contiguous() else "contiguous"


def in_memory_format(z: Tensor, layout: str) -> Tensor:
    """``z`` in the memory ``layout`` that ``memory_format_of`` named."""
    return z.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else z


def check_release(z: Any, batch: int, name: str) -> Tensor:
    """Validate what ``name``.release returned for ``batch`` images; returns it as float32
    (another floating dtype is cast, with a warning; complex, integer and bool are refused)."""
    if not isinstance(z, Tensor):
        raise DefenseError(
            f"{name}.release() returned {type(z).__name__}; it must return a "
            "torch.Tensor with one activation per image."
        )
    if z.ndim not in (2, 4) or z.shape[0] != batch:
        raise DefenseError(
            f"{name}.release() returned shape {tuple(z.shape)} for {batch} images; it must "
            "return one activation per image along dim 0: (B, D) vectors or (B, C, h, w) maps."
        )
    if 0 in z.shape[1:]:
        raise DefenseError(
            f"{name}.release() returned shape {tuple(z.shape)}: an activation of zero "
            "features carries nothing to attack or serve."
        )
    if z.is_complex() or not z.is_floating_point():
        raise DefenseError(
            f"{name}.release() returned dtype {z.dtype}; activations must be real floating "
            "point (float32, or a float dtype privattack casts to float32)."
        )
    if z.dtype != torch.float32:
        warnings.warn(
            f"{name}.release() returned {z.dtype}; privattack casts it to float32.",
            stacklevel=2,
        )
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
        z = call_defense(defense, "release", x)
        outputs.append(check_release(z, len(x), name).detach().cpu())
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
        first = check_release(call_defense(defense, "release", x), len(x), name)
        second = check_release(call_defense(defense, "release", x), len(x), name)
    if not torch.allclose(first, second, rtol=1e-4, atol=1e-5):
        raise DefenseError(
            f"{name}.release() gave different activations for the same images but the defense "
            "does not declare `stochastic = True`. Set that attribute if it samples noise, "
            "or put its modules in eval mode."
        )


class _PredictModule(nn.Module):
    """Lets ``predict_batched`` call a defense's ``predict``, checking what it returns."""

    def __init__(self, defense: Defense, num_classes: int) -> None:
        super().__init__()
        self.defense, self.num_classes = defense, num_classes

    def forward(self, z: Tensor) -> Tensor:
        name = type(self.defense).__name__
        logits = call_defense(self.defense, "predict", z)
        wanted = (len(z), self.num_classes)
        if not isinstance(logits, Tensor) or tuple(logits.shape) != wanted:
            raise CapabilityError(
                f"{name}.predict() must return logits (B, K) = {wanted} for {len(z)} "
                f"activations of a {self.num_classes}-class task; got "
                f"{tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__}."
            )
        if not logits.is_floating_point() or not torch.isfinite(logits).all():
            raise NonFiniteError(
                f"{name}.predict() returned {logits.dtype} logits holding NaN or inf, or not "
                "floating point; utility cannot be measured from them."
            )
        return logits


def release(
    defense: Defense,
    caps: Capabilities,
    train_images: Tensor,
    test_images: Tensor,
    name: str,
    seed: int,
    num_classes: int,
    device: str = "cpu",
) -> Released:
    """Release both attack splits through ``defense`` (checking determinism first unless it is
    declared stochastic; ``seed`` then fixes a stochastic defense's noise) and, when it has
    ``predict``, the server's logits (over ``num_classes``) on attack_test."""
    if not caps.stochastic:
        check_deterministic(defense, test_images[:4].to(device), name)
    seed_everything(seed)
    z_train = release_all(defense, train_images, name, device)
    z_test = release_all(defense, test_images, name, device)
    logits = (
        predict_batched(_PredictModule(defense, num_classes), z_test, RELEASE_BATCH, device)
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
