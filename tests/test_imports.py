"""Import weight and the public surface: ``import privattack`` loads none of the heavy
libraries, the pytest plugin registers its fixture without the evaluation machinery, and
every public name resolves."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import privattack

HEAVY = ("torch", "optuna", "sqlalchemy", "matplotlib", "torchvision", "timm", "kornia", "piq")


def _loaded_after(code: str) -> set[str]:
    """Top-level packages imported by running ``code`` in a fresh interpreter."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"{code}\nimport sys, json\n{listing}"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_import_privattack_loads_no_heavy_library() -> None:
    assert not set(HEAVY) & _loaded_after("import privattack")


def test_the_report_loads_torch_but_not_the_evaluation_machinery() -> None:
    loaded = _loaded_after("import privattack\nprivattack.Report")
    assert "torch" in loaded
    assert not {"optuna", "sqlalchemy", "matplotlib", "torchvision", "timm"} & loaded


def test_the_pytest_plugin_registers_without_the_machinery() -> None:
    code = "import privattack.pytest_plugin, sys\nassert 'privattack.evaluation' not in sys.modules"
    assert not {"optuna", "torch", "torchvision"} & _loaded_after(code)


@pytest.mark.parametrize("name", privattack.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(privattack, name) is not None


def test_evaluate_stays_a_function_once_its_module_is_imported() -> None:
    import privattack.evaluation  # the module beside the function of that name

    assert callable(privattack.evaluate) and callable(privattack.sweep)
