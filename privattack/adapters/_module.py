"""Wrap any ``nn.Module`` or callable (images -> activations) as a Defense."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from privattack.errors import CapabilityError
from privattack.protocol import check_images


class ModuleDefense:
    """A user's model as a Defense: ``release(x) = model(x)``; a module is white-box.

    The model is put in eval mode and never trained by privattack.
    """

    def __init__(
        self, model: nn.Module | Callable[[Tensor], Tensor], white_box: bool, name: str
    ) -> None:
        if not callable(model):
            raise TypeError(f"expected an nn.Module or a callable, got {type(model).__name__}.")
        self._model = model
        self._white_box = white_box
        self.params: dict[str, Any] = {"model": name, "white_box": white_box}
        if isinstance(model, nn.Module):
            model.eval()

    def __repr__(self) -> str:
        kind = "white-box" if self._white_box else "black box"
        return f"ModuleDefense({self.params['model']}, {kind}, frozen)"

    @property
    def client(self) -> nn.Module:
        """The wrapped module, when the adversary may differentiate through it."""
        if not self._white_box or not isinstance(self._model, nn.Module):
            raise CapabilityError(
                "this model is wrapped as a black box: white-box attacks do "
                "not apply. Wrap an nn.Module with white_box=True to allow them."
            )
        return self._model

    def _device(self) -> torch.device:
        if isinstance(self._model, nn.Module):
            for tensor in self._model.parameters():
                return tensor.device
        return torch.device("cpu")

    @torch.no_grad()
    def release(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W) in [0, 1] -> the model's output for them."""
        return self._model(check_images(x).to(self._device()))


def module(
    model: nn.Module | Callable[[Tensor], Tensor], *, white_box: bool | None = None
) -> ModuleDefense:
    """Any ``nn.Module`` or callable mapping images (B, 3, H, W) in [0, 1] to activations.

    Args:
        model: the client side of a split model.
        white_box: whether the adversary may differentiate through it (enables white-box
            attacks); default: True for an ``nn.Module``, False for a plain callable.
    """
    is_module = isinstance(model, nn.Module)
    if white_box and not is_module:
        raise TypeError("white_box=True needs an nn.Module the adversary can differentiate.")
    return ModuleDefense(model, is_module if white_box is None else white_box, type(model).__name__)


def blackbox(fn: Callable[[Tensor], Tensor]) -> ModuleDefense:
    """A model the user can only query: supervised attacks only."""
    return ModuleDefense(fn, white_box=False, name=getattr(fn, "__name__", type(fn).__name__))
