"""Attacks on released activations, and their registry.

``privattack.attacks.get("decoder", lr=3e-3)`` builds one; ``names()`` lists them;
``@privattack.attacks.register("mine")`` adds one (third-party packages use the entry-point
group ``privattack.attacks``). Every attack receives ``AttackInputs`` and returns
``Reconstructions`` (input suites) or ``Predictions`` (attribute suites).
"""

from privattack.attacks.base import (
    Attack,
    AttackBudget,
    AttackInputs,
    AttackResult,
    Predictions,
    Reconstructions,
    hyperparameters,
)
from privattack.registry import attacks as _registry

register = _registry.register
get = _registry.get
names = _registry.names

__all__ = [
    "Attack",
    "AttackBudget",
    "AttackInputs",
    "AttackResult",
    "Predictions",
    "Reconstructions",
    "get",
    "hyperparameters",
    "names",
    "register",
]
