"""Rebuild the data bundled in the package from ``../shared/data`` (maintainers only).

- FairFace: all 572 faces, re-encoded at 64 px (JPEG quality 95), CC BY 4.0 with attribution.
- CIFAR-10: the first 400 images per class of the train pack, original JPEG bytes unchanged.

Usage: python tools/make_bundled_data.py [SHARED_DATA]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

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


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    bundle_fairface(root)
    bundle_cifar10(root)
    for path in sorted(BUNDLED_ROOT.rglob("*.npz")):
        print(f"{path.relative_to(BUNDLED_ROOT)}: {path.stat().st_size / 1e6:.2f} MB")
