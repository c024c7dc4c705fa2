"""Activation benchmarks: released activations on disk, attacked without the defense's code.

``export`` writes what ``prepare`` computed: safetensors shards per attack split (z, labels,
optionally the images as uint8), the client's weights when the defense has a client, and a
JSON manifest with the setup and the SHA-256 of every file. ``load_activations`` checks all
of it and gives back what ``evaluate`` attacks, so export-then-evaluate reproduces the live
numbers. Nothing here unpickles: safetensors and JSON only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_file, save_model
from torch import Tensor, nn

from privattack.data import open_dataset
from privattack.data.splits import fingerprint
from privattack.errors import CapabilityError, DataError, NonFiniteError
from privattack.prepare import ATTACK_SPLITS, Prepared, prepare
from privattack.protocol import Capabilities, Defense, Task, TileLayout
from privattack.report import write_atomic
from privattack.suite import Suite

FORMAT = "privattack-activations"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CLIENT_FILE = "client.safetensors"
SHARD_SIZE = 1024  # activations per shard


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_atomic(path: Path, write: Any) -> None:
    """Call ``write(temporary_path)``, then rename onto ``path``: a shard is whole or absent."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _split_tensors(prepared: Prepared, split: str, images: bool) -> dict[str, Tensor]:
    tensors = {"z": prepared.z[split], "y_task": prepared.y_task[split]}
    if prepared.y_sensitive is not None:
        tensors["y_sensitive"] = prepared.y_sensitive[split]
    if images:
        tensors["x"] = prepared.x[split].mul(255).round().to(torch.uint8)
    if split == "attack_test" and prepared.server_logits is not None:
        tensors["server_logits"] = prepared.server_logits
    return tensors


def _client_architecture(prepared: Prepared) -> dict[str, Any] | None:
    """How to rebuild the client: the registered defense, its parameters and the task size."""
    from privattack.registry import defenses

    name = prepared.defense_info["name"]
    if name not in defenses:
        return None
    return {
        "defense": name,
        "params": prepared.defense_info["params"],
        "image_size": prepared.task.image_size,
        "num_classes": prepared.task.num_classes,
    }


