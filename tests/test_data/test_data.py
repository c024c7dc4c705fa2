"""Data readers on the real packs, on official layouts built from them, and on bundled data."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import shared_dataset

from privattack.data import open_dataset
from privattack.data.sources import read_folder
from privattack.errors import DataError, DataNotFoundError, UnknownNameError

N = 12  # images per official-layout tree


def _pack(folder: Path) -> dict[str, np.ndarray]:
    with np.load(sorted(folder.glob("*.npz"))[0], allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _jpeg(pack: dict[str, np.ndarray], i: int) -> bytes:
    off = pack["jpeg_offsets"]
    return pack["jpeg_bytes"][off[i] : off[i + 1]].tobytes()


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("cifar10", {"class", "living"}),
        ("celeba", {"Male", "Smiling", "Big_Nose"}),
        ("fairface", {"race", "gender", "age_group"}),
        ("utkface", {"age", "gender", "race"}),
    ],
)
def test_reads_the_real_packs(name: str, labels: set[str]) -> None:
    folder = shared_dataset(name)
    found = read_folder(name, folder)
    assert found is not None and found.layout == "npz"
    assert labels <= set(found.labels)
    assert len(np.unique(found.ids)) == len(found)
    x = found.images([0, len(found) - 1], 32)
    assert x.shape == (2, 3, 32, 32) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1 and x.std() > 0.05
    sample = found.sample(0, 32)
    assert sample.id == found.ids[0] and set(sample.labels) == set(found.labels)


def test_bundled_data_is_used_without_a_root(bundled_only: None) -> None:
    fairface = open_dataset("fairface")
    assert fairface.layout == "bundled" and len(fairface) == 572
    assert fairface.num_classes("race") == 7
    cifar = open_dataset("cifar10")
    assert len(cifar) == 6000 and np.bincount(cifar.label("class")).tolist() == [600] * 10
    test = cifar.partition == "test"  # the 2,000 test images, 200 per class
    assert np.bincount(cifar.label("class")[test]).tolist() == [200] * 10


def test_bundled_fairface_matches_the_shared_faces(bundled_only: None) -> None:
    shared = read_folder("fairface", shared_dataset("fairface"))
    bundled = open_dataset("fairface")
    assert shared is not None and (shared.ids == bundled.ids).all()
    diff = (shared.images(range(20), 64) - bundled.images(range(20), 64)).abs().mean()
    assert diff < 0.02  # the bundled copy is re-encoded at 64 px, quality 95


def test_missing_data_says_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(
        DataNotFoundError,
        match=r"celeba.*not found in .*celeba.*"
        r"list_attr_celeba.txt.*download=True.*Bundled data sets.*fairface",
    ):
        open_dataset("celeba", tmp_path)
    with pytest.raises(UnknownNameError, match="no data set named 'mnist'"):
        open_dataset("mnist")


def test_packs_sharing_ids_are_an_error(tmp_path: Path) -> None:
    pack = _pack(shared_dataset("utkface"))
    (tmp_path / "utkface").mkdir()
    for k in range(2):
        np.savez(
            tmp_path / "utkface" / f"part{k}.npz",
            **{key: v[:5] if v.ndim and len(v) == 1000 else v for key, v in pack.items()},
        )
    with pytest.raises(DataError, match="packs share ids"):
        open_dataset("utkface", tmp_path)


def test_all_packs_of_a_folder_are_read_together(tmp_path: Path) -> None:
    pack = _pack(shared_dataset("utkface"))
    (tmp_path / "utkface").mkdir()
    for k, part in enumerate((slice(0, 7), slice(7, 10))):
        np.savez(
            tmp_path / "utkface" / f"part{k}.npz",
            **{key: v[part] if v.ndim and len(v) == 1000 else v for key, v in pack.items()},
        )
    found = open_dataset("utkface", tmp_path)
    assert len(found) == 10 and found.ids.tolist() == pack["source_ids"][:10].tolist()
    expected = torch.from_numpy(pack["images"][8]).permute(2, 0, 1).float() / 255
    assert torch.equal(found.images([8], 64)[0], expected)


def test_cifar10_official_python_batches(tmp_path: Path) -> None:
    source = read_folder("cifar10", shared_dataset("cifar10"))
    assert source is not None
    batches = tmp_path / "cifar10" / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    pixels = (source.images(range(N), 32) * 255).round().to(torch.uint8)
    labels = source.label("class")[:N].tolist()
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        with (batches / name).open("wb") as handle:
            pickle.dump(
                {b"data": pixels.reshape(N, -1).numpy(), b"labels": labels}, handle, protocol=2
            )
    found = open_dataset("cifar10", tmp_path)
    assert found.layout == "official" and len(found) == 6 * N
    assert (found.partition == "test").sum() == N
    assert torch.equal(found.images(range(N), 32), pixels.float() / 255)
    assert found.label("class")[:N].tolist() == labels
    assert found.ids[0].startswith("train/") and len(set(found.ids)) == 6 * N


def test_cifar10_batches_never_run_code(tmp_path: Path) -> None:
    batches = tmp_path / "cifar10" / "cifar-10-batches-py"
    batches.mkdir(parents=True)

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        (batches / name).write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DataError, match=r"refusing to load builtins\.print"):
        open_dataset("cifar10", tmp_path)


def test_celeba_official_layout(tmp_path: Path) -> None:
    pack = _pack(shared_dataset("celeba"))
    root = tmp_path / "celeba" / "celeba"  # torchvision's root/celeba
    (root / "img_align_celeba").mkdir(parents=True)
    names = pack["attr_names"].tolist()
    attr_lines = [str(N), " ".join(names)]
    for i in range(N):
        image_id = str(pack["image_ids"][i])
        (root / "img_align_celeba" / image_id).write_bytes(_jpeg(pack, i))
        attr_lines.append(image_id + " " + " ".join("1" if a else "-1" for a in pack["attrs"][i]))
    (root / "list_attr_celeba.txt").write_text("\n".join(attr_lines) + "\n")
    (root / "list_eval_partition.txt").write_text(
        "".join(f"{pack['image_ids'][i]} 0\n" for i in range(N))
    )
    found = open_dataset("celeba", tmp_path)
    packed = read_folder("celeba", shared_dataset("celeba"))
    assert found.layout == "official" and packed is not None
    assert found.ids.tolist() == packed.ids[:N].tolist()
    assert torch.equal(found.images(range(N), 64), packed.images(range(N), 64))
    assert (found.label("Smiling") == packed.label("Smiling")[:N]).all()
    assert (found.partition == "train").all()


def test_fairface_official_layout(tmp_path: Path) -> None:
    pack = _pack(shared_dataset("fairface"))
    root = tmp_path / "fairface"
    race, gender = pack["race_names"], pack["gender_names"]
    ages = ["20-29", "30-39", "40-49", "50-59", "60-69", "more than 70"]
    for split in ("train", "val"):
        (root / split).mkdir(parents=True)
        rows = ["file,age,gender,race,service_test"]
        for i in range(N) if split == "train" else range(N, N + 3):
            (root / split / f"{i}.jpg").write_bytes(_jpeg(pack, i))
            rows.append(
                f"{split}/{i}.jpg,{ages[pack['age_group'][i]]},"
                f"{gender[pack['gender'][i]]},{race[pack['race'][i]]},True"
            )
        (root / f"fairface_label_{split}.csv").write_text("\n".join(rows) + "\n")
    found = open_dataset("fairface", tmp_path)
    assert found.layout == "official" and len(found) == N + 3
    assert (found.label("race") == pack["race"][: N + 3]).all()
    assert (found.label("age_group") == pack["age_group"][: N + 3]).all()
    assert (found.partition == "val").sum() == 3


def test_utkface_official_file_names(tmp_path: Path) -> None:
    from PIL import Image

    pack = _pack(shared_dataset("utkface"))
    root = tmp_path / "utkface" / "UTKFace"
    root.mkdir(parents=True)
    for i in range(N):
        Image.fromarray(pack["images"][i]).save(root / str(pack["source_ids"][i]), quality=95)
    (root / "39_1_20170116174525125.jpg.chip.jpg").write_bytes(b"")  # a known malformed name
    found = open_dataset("utkface", tmp_path)
    assert found.layout == "official" and len(found) == N
    order = {name: k for k, name in enumerate(pack["source_ids"][:N].tolist())}
    rows = [order[i] for i in found.ids]
    assert (found.label("age") == pack["age"][rows]).all()
    assert (found.label("race") == pack["race"][rows]).all()
