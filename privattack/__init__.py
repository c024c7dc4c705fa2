"""privattack: how much does a split-inference model's released activation leak?

>>> import privattack
>>> report = privattack.evaluate("split", suite="fairface_input", scale="smoke")  # doctest: +SKIP
>>> report.leakage["decoder"].ssim, report.utility, report.worst_case               # doctest: +SKIP
"""

from privattack import metrics
from privattack.activations import export as export
from privattack.activations import load_activations as load_activations
from privattack.errors import (
    CapabilityError,
    DataError,
    DataNotFoundError,
    DefenseError,
    NonFiniteError,
    PrivattackError,
    ShapeError,
    SuiteError,
    TuningError,
    UnknownNameError,
)
from privattack.evaluate import evaluate as evaluate
from privattack.protocol import Capabilities, Defense, LabelledImages, Task, TrainingBudget
from privattack.protocol import capabilities as capabilities
from privattack.report import Leakage, Report
from privattack.sweep import sweep as sweep

__version__ = "0.1.0"

from privattack import adapters, defenses, suites

__all__ = [
    "Capabilities",
    "CapabilityError",
    "DataError",
    "DataNotFoundError",
    "Defense",
    "DefenseError",
    "LabelledImages",
    "Leakage",
    "NonFiniteError",
    "PrivattackError",
    "Report",
    "ShapeError",
    "SuiteError",
    "Task",
    "TrainingBudget",
    "TuningError",
    "UnknownNameError",
    "__version__",
    "adapters",
    "capabilities",
    "defenses",
    "evaluate",
    "export",
    "load_activations",
    "metrics",
    "suites",
    "sweep",
]
