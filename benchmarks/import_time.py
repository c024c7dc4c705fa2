"""How long privattack takes to import, against ``import torch`` alone, each in a fresh
interpreter (median of ``--repeats``), and which heavy libraries each one loads.

Usage: python benchmarks/import_time.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("torch", "optuna", "sqlalchemy", "matplotlib", "torchvision", "timm", "kornia", "piq")
COMMANDS = {
    "import torch": [sys.executable, "-c", "import torch"],
    "import privattack": [sys.executable, "-c", "import privattack"],
    "import privattack; privattack.Report": [
        sys.executable,
        "-c",
        "import privattack; privattack.Report",
    ],
    "privattack --help": [str(Path(sys.executable).with_name("privattack")), "--help"],
}


def seconds(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of ``command`` as a whole process, after one warm-up."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_loaded(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded = {m.split(".")[0] for m in json.loads(result.stdout.splitlines()[-1])}
    return sorted(loaded & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {platform.processor() or platform.machine()}, "
        f"median of {args.repeats} fresh processes"
    )
    baseline = seconds(COMMANDS["import torch"], args.repeats)
    print(f"{'command':<40} {'seconds':>8} {'/ torch':>8}  heavy libraries loaded")
    for name, command in COMMANDS.items():
        value = baseline if name == "import torch" else seconds(command, args.repeats)
        code = command[-1] if command[0] == sys.executable else "import privattack.cli"
        print(f"{name:<40} {value:8.3f} {value / baseline:8.2f}  {', '.join(heavy_loaded(code))}")


if __name__ == "__main__":
    main()
