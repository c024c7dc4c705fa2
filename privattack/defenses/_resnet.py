"""ResNet-18 (torchvision, random init) cut into a client and a server after a named block.

Small images keep the cut's meaning: images up to 32 px get a 3x3 stride-1 stem plus max-pool
(2x down), larger ones torchvision's 7x7 stride-2 stem plus max-pool (4x down). Either way
``layer1`` yields 64 maps of 16 x 16 at 32 and 64 px, like the paper's shallow cuts.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

CUTS = ("stem", "layer1", "layer2", "layer3", "layer4")
SMALL_IMAGE = 32


def _stem(net: nn.Module, image_size: int, in_channels: int) -> nn.Sequential:
    if image_size <= SMALL_IMAGE:
        conv = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        return nn.Sequential(conv, net.bn1, net.relu, nn.MaxPool2d(2))
    if in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
    return nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)


def split_resnet18(
    cut: str, image_size: int, num_classes: int, in_channels: int = 3
) -> tuple[nn.Sequential, nn.Sequential]:
    """(client, server): client = stem + blocks up to ``cut``; server = the rest + a linear head.

    ``in_channels`` lets a pre-processing module (DISCO's decoupler) feed the stem.
    """
    from torchvision.models import resnet18

    if cut not in CUTS:
        raise ValueError(f"unknown cut {cut!r}; choose one of {', '.join(CUTS)}.")
    net = resnet18(weights=None, num_classes=num_classes)
    stem = _stem(net, image_size, in_channels)
    blocks = [stem] + [getattr(net, name) for name in CUTS[1:]]
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))
    k = CUTS.index(cut) + 1
    return nn.Sequential(*blocks[:k]), nn.Sequential(*blocks[k:], head)


def channels_after(cut: str) -> int:
    """Channels of the client activation for a cut."""
    return {"stem": 64, "layer1": 64, "layer2": 128, "layer3": 256, "layer4": 512}[cut]


def shape_state(image_size: int, num_classes: int) -> dict[str, Tensor]:
    """The task shape a network was built for, as state tensors (a state rebuilds its networks)."""
    return {"image_size": torch.tensor(image_size), "num_classes": torch.tensor(num_classes)}


def shape_of(state: dict[str, Tensor]) -> tuple[int, int]:
    """(image_size, num_classes) of a ``shape_state``."""
    return int(state["image_size"]), int(state["num_classes"])
