"""Activation benchmarks: released activations on disk, attacked without the defense's code.

``export`` writes what ``prepare`` computed: safetensors shards per attack split (z, labels,
optionally the images as uint8), the client's weights when the defense has a client, and a
JSON manifest with the setup (the suite's resolved content included) and the SHA-256 of every
file. The folder is written whole (a temporary sibling moved into place), so an existing
benchmark stays readable until its replacement is complete. ``load_activations`` checks all of
it and gives back what ``evaluate_activations`` attacks, so export-then-evaluate reproduces the
live numbers. Nothing here unpickles: safetensors and JSON only, and no file it names may lie
outside the benchmark's folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_file, save_model
from torch import Tensor, nn

from privattack.config import Source
from privattack.data import Split, fingerprint, open_dataset
from privattack.data.splits import SPLIT_NAMES
from privattack.errors import DataError, NonFiniteError, SuiteError
from privattack.files import contained, replace_folder, sha256_of
from privattack.prepare import Prepared, prepare, target_of
from privattack.protocol import Capabilities, Defense, Task, TileLayout
from privattack.registry import defenses
from privattack.release import Released, in_memory_format, memory_format_of
from privattack.suites import Suite, parse_content
from privattack.validate import run_arguments, writable_folder

FORMAT = "privattack-activations"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
CLIENT_FILE = "client.safetensors"
SHARD_SIZE = 1024  # activations per shard
ATTACK_SPLITS = tuple(name for name in SPLIT_NAMES if name.startswith("attack_"))


LABEL = "label:"  # the prefix of a column holding one of the data set's labels


def _tensors_of(prepared: Prepared, split: Split, z: Tensor, images: bool) -> dict[str, Tensor]:
    tensors = {"z": z, "y_task": split.labels[prepared.task.task]}
    if not prepared.suite.data.is_input:
        tensors["y_sensitive"] = split.labels[prepared.task.sensitive]
    suite_labels = (prepared.task.task, prepared.task.sensitive)
    tensors.update(
        {f"{LABEL}{n}": y for n, y in split.labels.items() if n not in suite_labels}
    )  # the data set's other labels, for the attribute reader
    if images:
        tensors["x"] = split.images.mul(255).round().to(torch.uint8)
    return tensors


def _describe(tensors: dict[str, Tensor]) -> dict[str, Any]:
    return {
        k: {"dtype": str(v.dtype).removeprefix("torch."), "shape": list(v.shape)}
        for k, v in tensors.items()
    }


def _client_architecture(prepared: Prepared) -> dict[str, Any] | None:
    """How to rebuild the client: the registered defense, its parameters and the task size."""
    name = prepared.defense_info["name"]
    if name not in defenses:
        return None
    return {
        "defense": name,
        "params": prepared.defense_info["params"],
        "image_size": prepared.task.image_size,
        "num_classes": prepared.task.num_classes,
    }


def _write_split(
    folder: Path, name: str, tensors: dict[str, Tensor], ids: list[str], shard_size: int
) -> dict[str, Any]:
    shards = []
    for number, start in enumerate(range(0, len(ids), shard_size)):
        part = {k: v[start : start + shard_size].contiguous() for k, v in tensors.items()}
        path = folder / f"{name}-{number:05d}.safetensors"
        save_file(part, path, metadata={"ids": json.dumps(ids[start : start + shard_size])})
        shards.append(
            {
                "file": path.name,
                "n": len(part["z"]),
                "sha256": sha256_of(path),
                "tensors": _describe(part),
            }
        )
    return {
        "n": len(ids),
        "fingerprint": fingerprint(ids),
        "memory_format": memory_format_of(tensors["z"]),
        "shards": shards,
    }


def check_benchmark_folder(out: str | Path) -> Path:
    """``out`` as a folder a benchmark may be written to (new, or an earlier benchmark), checked
    before any work: the export replaces the folder whole."""
    folder = writable_folder(out, "out", "export")
    if folder.is_dir():
        ours = re.compile(rf"({MANIFEST}|{CLIENT_FILE}|attack_(train|test)-\d{{5}}\.safetensors)")
        foreign = sorted(p.name for p in folder.iterdir() if not ours.fullmatch(p.name))
        if foreign:
            raise DataError(
                f"{folder}: holds files that are not a benchmark's ({', '.join(foreign[:3])}); "
                "an export replaces its folder whole, so give a new or a benchmark's own folder."
            )
    return folder


def write_activations(
    prepared: Prepared, out: str | Path, *, images: bool = False, shard_size: int = SHARD_SIZE
) -> Path:
    """Write ``prepared`` into folder ``out`` (see the module docstring); returns the manifest."""
    folder = check_benchmark_folder(out)
    released = prepared.released

    def write(folder: Path) -> None:
        splits = {}
        for name, split, z in (
            ("attack_train", prepared.attack_train, released.train),
            ("attack_test", prepared.attack_test, released.test),
        ):
            tensors = _tensors_of(prepared, split, z, images)
            if name == "attack_test" and released.server_logits is not None:
                tensors["server_logits"] = released.server_logits
            splits[name] = _write_split(
                folder, name, tensors, [str(i) for i in split.ids], shard_size
            )
        client = None
        if released.client is not None:
            save_model(released.client, str(folder / CLIENT_FILE))
            client = {
                "file": CLIENT_FILE,
                "sha256": sha256_of(folder / CLIENT_FILE),
                "architecture": _client_architecture(prepared),
            }
        suite = prepared.suite
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "suite": {"name": suite.name, "version": suite.version, "content": suite.content()},
            "scale": prepared.scale,
            "seed": prepared.seed,
            "defense": prepared.defense_info,
            "data": prepared.data_info,
            "task": dataclasses.asdict(prepared.task),
            "capabilities": prepared.caps.names(),
            "layout": None if released.layout is None else dataclasses.asdict(released.layout),
            "splits": splits,
            "client": client,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))

    return replace_folder(folder, write) / MANIFEST


def export(
    defense: Defense | str,
    suite: Suite | str | Path,
    out: str | Path,
    *,
    scale: str = "quick",
    data_root: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
    images: bool = False,
    progress: bool = True,
    cache: bool = True,
) -> Path:
    """Fit ``defense`` as ``evaluate`` would and write the released activations of
    attack_train and attack_test into ``out``; returns the manifest's path.

    ``images=True`` stores the images too (uint8), so the benchmark needs no data set to be
    attacked; otherwise ``load_activations`` reads them from the data root by id.
    """
    run_arguments(
        "export", scale=scale, data_root=data_root, seed=seed, device=device, images=images,
        progress=progress, cache=cache,
    )  # fmt: skip
    check_benchmark_folder(out)
    prepared = prepare(
        defense,
        suite,
        scale=scale,
        data_root=data_root,
        seed=seed,
        device=device,
        progress=progress,
        cache=cache,
    )
    return write_activations(prepared, out, images=images)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(
            f"{folder}: no {MANIFEST}; not an activation benchmark, or an export that did not "
            "finish (an export is moved into place only once complete)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not readable JSON ({error}).") from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DataError(
            f"{path}: format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r}; this privattack reads {FORMAT!r} version "
            f"{FORMAT_VERSION}. Export the benchmark again with this privattack."
        )
    return manifest


def _verified(folder: Path, entry: dict[str, Any]) -> Path:
    path = contained(folder, entry["file"], str(folder / MANIFEST))
    if not path.is_file():
        raise DataError(f"{path}: missing; the manifest lists it.")
    if sha256_of(path) != entry["sha256"]:
        raise DataError(
            f"{path}: SHA-256 differs from the manifest's; the file was changed or is corrupt."
        )
    return path


def iter_shards(folder: str | Path, split: str) -> Iterator[tuple[list[str], dict[str, Tensor]]]:
    """(ids, tensors) of each shard of ``split``, one shard in memory at a time, each checked
    against the manifest (hash, names, dtypes, shapes) and for NaN/inf in z."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if split not in manifest["splits"]:
        raise DataError(f"{folder}: no split {split!r}; it holds {', '.join(manifest['splits'])}.")
    for entry in manifest["splits"][split]["shards"]:
        path = _verified(folder, entry)
        try:
            with safe_open(path, framework="pt") as file:
                ids = json.loads((file.metadata() or {}).get("ids", "null"))
                tensors = {k: file.get_tensor(k) for k in file.keys()}  # noqa: SIM118
        except (SafetensorError, json.JSONDecodeError, OSError) as error:
            raise DataError(f"{path}: not a readable safetensors shard ({error}).") from error
        found = _describe(tensors)
        if found != entry["tensors"] or not isinstance(ids, list) or len(ids) != entry["n"]:
            raise DataError(
                f"{path}: holds {found} for {len(ids or [])} ids; the manifest says "
                f"{entry['tensors']} for {entry['n']}."
            )
        if not torch.isfinite(tensors["z"]).all():
            raise NonFiniteError(f"{path}: z holds NaN or inf.")
        yield ids, tensors


