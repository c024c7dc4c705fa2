"""The ``privattack`` command: suites, data, evaluate, tune, export, gate and diff."""

from __future__ import annotations

import argparse
import ast
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from privattack.errors import PrivattackError


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
    from privattack.evaluation import evaluate, evaluate_activations
    from privattack.registry import defenses

    tuning = {
        "device": args.device,
        "attacks": args.attack or None,
        "trials": args.trials,
        "repeats": args.repeats,
        "storage": _storage(args),
        "study": args.study,
        "prune": not args.no_prune,
        "out": args.out,
        "progress": not args.quiet,
    }
    if args.activations:
        fixed = ("defense", "suite", "defense_param", "scale", "seed", "refit")
        given = [
            f"--{k.replace('_', '-')}" for k in fixed if getattr(args, k) not in (None, [], False)
        ]
        if given:
            raise PrivattackError(
                f"--activations fixes the defense and suite; drop {', '.join(given)}."
            )
        report = evaluate_activations(args.activations, data_root=args.data_root, **tuning)
    else:
        if not (args.defense and args.suite):
            raise PrivattackError("evaluate needs --defense and --suite (or --activations DIR).")
        report = evaluate(
            defenses.get(args.defense, **dict(args.defense_param)),
            args.suite,
            **_where(args),
            cache=not args.no_cache,
            refit=args.refit,
            **tuning,
        )
    print(report.summary())
    if args.out:
        print(f"wrote {args.out}/report.json")
    return 0


def _where(args: argparse.Namespace) -> dict[str, Any]:
    """The scale, data root and seed given on the command line (the API's defaults otherwise)."""
    given = {"scale": args.scale, "data_root": args.data_root, "seed": args.seed}
    return {k: v for k, v in given.items() if v is not None}


def _storage(args: argparse.Namespace) -> Any:
    """``--storage``, as a URL or, with ``--storage-class JournalFileBackend``, Optuna's
    journal file storage (the same two options as Optuna's own command line)."""
    if args.storage is None or args.storage_class is None:
        return args.storage
    from privattack.tuning import journal_storage

    return journal_storage(args.storage)


def _export(args: argparse.Namespace) -> int:
    from privattack.activations import export
    from privattack.registry import defenses

    manifest = export(
        defenses.get(args.defense, **dict(args.defense_param)),
        args.suite,
        args.out,
        **_where(args),
        device=args.device,
        images=args.images,
        progress=not args.quiet,
        cache=not args.no_cache,
    )
    print(f"wrote {manifest.parent} (manifest {manifest.name})")
    return 0


