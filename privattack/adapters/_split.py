"""Adapters for torchvision and timm models: split a pretrained model at a named point.

Both take images in [0, 1], apply the model's own input normalisation, keep the model in eval
mode (privattack never trains it) and follow its device and dtype. The client is white-box.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from privattack.errors import UnknownNameError
from privattack.protocol import check_images

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class NormalisedClient(nn.Module):
    """``features(normalise(x))``: the client half of a split model, for images in [0, 1]."""

    def __init__(self, features: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.features = features
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.features((x - self.mean) / self.std)


class SplitPretrained:
    """A Defense around a frozen client module: release = client(x), white-box."""

    def __init__(self, client: nn.Module, params: dict[str, Any]) -> None:
        self._client = client.eval().requires_grad_(False)
        self.params = params

    @property
    def name(self) -> str:
        """How reports name it: the model and where it is cut."""
        where = self.params.get("node", self.params.get("cut", self.params.get("index")))
        return f"{self.params.get('model', type(self).__name__)} @ {where}"

    def __repr__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({where}; white-box client, frozen)"

    @property
    def client(self) -> nn.Module:
        """The frozen client (normalisation + the model up to the split point)."""
        return self._client

    def _reference(self) -> Tensor:
        return next(self._client.parameters(), self._client.mean)

    @torch.no_grad()
    def release(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W) in [0, 1] -> the model's activation at the split point."""
        reference = self._reference()
        return self._client(check_images(x).to(reference.device, reference.dtype))


class ServedSplit(SplitPretrained):
    """A split pretrained model with its server half too: ``predict`` runs the rest of the
    model, so utility is the model's own task accuracy (not a probe's)."""

    def __init__(self, client: nn.Module, server: nn.Module, params: dict[str, Any]) -> None:
        super().__init__(client, params)
        self._server = server.eval().requires_grad_(False)

    @torch.no_grad()
    def predict(self, z: Tensor) -> Tensor:
        """The rest of the model on activations ``z``: task logits (B, K)."""
        reference = self._reference()
        return self._server(z.to(reference.device, reference.dtype))


class _LastNode(nn.Module):
    """torchvision's feature extractor returns a dict; keep the one node asked for."""

    def __init__(self, extractor: nn.Module, node: str) -> None:
        super().__init__()
        self.extractor, self.node = extractor, node

    def forward(self, x: Tensor) -> Tensor:
        return self.extractor(x)[self.node]


def torchvision_model(
    model: nn.Module,
    node: str,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> SplitPretrained:
    """Split a torchvision model at graph node ``node`` (``torchvision.models.feature_extraction``).

    Args:
        model: a torchvision classification model (pretrained weights already loaded).
        node: a node name such as "layer2" or "features.7"; an unknown one lists the valid ones.
        mean, std: the input normalisation the weights expect (ImageNet's by default).
    """
    from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

    model = model.eval()
    _, leaves = get_graph_node_names(model)
    # A module name ("layer2", "features.7") stands for the last operation inside it.
    nodes = {
        ".".join(leaf.split(".")[:k]) for leaf in leaves for k in range(1, leaf.count(".") + 2)
    }
    if node not in nodes:
        raise UnknownNameError(f"graph node of {type(model).__name__}", node, nodes)
    extractor = create_feature_extractor(model, return_nodes=[node])
    client = NormalisedClient(_LastNode(extractor, node), mean, std)
    client.to(next(model.parameters()).device)
    return SplitPretrained(client, {"model": type(model).__name__, "node": node})


class _TimmStage(nn.Module):
    def __init__(self, model: nn.Module, index: int) -> None:
        super().__init__()
        self.model, self.index = model, index

    def forward(self, x: Tensor) -> Tensor:
        return self.model.forward_intermediates(x, indices=[self.index], intermediates_only=True)[0]


def timm_model(
    model_or_name: nn.Module | str, index: int, checkpoint: str | None = None
) -> SplitPretrained:
    """Split a timm model after feature stage ``index`` (its ``feature_info`` numbering).

    Args:
        model_or_name: a timm model, or a timm model name (built without downloading).
        index: the feature stage the client ends with.
        checkpoint: weights for a model given by name, loaded with ``weights_only=True``.
    """
    import timm

    model = model_or_name
    if isinstance(model_or_name, str):
        model = timm.create_model(model_or_name, pretrained=False)
        if checkpoint is None:
            warnings.warn(
                f"adapters.timm({model_or_name!r}) without a checkpoint builds the model with "
                "RANDOM weights (privattack never downloads any): what leaks from a random "
                "network says nothing about the trained one. Pass checkpoint=PATH.",
                UserWarning,
                stacklevel=2,
            )
        else:
            model.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    assert isinstance(model, nn.Module)
    stages = len(getattr(model, "feature_info", []))
    if not hasattr(model, "forward_intermediates") or stages == 0:
        raise UnknownNameError("timm model with forward_intermediates", type(model).__name__, [])
    if not 0 <= index < stages:
        raise UnknownNameError(
            f"feature stage of {type(model).__name__}", str(index), [str(k) for k in range(stages)]
        )
    config = model.pretrained_cfg
    client = NormalisedClient(
        _TimmStage(model.eval(), index),
        config.get("mean", IMAGENET_MEAN),
        config.get("std", IMAGENET_STD),
    )
    client.to(next(model.parameters()).device)
    name = model_or_name if isinstance(model_or_name, str) else type(model).__name__
    params: dict[str, Any] = {"model": name, "index": index}
    if isinstance(model_or_name, str):
        params["weights"] = "random" if checkpoint is None else Path(checkpoint).name
    return SplitPretrained(client, params)
