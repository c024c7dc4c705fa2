"""Activation benchmarks: export, then attack from disk with the live numbers; bad files fail."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import SMOKE_ATTACKS as ATTACKS
from conftest import cli
from helpers import numbers
from safetensors import safe_open
from safetensors.torch import save_file

import privattack
from privattack.activations import MANIFEST, iter_shards, write_activations
from privattack.errors import DataError, NonFiniteError
from privattack.prepare import prepare


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    privattack.export("split", "fairface_input", out, scale="smoke", seed=3, progress=False)
    return out


@pytest.mark.slow
def test_evaluating_the_export_reproduces_the_live_numbers(
    exported: Path, smoke_run: tuple[privattack.Report, Path]
) -> None:
    live, _ = smoke_run  # the same defense, suite, scale, seed and attacks, run live
    stored = privattack.load_activations(exported)
    assert stored.caps.client and stored.caps.predict and not stored.caps.fit
    from_disk = privattack.evaluate_activations(stored, attacks=ATTACKS, progress=False)
    assert numbers(from_disk) == numbers(live)


@pytest.mark.slow
def test_stored_images_need_no_data_set(tmp_path: Path) -> None:
    privattack.export(
        "split", "fairface_attribute", tmp_path, scale="smoke", images=True, progress=False
    )
    live = privattack.evaluate("split", "fairface_attribute", scale="smoke", progress=False)
    stored = privattack.load_activations(tmp_path, data_root=tmp_path / "no-data-here")
    assert numbers(privattack.evaluate_activations(stored, progress=False)) == numbers(live)


def test_shards_stream_one_at_a_time(tmp_path: Path) -> None:
    prepared = prepare("split", "fairface_input", scale="smoke", seed=1, progress=False)
    write_activations(prepared, tmp_path, shard_size=50)
    shards = list(iter_shards(tmp_path, "attack_train"))
    assert [len(ids) for ids, _ in shards] == [50, 50, 28]
    assert [i for ids, _ in shards for i in ids] == [str(i) for i in prepared.attack_train.ids]
    assert torch.equal(torch.cat([t["z"] for _, t in shards]), prepared.released.train)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["splits"]["attack_test"]["shards"][0]["tensors"]["z"]["dtype"] == "float32"
    assert not list(tmp_path.parent.glob(".partial-*"))  # no temporary file left behind


def _copy(exported: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    target.mkdir()
    for file in exported.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return target


def _first_shard(folder: Path) -> Path:
    return (
        folder
        / json.loads((folder / MANIFEST).read_text())["splits"]["attack_train"]["shards"][0]["file"]
    )


def test_a_corrupted_shard_is_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    shard = _first_shard(folder)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside z
    shard.write_bytes(bytes(data))
    with pytest.raises(DataError, match="SHA-256 differs from the manifest"):
        privattack.load_activations(folder)


def test_a_manifest_hash_mismatch_is_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["client"]["sha256"] = "0" * 64
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"client\.safetensors: SHA-256 differs"):
        privattack.load_activations(folder)


def _rewrite_shard(folder: Path, edit: Any) -> None:
    """Replace the first attack_train shard by ``edit(tensors)`` and re-hash it honestly."""
    import hashlib

    shard = _first_shard(folder)
    with safe_open(shard, framework="pt") as file:
        metadata = file.metadata()
        tensors = {k: file.get_tensor(k) for k in file.keys()}  # noqa: SIM118
    save_file(edit(tensors), shard, metadata=metadata)
    manifest = json.loads((folder / MANIFEST).read_text())
    entry = manifest["splits"]["attack_train"]["shards"][0]
    entry["sha256"] = hashlib.sha256(shard.read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_a_truncated_shard_is_refused_even_with_a_matching_hash(
    exported: Path, tmp_path: Path
) -> None:
    folder = _copy(exported, tmp_path)
    _rewrite_shard(folder, lambda t: {**t, "z": t["z"][:10]})
    with pytest.raises(DataError, match="the manifest says"):
        privattack.load_activations(folder)


def test_nan_activations_are_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    _rewrite_shard(folder, lambda t: {**t, "z": t["z"].clone().fill_(math.nan)})
    with pytest.raises(NonFiniteError, match="z holds NaN or inf"):
        privattack.load_activations(folder)


def test_an_unfinished_export_is_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    (folder / MANIFEST).unlink()
    with pytest.raises(DataError, match="did not finish"):
        privattack.load_activations(folder)
    with pytest.raises(DataError, match=r"no manifest\.json"):
        privattack.load_activations(tmp_path / "elsewhere")


def test_images_not_stored_are_read_from_the_data_root(exported: Path, tmp_path: Path) -> None:
    with pytest.raises(privattack.DataNotFoundError, match="fairface"):
        privattack.load_activations(exported, data_root=tmp_path)


@pytest.mark.slow
def test_cli_export_then_evaluate(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    suite = str(Path(__file__).parent / "suite_files" / "cache_smoke.toml")
    made = cli(
        "export", "--defense", "split", "--suite", suite, "--scale", "smoke",
        "--out", str(out), "--quiet",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = cli("evaluate", "--activations", str(out), "--attack", "decoder", "--quiet")
    assert run.returncode == 0, run.stderr
    assert "decoder    ssim" in run.stdout and "scale smoke" in run.stdout
    refused = cli("evaluate", "--activations", str(out), "--seed", "3")
    assert refused.returncode == 2 and "drop --seed" in refused.stderr
