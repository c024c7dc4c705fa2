"""The ``privattack`` command: suites, data, evaluate, tune, export, gate and diff."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from privattack.errors import PrivattackError

if TYPE_CHECKING:
    from privattack.report import Report


def _parse_param(text: str) -> tuple[str, object]:
    """``key=value`` with value read as a Python literal when it is one (0.9, true, 'x')."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}.")
    key, raw = text.split("=", 1)
    lowered = {"true": True, "false": False, "none": None}
    if raw.lower() in lowered:
        return key, lowered[raw.lower()]
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return key, raw


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _suites(args: argparse.Namespace) -> int:
    from privattack import suites
    from privattack.data import open_dataset

    rows = [["suite", "data set", "size", "task", "sensitive", "data"]]
    for name in suites.names():
        suite = suites.load(name)
        try:
            found = open_dataset(suite.data.dataset, args.data_root)
            where = f"available ({found.layout}, {len(found)} images, {found.origin})"
        except PrivattackError:
            where = "missing (see `privattack data`)"
        rows.append(
            [
                name,
                suite.data.dataset,
                str(suite.data.image_size),
                suite.data.task,
                suite.data.sensitive,
                where,
            ]
        )
    print(_table(rows))
    return 0


def _data(args: argparse.Namespace) -> int:
    from privattack.data import data_root, open_dataset
    from privattack.data.sources import READERS

    root = data_root(args.root)
    print(f"data root: {root if root is not None else 'none (bundled data only)'}")
    for name in READERS:
        try:
            found = open_dataset(name, args.root)
        except PrivattackError as error:
            print(f"\n{name}: not found\n  {error}")
            continue
        print(f"\n{name}: {len(found)} images, layout {found.layout}, from {found.origin}")
        for label, values in found.labels.items():
            names = found.label_names.get(label)
            detail = f"{len(names)} classes" if names else f"values {values.min()}..{values.max()}"
            print(f"  {label}: {detail}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from privattack import defenses, evaluate, load_activations

    if args.activations:
        fixed = ("defense", "suite", "defense_param", "scale", "seed")
        given = [f"--{k.replace('_', '-')}" for k in fixed if getattr(args, k) not in (None, [])]
        if given:
            raise PrivattackError(
                f"--activations fixes the defense and suite; drop {', '.join(given)}."
            )
        target = load_activations(args.activations, data_root=args.data_root)
        where: dict[str, object] = {}
    else:
        if not (args.defense and args.suite):
            raise PrivattackError("evaluate needs --defense and --suite (or --activations DIR).")
        target = defenses.get(args.defense, **dict(args.defense_param))
        where = {
            "suite": args.suite,
            "scale": args.scale,
            "data_root": args.data_root,
            "seed": args.seed,
        }
    report = evaluate(
        target,
        **where,
        device=args.device,
        attacks=args.attack or None,
        trials=args.trials,
        storage=args.storage,
        study=args.study,
        prune=not args.no_prune,
        out=args.out,
        progress=not args.quiet,
    )
    print(report.summary())
    if args.out:
        print(f"wrote {args.out}/report.json")
    return 0


def _export(args: argparse.Namespace) -> int:
    from privattack import defenses, export

    manifest = export(
        defenses.get(args.defense, **dict(args.defense_param)),
        args.suite,
        args.out,
        scale=args.scale or "quick",
        data_root=args.data_root,
        seed=args.seed or 0,
        device=args.device,
        images=args.images,
        progress=not args.quiet,
    )
    print(f"wrote {manifest.parent} (manifest {manifest.name})")
    return 0


def _tune(args: argparse.Namespace) -> int:
    from privattack import defenses
    from privattack.evaluate import tune
    from privattack.prepare import prepare
    from privattack.tuning import worker_seed

    seed = args.seed or 0
    prepared = prepare(
        defenses.get(args.defense, **dict(args.defense_param)),
        args.suite,
        scale=args.scale or "quick",
        data_root=args.data_root,
        seed=seed,
        device=args.device,
        progress=not args.quiet,
    )
    trials = prepared.budget.trials if args.trials is None else args.trials
    rows = [["attack", "trials", "pruned", "best (validation)", "default", "best parameters"]]
    for attack in args.attack or list(prepared.suite.attacks):
        tuned = tune(
            prepared,
            attack,
            trials=trials,
            storage=args.storage,
            study=args.study,
            prune=not args.no_prune,
            sampler_seed=worker_seed(seed),
            device=args.device,
            progress=not args.quiet,
        )
        default = tuned.default_validation
        rows.append(
            [
                attack,
                str(tuned.trials),
                str(tuned.pruned),
                f"{tuned.metric} {tuned.best_validation:.3f}",
                "-" if default is None else f"{default:.3f}",
                str(tuned.best_params),
            ]
        )
    print(_table(rows))
    print(
        f"study {args.study!r}: score the best with `privattack evaluate ... --trials 0 "
        "--storage URL --study NAME`"
    )
    return 0


def _gate(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from privattack import evaluate
    from privattack.gates import check, describe, junit_xml, load_gates
    from privattack.report import write_atomic

    path = args.file or (
        "privattack.toml" if Path("privattack.toml").is_file() else "pyproject.toml"
    )
    sys.path.insert(0, str(Path.cwd()))  # so `module:factory` finds the user's code
    gates, out = load_gates(path), Path(args.out)
    verdicts, start = [], time.perf_counter()
    reports: dict[tuple[Any, ...], tuple[str, Report]] = {}  # evaluation -> (first gate, report)
    for gate in gates:
        if gate.evaluation in reports:
            first, report = reports[gate.evaluation]
            print(f"gate {gate.name}: the same evaluation as gate {first}, not rerun")
        else:
            report = evaluate(
                gate.build_defense(),
                gate.suite,
                scale=gate.scale,
                seed=gate.seed,
                trials=gate.trials,
                data_root=args.data_root,
                progress=not args.quiet,
            )
            reports[gate.evaluation] = (gate.name, report)
        checked = check(report, gate.thresholds, gate.name)
        report.save(out / gate.name, verdicts=checked)
        verdicts += checked
    rows = [["gate", "threshold", "verdict"]]
    rows += [[v.gate, v.threshold, describe(v)] for v in verdicts]
    print(_table(rows))
    write_atomic(out / "junit.xml", junit_xml(verdicts, time.perf_counter() - start).encode())
    failed = sum(not v.passed for v in verdicts)
    print(f"{len(verdicts) - failed} passed, {failed} failed (reports and junit.xml in {out})")
    return 1 if failed else 0


def _diff(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from privattack.gates import diff

    documents = []
    for path in (args.old, args.new):
        try:
            documents.append(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as error:
            raise PrivattackError(f"{path}: not a readable report.json ({error}).") from error
    lines, regressed = diff(*documents)
    print("\n".join(lines))
    return 1 if regressed else 0


def _defense_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """What to prepare: the defense, the suite, its scale, the data and the seed."""
    parser.add_argument("--defense", required=required, help="a registered defense, e.g. split")
    parser.add_argument(
        "--defense-param",
        action="append",
        type=_parse_param,
        default=[],
        metavar="KEY=VALUE",
        help="a constructor parameter of the defense",
    )
    parser.add_argument("--suite", required=required, help="a suite name or a .toml file")
    parser.add_argument(
        "--scale", choices=["smoke", "quick", "paper"], help="the suite's scale (default quick)"
    )
    parser.add_argument("--data-root", help="folder with cifar10/, celeba/, ...")
    parser.add_argument("--seed", type=int, help="feeds every random choice (default 0)")
    parser.add_argument("--device", default="cpu")


def _tuning_arguments(parser: argparse.ArgumentParser, storage_required: bool) -> None:
    parser.add_argument(
        "--trials",
        type=int,
        help="tuning trials per attack (default: the suite scale's; 0: default parameters, "
        "or the stored study's best with --storage)",
    )
    parser.add_argument(
        "--storage",
        required=storage_required,
        help="keep studies here: sqlite:///FILE.db, journal:FILE or postgresql://USER@HOST/DB",
    )
    parser.add_argument(
        "--study",
        required=storage_required,
        help="study name in the storage (one study per attack: NAME.ATTACK)",
    )
    parser.add_argument(
        "--no-prune", action="store_true", help="run every trial to the end (no median pruner)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``privattack`` command."""
    parser = argparse.ArgumentParser(prog="privattack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    suites = sub.add_parser("suites", help="list the suites and whether their data is there")
    suites.add_argument(
        "--data-root",
        help="folder with cifar10/, celeba/, ... "
        "(default: $PRIVATTACK_DATA, else the bundled data)",
    )
    suites.set_defaults(run=_suites)

    data = sub.add_parser("data", help="show what each data set reader finds")
    data.add_argument("--root", help="data root (default: $PRIVATTACK_DATA, else bundled)")
    data.set_defaults(run=_data)

    ev = sub.add_parser("evaluate", help="attack a defense on a suite and report leakage")
    _defense_arguments(ev, required=False)
    ev.add_argument(
        "--activations",
        metavar="DIR",
        help="attack an exported activation benchmark instead of a defense",
    )
    ev.add_argument("--attack", action="append", help="run only this attack (repeatable)")
    ev.add_argument("--out", help="folder for report.json and reconstructions.png")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")
    _tuning_arguments(ev, storage_required=False)
    ev.set_defaults(run=_evaluate)

    tu = sub.add_parser("tune", help="add trials to a stored tuning study (start one per worker)")
    _defense_arguments(tu)
    tu.add_argument("--attack", action="append", help="tune only this attack (repeatable)")
    tu.add_argument("--quiet", action="store_true", help="no progress bars")
    _tuning_arguments(tu, storage_required=True)
    tu.set_defaults(run=_tune)

    ex = sub.add_parser("export", help="write released activations as a benchmark folder")
    _defense_arguments(ex)
    ex.add_argument("--out", required=True, help="the benchmark folder to write")
    ex.add_argument("--images", action="store_true", help="store the images too (uint8)")
    ex.add_argument("--quiet", action="store_true", help="no progress bars")
    ex.set_defaults(run=_export)

    gate = sub.add_parser("gate", help="run the gates of a file; exit 1 when one fails")
    gate.add_argument("file", nargs="?", help="privattack.toml (default) or pyproject.toml")
    gate.add_argument("--out", default="privattack-gates", help="reports and junit.xml")
    gate.add_argument("--data-root", help="folder with cifar10/, celeba/, ...")
    gate.add_argument("--quiet", action="store_true", help="no progress bars")
    gate.set_defaults(run=_gate)

    compare = sub.add_parser("diff", help="compare two report.json files; exit 1 on regression")
    compare.add_argument("old")
    compare.add_argument("new")
    compare.set_defaults(run=_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; errors privattack raises on purpose exit 2 with their message."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except PrivattackError as error:
        print(f"privattack: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