def write_activations(
    prepared: Prepared, out: str | Path, *, images: bool = False, shard_size: int = SHARD_SIZE
) -> Path:
    """Write ``prepared`` into folder ``out`` (see the module docstring); returns the manifest.

    The manifest is written last: a folder without one is an unfinished export.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    splits: dict[str, Any] = {}
    for split in ATTACK_SPLITS:
        tensors = _split_tensors(prepared, split, images)
        ids = [str(i) for i in prepared.ids[split]]
        shards = []
        for number, start in enumerate(range(0, len(ids), shard_size)):
            part = {k: v[start : start + shard_size].contiguous() for k, v in tensors.items()}
            path = folder / f"{split}-{number:05d}.safetensors"
            metadata = {"ids": json.dumps(ids[start : start + shard_size])}
            _save_atomic(path, lambda tmp, p=part, m=metadata: save_file(p, tmp, metadata=m))
            shards.append(
                {
                    "file": path.name,
                    "n": len(part["z"]),
                    "sha256": _sha256(path),
                    "tensors": {
                        k: {"dtype": str(v.dtype).removeprefix("torch."), "shape": list(v.shape)}
                        for k, v in part.items()
                    },
                }
            )
        splits[split] = {
            "n": len(ids),
            "fingerprint": fingerprint(ids),
            "memory_format": _memory_format(prepared.z[split]),
            "shards": shards,
        }

    client = None
    architecture = _client_architecture(prepared)
    if prepared.caps.client and prepared.defense is not None:
        module: nn.Module = prepared.defense.client  # type: ignore[attr-defined]
        path = folder / CLIENT_FILE
        _save_atomic(path, lambda tmp: save_model(module, tmp))
        client = {"file": CLIENT_FILE, "sha256": _sha256(path), "architecture": architecture}

    suite = prepared.suite
    layout = getattr(prepared.defense, "layout", None)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "suite": {"name": suite.name, "version": suite.version, "toml": _suite_text(suite)},
        "scale": prepared.scale,
        "seed": prepared.seed,
        "defense": prepared.defense_info,
        "data": prepared.data_info,
        "task": dataclasses.asdict(prepared.task),
        "capabilities": prepared.caps.names(),
        "layout": dataclasses.asdict(layout) if layout is not None else None,
        "splits": splits,
        "client": client,
    }
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2).encode())
    return folder / MANIFEST


def _memory_format(z: Tensor) -> str:
    """How the released z was laid out in memory: convolutions on it round differently."""
    channels_last = z.ndim == 4 and z.is_contiguous(memory_format=torch.channels_last)
    return "channels_last" if channels_last and not z.is_contiguous() else "contiguous"


def _suite_text(suite: Suite) -> str:
    try:
        return Path(suite.file).read_text()
    except OSError as error:
        raise DataError(
            f"cannot export suite {suite.name!r}: its file {suite.file!r} is not readable."
        ) from error


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
) -> Path:
    """Fit ``defense`` as ``evaluate`` would and write the released activations of
    attack_train and attack_test into ``out``; returns the manifest's path.

    ``images=True`` stores the images too (uint8), so the benchmark needs no data set to be
    attacked; otherwise ``load_activations`` reads them from the data root by id.
    """
    prepared = prepare(
        defense,
        suite,
        scale=scale,
        data_root=data_root,
        seed=seed,
        device=device,
        progress=progress,
    )
    return write_activations(prepared, out, images=images)


class StoredActivations:
    """Stands in for the defense of stored activations: it cannot release anything new, but
    holds the client rebuilt from the stored weights when there was one."""

    def __init__(
        self, name: str, client: nn.Module | None, layout: TileLayout | None = None
    ) -> None:
        self.name, self.layout = name, layout
        if client is not None:
            self.client = client

    def release(self, x: Tensor) -> Tensor:
        raise CapabilityError(
            f"these are stored activations of {self.name!r}; the defense itself is not here."
        )


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(
            f"{folder}: no {MANIFEST}; not an activation benchmark, or an export that did not "
            "finish (export writes the manifest last)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not readable JSON ({error}).") from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DataError(
            f"{path}: format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r}; this privattack reads {FORMAT!r} version "
            f"{FORMAT_VERSION}."
        )
    return manifest


def _verified(folder: Path, entry: dict[str, Any]) -> Path:
    path = folder / entry["file"]
    if not path.is_file():
        raise DataError(f"{path}: missing; the manifest lists it.")
    if _sha256(path) != entry["sha256"]:
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
        found = {
            k: {"dtype": str(v.dtype).removeprefix("torch."), "shape": list(v.shape)}
            for k, v in tensors.items()
        }
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
    from privattack.registry import defenses

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


def load_activations(folder: str | Path, *, data_root: str | Path | None = None) -> Prepared:
    """Read an activation benchmark written by ``export``, checking every file.

    Pass the result to ``privattack.evaluate``. Images come from the shards when they were
    stored, else from the data set under ``data_root`` by id (their fingerprint must match).

    Raises:
        DataError: a missing, truncated or altered file, or images that do not match.
        NonFiniteError: activations holding NaN or inf.
    """
    from privattack import suites

    folder = Path(folder)
    manifest = _read_manifest(folder)
    suite = suites.parse_text(
        manifest["suite"]["name"], manifest["suite"]["toml"], str(folder / MANIFEST)
    )
    task = Task(**manifest["task"])
    columns: dict[str, dict[str, Tensor]] = {}
    ids: dict[str, np.ndarray] = {}
    for split in ATTACK_SPLITS:
        parts: dict[str, list[Tensor]] = {}
        split_ids: list[str] = []
        for shard_ids, tensors in iter_shards(folder, split):
            split_ids += shard_ids
            for key, tensor in tensors.items():
                parts.setdefault(key, []).append(tensor)
        ids[split] = np.array(split_ids)
        columns[split] = {k: torch.cat(v) for k, v in parts.items()}
        if fingerprint(split_ids) != manifest["data"]["fingerprints"][split]:
            raise DataError(f"{folder}: the ids of {split} do not match their fingerprint.")

    if all("x" in columns[s] for s in ATTACK_SPLITS):
        x = {s: columns[s]["x"].float().div_(255.0) for s in ATTACK_SPLITS}
    else:
        x = _images_by_id(manifest, ids, data_root)
    client = _rebuild_client(folder, manifest["client"])
    caps = Capabilities(
        fit=False,
        client=client is not None,
        predict="server_logits" in columns["attack_test"],
        state_dict=False,
        layout=manifest.get("layout") is not None,
        stochastic="stochastic" in manifest["capabilities"],
    )
    return Prepared(
        suite=suite,
        scale=manifest["scale"],
        seed=manifest["seed"],
        task=task,
        defense=StoredActivations(  # type: ignore[arg-type]
            manifest["defense"]["name"],
            client,
            TileLayout(**manifest["layout"]) if manifest.get("layout") else None,
        ),
        defense_info=manifest["defense"],
        caps=caps,
        data_info=manifest["data"],
        ids=ids,
        x=x,
        z={
            s: columns[s]["z"].contiguous(memory_format=torch.channels_last)
            if manifest["splits"][s]["memory_format"] == "channels_last"
            else columns[s]["z"]
            for s in ATTACK_SPLITS
        },
        y_task={s: columns[s]["y_task"] for s in ATTACK_SPLITS},
        y_sensitive=None
        if suite.data.is_input
        else {s: columns[s]["y_sensitive"] for s in ATTACK_SPLITS},
        server_logits=columns["attack_test"].get("server_logits"),
    )


def _images_by_id(
    manifest: dict[str, Any], ids: dict[str, np.ndarray], data_root: str | Path | None
) -> dict[str, Tensor]:
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
    return {
        s: dataset.images([position[str(i)] for i in ids[s]], data["image_size"])
        for s in ATTACK_SPLITS
    }
