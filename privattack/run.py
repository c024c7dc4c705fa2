"""The run context: one seed, one device, progress on or off, and a timer per phase.

Everything that trains or samples derives its own seed from the run's (``context.seed_for``),
so adding a phase or an attack never shifts another's randomness.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def derive_seed(seed: int, phase: str) -> int:
    """A 32-bit seed for ``phase`` of a run seeded with ``seed`` (a keyed hash of both)."""
    return int.from_bytes(
        hashlib.blake2b(f"{seed}:{phase}".encode(), digest_size=4).digest(), "little"
    )


def rough(seconds: float) -> str:
    """``seconds`` as a person says it: "a few seconds", "about 40 s", "about 3 minutes"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 90:
        return f"about {round(seconds, -1):.0f} s"
    if seconds < 5400:
        return f"about {round(seconds / 60):.0f} minutes"
    return f"about {seconds / 3600:.1f} hours"


@dataclass
class RunContext:
    """What every phase of one evaluation shares: the seed, the device, progress and timings.

    With ``progress`` on, each phase of the ``plan`` (phase -> estimated seconds) prints one
    line to stderr as it starts: "[k/n] phase (about ..., about ... left)". The training loops'
    bars show in a terminal only; a log gets these lines alone.
    """

    seed: int = 0
    device: str = "cpu"
    progress: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    plan: dict[str, float] = field(default_factory=dict)

    def seed_for(self, phase: str) -> int:
        """The seed of ``phase`` ("fit", "release", "attack:decoder", ...)."""
        return derive_seed(self.seed, phase)

    def say(self, line: str) -> None:
        """Print ``line`` to stderr when progress is on."""
        if self.progress:
            print(line, file=sys.stderr, flush=True)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as phase ``name`` (wall-clock seconds, for the report's manifest;
        a phase entered again adds up)."""
        if name in self.plan:
            names = list(self.plan)
            k = names.index(name)
            left = sum(self.plan[n] for n in names[k:])
            self.say(
                f"[{k + 1}/{len(names)}] {name.replace(':', ' ')} ({rough(self.plan[name])}; "
                f"{rough(left)} left)"
            )
        start = time.perf_counter()
        yield
        self.seconds[name] = round(self.seconds.get(name, 0) + time.perf_counter() - start, 3)
