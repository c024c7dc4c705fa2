"""Catalogue, files: malformed suites and gates files, tampered activation benchmarks, broken data
packs and official layouts, torn tuning journals. Each error names the file (and, for TOML,
the line and the key), and no path a file names may lead outside its folder."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import SUITE_TEXT as BASE

import privattack
from privattack import suites
from privattack.activations import MANIFEST
from privattack.data.sources import read_folder
from privattack.errors import DataError, GateFileError, SuiteError, TuningError
from privattack.gates import load_gates
from privattack.tuning import journal_storage

SUITE_FILES = Path(__file__).parents[1] / "suite_files"
SHARED = Path(__file__).parents[2].parent / "shared" / "data"


def _decoder(line: str) -> tuple[str, str]:
    return "[attacks.decoder]\n", f"[attacks.decoder]\n{line}\n"


SUITES = [
    (("trials = 10", "trails = 10"), r"mine.toml:22: \[scales.quick.trails\] unknown key 'trails'. Did you mean 'trials'\?"),
    (("image_size = 64", 'image_size = "64"'), r"\[data.image_size\] must be int, got str '64'"),
    (("image_size = 64", "image_size = 100000"), r"\[data.image_size\] must be at most 1024 px, got 100000"),
    (("image_size = 64", "image_size = 4"), r"\[data.image_size\] must be >= 8, got 4"),
    (('task = "gender"\n', ""), r"\[data.task\] missing required key"),
    (('description = "FairFace faces at 64 px."\n', ""), r"\[description\] missing required key"),
    (("version = 1", "version = 0"), r"\[version\] must be >= 1, got 0"),
    (('dataset = "fairface"', 'dataset = "mnist"'), r"\[data.dataset\] unknown data set 'mnist'"),
    (("[attacks.decoder]", "[attacks.decodr]"), r"\[attacks.decodr\] unknown key 'decodr'. Did you mean 'decoder'\?"),
    (_decoder("lr = { low = 1e-1, high = 1e-2 }"), r"\[attacks.decoder.lr\] `low < high` must hold"),
    (_decoder("lr = { low = 0, high = 1, log = true }"), r"\[attacks.decoder.lr\] a log range needs low > 0"),
    (_decoder("width = { low = 0.5, high = 2.5 }"), r"\[attacks.decoder.width\] .* type int; its range needs int bounds, got \(low=0.5, high=2.5\)"),
    (_decoder('lr = { choices = ["fast"] }'), r"\[attacks.decoder.lr\] choices \['fast'\] are not of .* float"),
    (_decoder("loss = { low = 1, high = 2 }"), r"\[attacks.decoder.loss\] .* type str, which has no range"),
    (_decoder("refine = { choices = [1] }"), r"\[attacks.decoder.refine\] choices \[1\] .* bool"),
    (_decoder("widht = { choices = [8] }"), r"\[attacks.decoder.widht\] unknown key 'widht'"),
    (_decoder("width = { choices = [] }"), r"\[attacks.decoder.width\] 'choices' must be a non-empty"),
    (('sensitive = "input"', 'sensitive = "race"'), r"\[attacks.decoder\] attack 'decoder' targets inputs"),
    (("trials = 10", "trials = -1"), r"\[scales.quick.trials\] must be >= 0, got -1"),
    (("trials = 10", "repeats = 0"), r"\[scales.quick.repeats\] must be >= 1, got 0"),
    (("trials = 10", "attack_patience = -1"), r"\[scales.quick.attack_patience\] must be >= 0, got -1"),
    (("attack_test = 100", "attack_test = 1"), r"\[scales.quick.splits.attack_test\] must be >= 2"),
    (("[scales.paper]", "[scales.huge]"), r"\[scales.huge\] unknown key 'huge'"),
    (("max_ssim = 0.5", "max_sim = 0.5"), r"mine.toml:15: \[gates.max_sim\] unknown key 'max_sim'. Did you mean 'max_ssim'"),
    (("max_ssim = 0.5", '"decoder.ssim" = { max = 0.5 }'), r"\[gates.decoder.ssim\] unknown key 'decoder.ssim'"),
    (("max_ssim = 0.5", "max_ssim = nan"), r"\[gates.max_ssim\] must be a finite number, got nan"),
    (("max_ssim = 0.5", 'max_ssim = "high"'), r"\[gates.max_ssim\] must be int or float, got str 'high'"),
    (("version = 1", 'include = "../elsewhere.toml"\nversion = 1'), r"'../elsewhere.toml' must name a .toml file in the suite's own folder"),
    (("version = 1", 'include = "/etc/passwd"\nversion = 1'), r"'/etc/passwd' must name a .toml file"),
    (("version = 1", "include = 3\nversion = 1"), r"\[include\] must be a file name or a list of them, got 3"),
    (("version = 1", 'include = "_gone.toml"\nversion = 1'), r"_gone.toml: cannot read this included suite file: no such file"),
    (("version = 1", "version = ["), r"mine.toml: not valid TOML"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "pattern"), SUITES, ids=[e[1][:40] for e, _ in SUITES])
def test_malformed_suites_name_file_line_and_key(
    tmp_path: Path, edit: tuple[str, str], pattern: str
) -> None:
    old, new = edit
    assert old in BASE
    path = tmp_path / "mine.toml"
    path.write_text(BASE.replace(old, new))
    with pytest.raises(SuiteError, match=pattern):
        suites.load(path)


GOOD = f"""
[[gate]]
name = "split-smoke"
defense = "split"
suite = "{SUITE_FILES / "gate_smoke.toml"}"
scale = "smoke"
max_ssim = 0.99
"""

GATES = [
    (GOOD.replace("max_ssim", "max_sim"), r"privattack.toml:7: \[gate.1.max_sim\] unknown key 'max_sim'. Did you mean 'max_ssim'"),
    (GOOD.replace("max_ssim = 0.99", 'max_ssim = "high"'), r"privattack.toml:7: \[gate.1.max_ssim\] must be int or float, got str 'high'"),
    (GOOD.replace("max_ssim = 0.99", "max_ssim = nan"), r"\[gate.1.max_ssim\] must be a finite number, got nan"),
    (GOOD.replace('defense = "split"\n', ""), r"\[gate.1.defense\] missing required key"),
    (GOOD.replace("max_ssim = 0.99\n", ""), "sets no threshold"),
    (GOOD.replace('scale = "smoke"', 'scale = "huge"'), r":6: .*must be one of smoke, quick, paper, got 'huge'"),
    (GOOD.replace('scale = "smoke"', 'seed = "0"'), r"\[gate.1.seed\] must be int, got str '0'"),
    (GOOD.replace('scale = "smoke"', "trials = -1"), r"\[gate.1.trials\] must be >= 0, got -1"),
    (GOOD.replace('scale = "smoke"', "repeats = 0"), r"\[gate.1.repeats\] must be >= 1, got 0"),
    (GOOD.replace('scale = "smoke"', "refit = 1"), r"\[gate.1.refit\] must be bool, got int 1"),
    (GOOD.replace('scale = "smoke"', 'params = "x"'), r"\[gate.1.params\] must be dict, got str 'x'"),
    (GOOD + GOOD, "two gates are named 'split-smoke'"),
    (GOOD.replace('"split-smoke"', '"../outside"'), r"\[gate.1.name\] must be a plain name .* got '../outside'"),
    (GOOD.replace('"split-smoke"', '"/abs"'), r"\[gate.1.name\] must be a plain name .* got '/abs'"),
    ("[[gate]\n", "not valid TOML"),
    ("[other]\n", r"no \[\[gate\]\] tables"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "pattern"), GATES, ids=[p[:40] for _, p in GATES])
def test_malformed_gates_name_file_line_and_key(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "privattack.toml"
    path.write_text(text)
    with pytest.raises(GateFileError, match=pattern):
        load_gates(path)


def test_gates_files_that_are_not_there_or_empty(tmp_path: Path) -> None:
    with pytest.raises(GateFileError, match=r"missing.toml: cannot read this gates file"):
        load_gates(tmp_path / "missing.toml")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(
        GateFileError, match=r"no \[\[gate\]\] tables found under \[tool.privattack\]"
    ):
        load_gates(tmp_path / "pyproject.toml")


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small activation benchmark (the split on the bundled faces at 32 px)."""
    out = tmp_path_factory.mktemp("bench") / "split"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PRIVATTACK_DATA", raising=False)
        privattack.export(
            "split", SUITE_FILES / "gate_smoke.toml", out, scale="smoke", progress=False
        )
    return out


