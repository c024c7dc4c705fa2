"""Defenses (the undefended split, DISCO and its baselines) and their registry.

``privattack.defenses.get("split", cut="layer2")`` builds one; ``names()`` lists them;
``@privattack.defenses.register("mine")`` adds one (third-party packages use the entry-point
group ``privattack.defenses``).
"""

from privattack.registry import defenses as _registry

register = _registry.register
get = _registry.get
names = _registry.names

__all__ = ["get", "names", "register"]
