"""The CIFAR-10 ResNet-20 of He et al. 2016 (option-A shortcuts), matching the keys of the
public checkpoint by Yerlan Idelbayev (BSD-2-Clause), so privattack can wrap a real pretrained
third-party model without any download."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor, nn

from privattack.errors import UnknownNameError

from ._split import NormalisedClient, ServedSplit

CIFAR_MEAN = (0.485, 0.456, 0.406)  # the normalisation that checkpoint was trained with
CIFAR_STD = (0.229, 0.224, 0.225)


class _Shortcut(nn.Module):
    """Option A: subsample by 2 and zero-pad the new channels (no parameters)."""

    def __init__(self, planes: int) -> None:
        super().__init__()
        self.pad = planes // 4

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut: nn.Module = (
            _Shortcut(planes) if stride != 1 or in_planes != planes else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 for 32 x 32 images: conv, three stages of three blocks (16, 32, 64), linear."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._stage(16, 16, 1)
        self.layer2 = self._stage(16, 32, 2)
        self.layer3 = self._stage(32, 64, 2)
        self.linear = nn.Linear(64, num_classes)

    @staticmethod
    def _stage(in_planes: int, planes: int, stride: int) -> nn.Sequential:
        return nn.Sequential(
            BasicBlock(in_planes, planes, stride),
            BasicBlock(planes, planes),
            BasicBlock(planes, planes),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


BUNDLED_WEIGHTS = Path(__file__).parents[1] / "data" / "bundled" / "weights"
BUNDLED_RESNET20 = BUNDLED_WEIGHTS / "resnet20_cifar10.safetensors"
CUTS = ("stem", "layer1", "layer2", "layer3")


def load_resnet20(path: str | Path = BUNDLED_RESNET20) -> ResNet20:
    """ResNet-20 with pretrained CIFAR-10 weights: the ones bundled with privattack (the
    default, safetensors), or a checkpoint such as ``resnet20-12fca82f.th`` (keys prefixed
    ``module.``, loaded with ``weights_only=True``)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        state = load_file(str(path))
    else:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint.get("state_dict", checkpoint)
    model = ResNet20()
    model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    return model.eval()


def resnet20(cut: str = "layer1", weights: str | Path = BUNDLED_RESNET20) -> ServedSplit:
    """The pretrained CIFAR-10 ResNet-20 split after ``cut`` ("stem", "layer1", "layer2",
    "layer3"): the client runs the stem and the blocks up to the cut (white-box), the server
    the rest and the classifier, so utility is the model's own accuracy on attack_test.

    Example:
        >>> defense = resnet20("layer2")
        >>> defense.release(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 32, 16, 16])
    """
    if cut not in CUTS:
        raise UnknownNameError("cut of ResNet-20", cut, CUTS)
    model = load_resnet20(weights)
    blocks = [
        nn.Sequential(model.conv1, model.bn1, nn.ReLU()),
        model.layer1,
        model.layer2,
        model.layer3,
    ]
    k = CUTS.index(cut) + 1
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), model.linear)
    client = NormalisedClient(nn.Sequential(*blocks[:k]), CIFAR_MEAN, CIFAR_STD)
    params = {"model": "ResNet20 (CIFAR-10)", "cut": cut, "weights": Path(weights).name}
    return ServedSplit(client, nn.Sequential(*blocks[k:], head), params)
