"""Adapters: evaluate any model as a Defense.

``adapters.module(model)`` wraps an ``nn.Module`` or callable mapping images in [0, 1] to the
activation it sends; ``adapters.blackbox(fn)`` a model that can only be queried.
"""

from ._module import ModuleDefense, blackbox, module

__all__ = ["ModuleDefense", "blackbox", "module"]
