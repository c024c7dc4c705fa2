"""The report's manifest: what ran where (versions, device, capabilities) and how long each
phase took."""

from __future__ import annotations

import platform
from typing import Any

import torch

from privattack.protocol import Capabilities
from privattack.run import RunContext
from privattack.version import __version__


def manifest(context: RunContext, caps: Capabilities, cache: str) -> dict[str, Any]:
    """Versions, device and the CPU's vector code path (float results depend on it), the
    defense's capabilities, seconds per phase, the fit cache's use."""
    return {
        "privattack": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": context.device,
        "cpu": torch.backends.cpu.get_cpu_capability(),
        "capabilities": caps.names(),
        "seconds": context.seconds,
        "cache": cache,
    }
