"""The undefended split model (the paper's "traditional setup", section 3.1).

A ResNet-18 cut after a block: the client runs stem + blocks up to the cut and releases its
activation as is; the server runs the rest and the task head. ``fit`` trains both for the task.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from privattack.errors import CapabilityError, UnknownNameError
from privattack.protocol import LabelledImages, Task, TrainingBudget, check_images
from privattack.registry import defenses
from privattack.training import seed_everything, train_for_task

from ._resnet import CUTS, shape_of, shape_state, split_resnet18


@defenses.register("split", aliases=("traditional",))
class SplitDefense:
    """Release the client activation of a ResNet-18 cut after ``cut``, undefended.

    Args:
        cut: the last client block: "stem", "layer1" (default), "layer2", "layer3", "layer4".
        lr: Adam learning rate of ``fit``.
        image_size, num_classes: build the networks now instead of at ``fit`` (e.g. to load
            a saved state).
    """

    def __init__(
        self,
        cut: str = "layer1",
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        if cut not in CUTS:
            raise UnknownNameError("cut", cut, CUTS)
        self.cut, self.lr = cut, lr
        self.params = {"cut": cut, "lr": lr}
        self._client: nn.Sequential | None = None
        self._server: nn.Sequential | None = None
        self.fitted = False
        if image_size is not None and num_classes is not None:
            self._build(image_size, num_classes)

    def _build(self, image_size: int, num_classes: int) -> None:
        self._shape = shape_state(image_size, num_classes)
        self._client, self._server = split_resnet18(self.cut, image_size, num_classes)
        self._client.eval()
        self._server.eval()

    def _networks(self) -> tuple[nn.Sequential, nn.Sequential]:
        if self._client is None or self._server is None:
            raise CapabilityError(
                "the split model is not built yet: call fit(task, train, "
                "budget) or pass image_size= and num_classes=."
            )
        return self._client, self._server

    @property
    def client(self) -> nn.Module:
        """The client network (x -> z), differentiable: what a white-box adversary holds."""
        return self._networks()[0]

    def fit(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        """Train client and server on ``train`` for ``task.task`` (cross-entropy)."""
        seed_everything(budget.seed)
        self._build(task.image_size, task.num_classes)
        train_for_task(
            self.utility_model(), task, train, budget, self.lr, f"{type(self).__name__}: fit"
        )
        self.fitted = True

    def utility_model(self) -> nn.Module:
        """Client, obfuscation and server as one network (images -> task logits), as trained."""
        client, server = self._networks()
        return nn.Sequential(client, self.obfuscation(), server)

    def obfuscation(self) -> nn.Module:
        """What the client applies to its activation before release: nothing, here."""
        return nn.Identity()

    @torch.no_grad()
    def release(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W) in [0, 1] -> client activation (B, C, h, w)."""
        client = self.client.eval()
        return self.obfuscation()(client(check_images(x).to(next(client.parameters()).device)))

    @torch.no_grad()
    def predict(self, z: Tensor) -> Tensor:
        """The server's task logits (B, K) for activations (B, C, h, w)."""
        server = self._networks()[1].eval()
        return server(z.to(next(server.parameters()).device))

    def state_dict(self) -> dict[str, Any]:
        """Client and server weights, and the task shape they were built for."""
        client, server = self._networks()
        return {"client": client.state_dict(), "server": server.state_dict(), "shape": self._shape}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load a ``state_dict`` (building the networks first, where its tensors lie, when
        the model is not built yet); the model is then fitted."""
        if self._client is None:
            self._build(*shape_of(state["shape"]))
            device = next(iter(state["client"].values())).device
            self._client.to(device)  # type: ignore[union-attr]
            self._server.to(device)  # type: ignore[union-attr]
        client, server = self._networks()
        client.load_state_dict(state["client"])
        server.load_state_dict(state["server"])
        self.fitted = True
