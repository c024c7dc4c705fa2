"""Rebuild the data bundled in the package from ``../shared/data`` (maintainers only).

- FairFace: all 572 faces, re-encoded at 64 px (JPEG quality 95), CC BY 4.0 with attribution.
- CIFAR-10: the first 400 images per class of the train pack, and the 2,000 test images of
  the dev pack (200 per class), original JPEG bytes unchanged.
- The CIFAR-10 ResNet-20 of ``../shared/weights`` as safetensors (BSD-2-Clause, Idelbayev).

Usage: python tools/make_bundled_data.py [SHARED_DATA]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

from privattack.data.images import JpegPackSource
from privattack.data.sources import BUNDLED_ROOT

FAIRFACE_SIZE, CIFAR_PER_CLASS = 64, 400


def jpeg_pack(buffers: list[bytes]) -> dict[str, np.ndarray]:
    """Concatenate JPEG files into the jpeg-pack arrays."""
    offsets = np.cumsum([0] + [len(b) for b in buffers]).astype(np.int64)
    return {"jpeg_bytes": np.frombuffer(b"".join(buffers), dtype=np.uint8), "jpeg_offsets": offsets}


def bundle_fairface(shared: Path) -> None:
    with np.load(shared / "fairface/fairface_448px_n572_jpeg.npz", allow_pickle=False) as npz:
        pack = {k: npz[k] for k in npz.files}
    source = JpegPackSource(pack["jpeg_bytes"], pack["jpeg_offsets"])
    buffers = []
    for i in range(len(source)):
        out = io.BytesIO()
        Image.fromarray(source.load(i, FAIRFACE_SIZE)).save(out, "JPEG", quality=95)
        buffers.append(out.getvalue())
    labels = {k: v for k, v in pack.items() if not k.startswith("jpeg_")}
    target = BUNDLED_ROOT / "fairface" / f"fairface_{FAIRFACE_SIZE}px_n{len(buffers)}_jpeg.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(target, **jpeg_pack(buffers), **labels)


def bundle_cifar10(shared: Path) -> None:
    with np.load(shared / "cifar10/cifar10_train_n50000_jpeg.npz", allow_pickle=False) as npz:
        pack = {k: npz[k] for k in npz.files}
    keep = np.concatenate(
        [np.flatnonzero(pack["labels"] == c)[:CIFAR_PER_CLASS] for c in range(10)]
    )
    keep.sort()
    offsets = pack["jpeg_offsets"]
    buffers = [pack["jpeg_bytes"][offsets[i] : offsets[i + 1]].tobytes() for i in keep]
    target = BUNDLED_ROOT / "cifar10" / f"cifar10_train_subset_n{len(keep)}_jpeg.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        target,
        **jpeg_pack(buffers),
        labels=pack["labels"][keep],
        living=pack["living"][keep],
        class_names=pack["class_names"],
        source_ids=pack["source_ids"][keep],
    )


def bundle_cifar10_test(shared: Path) -> None:
    """The test images as they are: another pack in the same folder (disjoint ids)."""
    source = shared / "cifar10/cifar10_test_dev_n2000_jpeg.npz"
    (BUNDLED_ROOT / "cifar10" / source.name).write_bytes(source.read_bytes())


def bundle_resnet20(weights: Path) -> None:
    """The checkpoint's tensors (``module.`` prefix dropped), read without unpickling code."""
    checkpoint = torch.load(weights / "resnet20-12fca82f.th", map_location="cpu", weights_only=True)
    state = {k.removeprefix("module."): v.contiguous() for k, v in checkpoint["state_dict"].items()}
    target = BUNDLED_ROOT / "weights" / "resnet20_cifar10.safetensors"
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(target), metadata={"best_prec1": str(float(checkpoint["best_prec1"]))})


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    bundle_fairface(root)
    bundle_cifar10(root)
    bundle_cifar10_test(root)
    bundle_resnet20(root.parent / "weights")
    for path in sorted([*BUNDLED_ROOT.rglob("*.npz"), *BUNDLED_ROOT.rglob("*.safetensors")]):
        print(f"{path.relative_to(BUNDLED_ROOT)}: {path.stat().st_size / 1e6:.2f} MB")