def _tamper(benchmark: Path, tmp_path: Path, edit) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(benchmark, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    edit(manifest)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def _first_shard(manifest: dict) -> dict:
    return manifest["splits"]["attack_train"]["shards"][0]


MANIFESTS = [
    (lambda m: _first_shard(m).update(file="../elsewhere.safetensors"), r"'../elsewhere.safetensors', which lies outside"),
    (lambda m: _first_shard(m).update(file="/etc/passwd"), r"'/etc/passwd', which lies outside"),
    (lambda m: m["client"].update(file="../client.safetensors"), r"'../client.safetensors', which lies outside"),
    (lambda m: _first_shard(m).update(file=3), r"names the file 3, which is not a file name"),
    (lambda m: m.update(format_version=1), r"version 1; this privattack reads 'privattack-activations' version 2"),
    (lambda m: _first_shard(m).update(sha256="0" * 64), "SHA-256 differs from the manifest's"),
    (lambda m: m["data"]["fingerprints"].update(attack_train="0" * 16), "ids of attack_train do not match"),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("edit", "pattern"), MANIFESTS)
def test_tampered_benchmarks_are_refused(
    benchmark: Path, tmp_path: Path, edit, pattern: str
) -> None:
    with pytest.raises(DataError, match=pattern):
        privattack.load_activations(_tamper(benchmark, tmp_path, edit))


@pytest.mark.slow
def test_an_unreadable_manifest_is_refused(benchmark: Path, tmp_path: Path) -> None:
    copy = _tamper(benchmark, tmp_path, lambda m: None)
    (copy / MANIFEST).write_text("{ torn")
    with pytest.raises(DataError, match=r"manifest.json: not readable JSON"):
        privattack.load_activations(copy)


def _pack(folder: Path, write) -> Path:
    data = folder / "fairface"
    data.mkdir()
    write(data / "pack.npz")
    return data


def _corrupt_member(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images.npy", b"not the npy format")


PACKS = [
    (lambda p: p.write_bytes(os.urandom(300)), r"pack.npz: not an npz pack \(not a zip archive"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(300)), r"pack.npz: not an npz pack \(not a zip archive"),
    (_corrupt_member, r"pack.npz: its members \['images'\] are not numpy arrays"),
    (lambda p: np.savez(p, images=np.zeros((2, 8, 8, 3), np.uint8), race=np.zeros(2, int)), r"lacks the array 'source_ids' that a fairface pack holds; arrays found: images, race"),
    (lambda p: np.savez(p, images=np.array([object()] * 2, dtype=object)), r"holds an object array, which privattack does not unpickle"),
    (lambda p: np.savez(p, images=np.zeros((2, 8, 8), np.uint8), source_ids=np.array(["a", "b"]), race=np.zeros(2, int), gender=np.zeros(2, int), age_group=np.zeros(2, int), race_names=np.array(["a"]), gender_names=np.array(["a"]), age_group_names=np.array(["a"])), r"'images' must be uint8 \(N, H, W, 3\)"),
]  # fmt: skip


@pytest.mark.parametrize(("write", "pattern"), PACKS)
def test_broken_packs_are_named(tmp_path: Path, write, pattern: str) -> None:
    with pytest.raises(DataError, match=pattern):
        read_folder("fairface", _pack(tmp_path, write))


def test_a_truncated_real_pack_is_named(tmp_path: Path) -> None:
    source = SHARED / "fairface" / "fairface_448px_n572_jpeg.npz"
    if not source.is_file():
        pytest.skip(f"needs {source} (../shared/data); not present here")
    data = source.read_bytes()
    folder = _pack(tmp_path, lambda p: p.write_bytes(data[: len(data) // 2]))
    with pytest.raises(DataError, match=r"not an npz pack|not a readable npz pack"):
        read_folder("fairface", folder)


def _official(folder: Path, rows: list[str]) -> Path:
    data = folder / "fairface"
    (data / "train").mkdir(parents=True)
    header = "file,age,gender,race,service_test\n"
    (data / "fairface_label_train.csv").write_text(header + "".join(f"{r}\n" for r in rows))
    (data / "fairface_label_val.csv").write_text(header)
    return data


def test_an_official_layout_with_a_missing_image_names_it(tmp_path: Path) -> None:
    data = _official(tmp_path, ["train/1.jpg,20-29,Male,White,True"])
    found = read_folder("fairface", data)
    with pytest.raises(DataError, match=r"train/1.jpg: missing; .*fairface_label_.* lists it"):
        found.images([0], 32)


def test_an_official_layout_may_not_name_files_outside_its_folder(tmp_path: Path) -> None:
    data = _official(tmp_path, ["../../outside.jpg,20-29,Male,White,True"])
    with pytest.raises(DataError, match=r"names the file '../../outside.jpg', which lies outside"):
        read_folder("fairface", data)


def test_a_torn_journal_is_refused_before_optuna_appends(tmp_path: Path) -> None:
    journal = tmp_path / "studies.log"
    journal.write_text('{"op_code": 0, "worker_id": "w"}\n{"op_code": 5, "work')
    with pytest.raises(TuningError, match=r"studies.log:2: a torn or corrupt journal line"):
        journal_storage(journal)
    assert journal.read_text().endswith('"work')  # untouched: never appended to
    journal.write_text('{"op_code": 0}\nnot json\n{"op_code": 1}\n')
    with pytest.raises(TuningError, match=r"studies.log:2: a torn or corrupt"):
        journal_storage(journal)
