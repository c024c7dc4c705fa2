"""The run context: one seed, one device, progress on or off, and a timer per phase.

Everything that trains or samples derives its own seed from the run's (``context.seed_for``),
so adding a phase or an attack never shifts another's randomness.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def derive_seed(seed: int, phase: str) -> int:
    """A 32-bit seed for ``phase`` of a run seeded with ``seed`` (a keyed hash of both)."""
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:{phase}".encode(), digest_size=4).digest(), "little"
    )


@dataclass
class RunContext:
    """What every phase of one evaluation shares: the seed, the device, progress and timings."""

    seed: int = 0
    device: str = "cpu"
    progress: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def seed_for(self, phase: str) -> int:
        """The seed of ``phase`` ("fit", "release", "attack:decoder", ...)."""
        return derive_seed(self.seed, phase)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as phase ``name`` (wall-clock seconds, for the report's manifest)."""
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
