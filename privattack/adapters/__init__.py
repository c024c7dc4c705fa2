"""Adapters: evaluate any model as a Defense.

- ``adapters.torchvision(model, node="layer2")``: split a torchvision model at a graph node.
- ``adapters.timm(model_or_name, index=k)``: split a timm model after a feature stage.
- ``adapters.module(model)``: any ``nn.Module`` or callable mapping images to activations.
- ``adapters.blackbox(fn)``: a model that can only be queried (supervised attacks only).
- ``adapters.resnet20(cut="layer1")``: the pretrained CIFAR-10 ResNet-20 bundled with
  privattack, split after a block, its server half included.

Images arrive in [0, 1]; the torchvision and timm adapters apply the model's normalisation.
"""

from ._module import ModuleDefense, blackbox, module
from ._split import ServedSplit, SplitPretrained
from ._split import timm_model as timm
from ._split import torchvision_model as torchvision
from .cifar_resnet import ResNet20, load_resnet20, resnet20

__all__ = [
    "ModuleDefense",
    "ResNet20",
    "ServedSplit",
    "SplitPretrained",
    "blackbox",
    "load_resnet20",
    "module",
    "resnet20",
    "timm",
    "torchvision",
]