def _rebuild_client(folder: Path, entry: dict[str, Any] | None) -> nn.Module | None:
    """The client network from its stored weights, when its architecture can be rebuilt."""
    if entry is None or entry.get("architecture") is None:
        return None
    path = _verified(folder, entry)
    spec = entry["architecture"]
    if spec["defense"] not in defenses:
        return None
    defense = defenses.get(
        spec["defense"],
        **spec["params"],
        image_size=spec["image_size"],
        num_classes=spec["num_classes"],
    )
    client: nn.Module = defense.client
    try:
        load_model(client, path)
    except (SafetensorError, RuntimeError) as error:
        raise DataError(f"{path}: does not fit a {spec['defense']!r} client ({error}).") from error
    return client.eval()


def _read_split(
    folder: Path, name: str, manifest: dict[str, Any]
) -> tuple[list[str], dict[str, Tensor]]:
    parts: dict[str, list[Tensor]] = {}
    ids: list[str] = []
    for shard_ids, tensors in iter_shards(folder, name):
        ids += shard_ids
        for key, tensor in tensors.items():
            parts.setdefault(key, []).append(tensor)
    if fingerprint(ids) != manifest["data"]["fingerprints"][name]:
        raise DataError(f"{folder}: the ids of {name} do not match their fingerprint.")
    return ids, {k: torch.cat(v) for k, v in parts.items()}


