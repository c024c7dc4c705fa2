"""Adapters: evaluate any model as a Defense.

- ``adapters.torchvision(model, node="layer2")``: split a torchvision model at a graph node.
- ``adapters.timm(model_or_name, index=k)``: split a timm model after a feature stage.
- ``adapters.module(model)``: any ``nn.Module`` or callable mapping images to activations.
- ``adapters.blackbox(fn)``: a model that can only be queried (supervised attacks only).

Images arrive in [0, 1]; the torchvision and timm adapters apply the model's normalisation.
"""

from ._module import ModuleDefense, blackbox, module
from ._split import SplitPretrained
from ._split import timm_model as timm
from ._split import torchvision_model as torchvision
from .cifar_resnet import ResNet20, load_resnet20

__all__ = [
    "ModuleDefense",
    "ResNet20",
    "SplitPretrained",
    "blackbox",
    "load_resnet20",
    "module",
    "timm",
    "torchvision",
]
