"""Attacks configured by a dataclass of hyper-parameters (what tuning searches)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from privattack.errors import UnknownNameError


class Configured:
    """Base for attacks: ``Attack(lr=1e-3)`` builds ``Attack.Config`` and rejects unknown knobs."""

    Config: ClassVar[type]
    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        known = [f.name for f in dataclasses.fields(self.Config)]
        for key in params:
            if key not in known:
                raise UnknownNameError(f"hyper-parameter of attack {self.name!r}", key, known)
        self.config = self.Config(**params)

    def params(self) -> dict[str, Any]:
        """The hyper-parameters in force, for the report."""
        return dataclasses.asdict(self.config)