def load_activations(folder: str | Path, *, data_root: str | Path | None = None) -> Prepared:
    """Read an activation benchmark written by ``export``, checking every file.

    Pass the result to ``privattack.evaluate_activations``. Images come from the shards when
    they were stored, else from the data set under ``data_root`` by id (their fingerprint must
    match).

    Raises:
        DataError: a missing, truncated or altered file, or images that do not match.
        NonFiniteError: activations holding NaN or inf.
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    source = Source(str(folder / MANIFEST), "", SuiteError)
    suite = parse_content(manifest["suite"]["name"], manifest["suite"]["content"], source)
    task = Task(**manifest["task"])
    read = {name: _read_split(folder, name, manifest) for name in ATTACK_SPLITS}
    from_data: dict[str, dict[str, Tensor]] = {}  # the data set's labels, read with its images
    if all("x" in columns for _, columns in read.values()):
        images = {name: columns["x"].float().div_(255.0) for name, (_, columns) in read.items()}
    else:
        ids = {name: ids for name, (ids, _) in read.items()}
        images, from_data = _images_by_id(manifest, ids, data_root)

    def split(name: str) -> Split:
        ids, columns = read[name]
        labels = {k.removeprefix(LABEL): v for k, v in columns.items() if k.startswith(LABEL)}
        labels.update(from_data.get(name, {}))
        labels[task.task] = columns["y_task"]
        if "y_sensitive" in columns:
            labels[task.sensitive] = columns["y_sensitive"]
        return Split(images[name], np.array(ids), labels, manifest["data"]["fingerprints"][name])

    client = _rebuild_client(folder, manifest["client"])
    layout = TileLayout(**manifest["layout"]) if manifest.get("layout") else None
    test_columns = read["attack_test"][1]
    released = Released(
        *(
            in_memory_format(read[name][1]["z"], manifest["splits"][name]["memory_format"])
            for name in ATTACK_SPLITS
        ),
        server_logits=test_columns.get("server_logits"),
        client=client,
        layout=layout,
    )
    caps = Capabilities(
        fit=False,
        client=client is not None,
        predict=released.server_logits is not None,
        state_dict=False,
        layout=layout is not None,
        stochastic="stochastic" in manifest["capabilities"],
    )
    return Prepared(
        suite=suite,
        scale=manifest["scale"],
        seed=manifest["seed"],
        task=task,
        target=target_of(task),
        defense_info=manifest["defense"],
        caps=caps,
        data_info=manifest["data"],
        attack_train=split("attack_train"),
        attack_test=split("attack_test"),
        released=released,
        cache="off",
    )


def _images_by_id(
    manifest: dict[str, Any], ids: dict[str, list[str]], data_root: str | Path | None
) -> tuple[dict[str, Tensor], dict[str, dict[str, Tensor]]]:
    """Each attack split's images and every label of the data set, read from the data set by
    the ids the benchmark stored."""
    data = manifest["data"]
    dataset = open_dataset(data["dataset"], data_root)
    position = {str(i): k for k, i in enumerate(dataset.ids)}
    missing = [i for s in ATTACK_SPLITS for i in ids[s] if str(i) not in position]
    if missing:
        raise DataError(
            f"the benchmark's images are not stored and {len(missing)} of its ids (e.g. "
            f"{missing[0]!r}) are not in the {data['dataset']} data found at {dataset.origin}; "
            "pass the data root it was exported from, or export with images."
        )
    rows = {s: np.array([position[str(i)] for i in ids[s]], dtype=np.int64) for s in ATTACK_SPLITS}
    images = {s: dataset.images(rows[s], data["image_size"]) for s in ATTACK_SPLITS}
    labels = {
        s: {n: torch.from_numpy(dataset.label(n)[rows[s]]) for n in dataset.labels}
        for s in ATTACK_SPLITS
    }
    return images, labels
