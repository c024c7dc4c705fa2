"""privattack: how much does a split-inference model's released activation leak?

>>> import privattack
>>> report = privattack.evaluate("split", suite="fairface_input", scale="smoke")  # doctest: +SKIP
>>> report.leakage["decoder"].ssim, report.utility, report.worst_case               # doctest: +SKIP

``import privattack`` loads only the error classes and the version; every other name below
loads on first use (torch with the first of them; Optuna, torchvision, the data readers and the
built-in defenses only when an evaluation needs them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from privattack.errors import (
    ArgumentError,
    CapabilityError,
    ConfigError,
    DataError,
    DataNotFoundError,
    DefenseError,
    GateFileError,
    NonFiniteError,
    PrivattackError,
    ShapeError,
    SuiteError,
    TuningError,
    UnknownNameError,
)
from privattack.version import __version__

if TYPE_CHECKING:
    from privattack import adapters, attacks, defenses, metrics, suites, testing
    from privattack.activations import export, load_activations
    from privattack.curves import sweep
    from privattack.evaluation import evaluate, evaluate_activations
    from privattack.metrics import Estimate
    from privattack.protocol import (
        Capabilities,
        Defense,
        LabelledImages,
        Task,
        TrainingBudget,
        capabilities,
    )
    from privattack.report import Leakage, Report, WorstCase
    from privattack.thresholds import Threshold, Verdict

# name -> the module it comes from (a subpackage when the two are the same)
_LAZY = {
    "Capabilities": "privattack.protocol",
    "Defense": "privattack.protocol",
    "LabelledImages": "privattack.protocol",
    "Task": "privattack.protocol",
    "TrainingBudget": "privattack.protocol",
    "capabilities": "privattack.protocol",
    "Estimate": "privattack.metrics",
    "Leakage": "privattack.report",
    "Report": "privattack.report",
    "WorstCase": "privattack.report",
    "Threshold": "privattack.thresholds",
    "Verdict": "privattack.thresholds",
    "evaluate": "privattack.evaluation",
    "evaluate_activations": "privattack.evaluation",
    "export": "privattack.activations",
    "load_activations": "privattack.activations",
    "sweep": "privattack.curves",
    "adapters": "privattack.adapters",
    "attacks": "privattack.attacks",
    "defenses": "privattack.defenses",
    "metrics": "privattack.metrics",
    "suites": "privattack.suites",
    "testing": "privattack.testing",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'privattack' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"privattack.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ArgumentError",
    "Capabilities",
    "CapabilityError",
    "ConfigError",
    "DataError",
    "DataNotFoundError",
    "Defense",
    "DefenseError",
    "Estimate",
    "GateFileError",
    "LabelledImages",
    "Leakage",
    "NonFiniteError",
    "PrivattackError",
    "Report",
    "ShapeError",
    "SuiteError",
    "Task",
    "Threshold",
    "TrainingBudget",
    "TuningError",
    "UnknownNameError",
    "Verdict",
    "WorstCase",
    "__version__",
    "adapters",
    "attacks",
    "capabilities",
    "defenses",
    "evaluate",
    "evaluate_activations",
    "export",
    "load_activations",
    "metrics",
    "suites",
    "sweep",
    "testing",
]
