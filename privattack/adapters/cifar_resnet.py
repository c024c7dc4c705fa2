"""The CIFAR-10 ResNet-20 of He et al. 2016 (option-A shortcuts), matching the keys of the
public checkpoint by Yerlan Idelbayev (BSD-2-Clause), so privattack can wrap a real pretrained
third-party model without any download."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

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


def load_resnet20(path: str | Path) -> ResNet20:
    """ResNet-20 with the weights of ``resnet20-12fca82f.th`` (keys prefixed ``module.``)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    state = checkpoint.get("state_dict", checkpoint)
    model = ResNet20()
    model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    return model.eval()