def _tune(args: argparse.Namespace) -> int:
    from privattack import validate
    from privattack.attacks.base import build_order, inherited
    from privattack.prepare import prepare
    from privattack.registry import attacks as attack_registry
    from privattack.registry import defenses
    from privattack.run import RunContext
    from privattack.suites import load
    from privattack.tuning import (
        check_stored_studies,
        default_sampler,
        study_setup,
        tune,
        worker_seed,
    )
    from privattack.validate import run_arguments

    where = _where(args)
    suite = load(args.suite)
    attacks = args.attack or list(suite.attacks)
    storage = _storage(args)
    run_arguments("privattack tune", **where, device=args.device, attacks=attacks)
    attacks = build_order(attacks)
    validate.integer(args.trials, "--trials", "privattack tune", optional=True)
    seed = where.get("seed", 0)

    def check(info: dict[str, Any], fingerprints: dict[str, str]) -> None:
        train = fingerprints["attack_train"]
        setups = {
            a: study_setup(suite, where.get("scale", "quick"), seed, info, train, a)
            for a in attacks
        }
        check_stored_studies(storage, args.study, setups)

    prepared = prepare(
        defenses.get(args.defense, **dict(args.defense_param)),
        suite,
        **where,
        device=args.device,
        progress=not args.quiet,
        cache=not args.no_cache,
        before_fit=check,
    )
    context = RunContext(prepared.seed, args.device, not args.quiet)
    trials = prepared.budget.trials if args.trials is None else args.trials
    rows = [["attack", "trials", "pruned", "best (validation)", "default", "best parameters"]]
    best: dict[str, dict[str, Any]] = {}  # what an attack built on another inherits from it
    for attack in attacks:
        tuned = tune(
            prepared,
            attack,
            context,
            trials=trials,
            storage=storage,
            study=args.study,
            sampler=default_sampler(worker_seed(prepared.seed), trials),
            prune=not args.no_prune,
            fixed=inherited(attack_registry.factory(attack), best),
        )
        best[attack] = tuned.best_params
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
    from pathlib import Path

    from privattack.files import write_atomic
    from privattack.gates import junit_xml, load_gates, run_gates
    from privattack.validate import writable_folder

    path = args.file or (
        "privattack.toml" if Path("privattack.toml").is_file() else "pyproject.toml"
    )
    sys.path.insert(0, str(Path.cwd()))  # so `module:factory` finds the user's code
    out = writable_folder(args.out, "--out", "privattack gate")
    try:
        gates = load_gates(path)
    except PrivattackError as error:  # CI still gets its junit.xml, with the error in it
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "junit.xml", junit_xml([], {str(path): str(error)}, 0.0).encode())
        raise
    run = run_gates(gates, out, args.data_root, progress=not args.quiet)
    for gate, first in run.shared.items():
        print(f"gate {gate}: the same evaluation as gate {first}, not rerun")
    rows = [["gate", "threshold", "verdict"]]
    rows += [[v.gate, v.threshold, v.describe()] for v in run.verdicts]
    rows += [[gate, "-", f"ERROR: {message}"] for gate, message in run.errors.items()]
    print(_table(rows))
    unjudged = sum(v.error is not None for v in run.verdicts)
    failed = sum(not v.passed for v in run.verdicts) - unjudged
    passed = len(run.verdicts) - failed - unjudged
    print(
        f"{passed} passed, {failed} failed, {len(run.errors) + unjudged} could not run or be "
        f"judged (reports and junit.xml in {out})"
    )
    if run.errors or unjudged:
        return 2
    return 1 if failed else 0


def _diff(args: argparse.Namespace) -> int:
    from privattack.diff import diff
    from privattack.report import Report

    lines, regressed = diff(
        Report.load(args.old), Report.load(args.new), allow_different=args.allow_different
    )
    print(f"old: {args.old}\nnew: {args.new}")
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
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor keep the fitted defense"
    )


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
        help="keep studies here: sqlite:///FILE.db or postgresql://USER@HOST/DB (a URL), or "
        "a journal file with --storage-class JournalFileBackend",
    )
    parser.add_argument(
        "--storage-class",
        choices=["JournalFileBackend"],
        help="read --storage as the path of an Optuna journal file",
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
    parser = argparse.ArgumentParser(
        prog="privattack",
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    ev.add_argument(
        "--repeats",
        type=int,
        help="train each attack with this many seeds; intervals then cover them too "
        "(default: the suite scale's, usually 1)",
    )
    ev.add_argument(
        "--refit",
        action="store_true",
        help="with repeats, fit the defense anew for each repeat; intervals then cover its "
        "training too",
    )
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
    compare.add_argument("old", help="the earlier report.json (or its folder)")
    compare.add_argument("new", help="the later report.json (or its folder)")
    compare.add_argument(
        "--allow-different",
        action="store_true",
        help="compare reports of different suites, scales or data (refused otherwise)",
    )
    compare.set_defaults(run=_diff)
    return parser


EXIT_CODES = """exit status: 0 success; 1 a gate failed or diff found a regression; 2 an error in
the input or configuration (the message says what and what to do); 3 an internal error (a bug
in privattack: the traceback, to report)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (``EXIT_CODES``)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except PrivattackError as error:
        print(f"privattack: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("privattack: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            "privattack: internal error: this is a bug in privattack, not in your input. "
            "Please report it to privattack's maintainers with the traceback above and the "
            "command that ran.",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
