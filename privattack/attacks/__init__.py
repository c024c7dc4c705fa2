"""Attacks on released activations, and their registry (``attacks.get(name, **params)``)."""

from privattack.attacks.base import (
    Attack,
    AttackData,
    AttackResult,
    hyperparameters,
)
from privattack.registry import attacks

__all__ = ["Attack", "AttackData", "AttackResult", "attacks", "hyperparameters"]
