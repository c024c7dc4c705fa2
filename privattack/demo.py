"""The demo: how much two real models leak, on the data bundled with privattack, in minutes.

1. A pretrained CIFAR-10 ResNet-20 (bundled), split after two depths: its own accuracy on
   CIFAR-10 test images it never saw, and how well each attack reconstructs them.
2. On faces: the undefended split against DISCO, each trained for gender at a demo budget.

Every report (JSON, HTML with the reconstructions) is written under ``--out``.

Usage: python -m privattack.demo [--out runs/demo]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from privattack.adapters import resnet20
from privattack.evaluation import evaluate
from privattack.protocol import Defense
from privattack.registry import defenses
from privattack.report import Report

DISCO = {"ratio": 0.8, "decoupler": False}  # the decoupler needs more than a demo's budget


def runs() -> list[tuple[str, str, Defense | str, str]]:
    """(folder, label, defense, suite) of each evaluation, in order."""
    pretrained = [
        (f"resnet20-{cut}", f"ResNet-20 (CIFAR-10), cut after {cut}", resnet20(cut), "demo_cifar10")
        for cut in ("layer1", "layer2")
    ]
    return [
        *pretrained,
        ("faces-split", "faces: undefended split", "split", "demo_faces"),
        ("faces-disco", "faces: DISCO, R = 0.8", defenses.get("disco", **DISCO), "demo_faces"),
    ]


def row(label: str, report: Report, folder: Path) -> str:
    """One line of the closing table: utility, the worst case of pixels and of identity."""
    cells = []
    for worst in (report.worst_case, report.worst_identity):
        cells.append(
            "nothing learned"
            if worst is None
            else f"{worst.metric} {worst.value:.2f} ({worst.attack})"
        )
    utility = f"{report.utility.mean:.1%} (chance {report.null['task_accuracy']:.1%})"
    return f"{label:<38} {utility:<22} {cells[0]:<24} {cells[1]:<26} {folder / 'report.html'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/demo", help="where the reports go")
    args = parser.parse_args()
    start, lines = time.perf_counter(), []
    for folder, label, defense, suite in runs():
        out = Path(args.out) / folder
        report = evaluate(defense, suite, scale="quick", out=out, cache=False)
        lines.append(row(label, report, out))
    head = f"{'model':<38} {'utility':<22} {'worst case: pixels':<24} {'identity':<26} report"
    print(f"\n{head}")
    print("\n".join(lines))
    print(
        f"\n{time.perf_counter() - start:.0f} s. Open the report.html files above: each shows "
        "the private test images, every attack's reconstructions of them and the numbers."
    )


if __name__ == "__main__":
    main()
