"""A PNG grid: the original test images in the first row, each attack's reconstructions below."""

from __future__ import annotations

import io

import torch
from PIL import Image, ImageDraw
from torch import Tensor

LABEL_WIDTH = 90


def grid_png(rows: dict[str, Tensor], scale: int = 2) -> bytes:
    """``rows`` (name -> (n, 3, H, W) in [0, 1]) as one labelled PNG, one row per name."""
    names = list(rows)
    n = min(len(rows[name]) for name in names)  # white-box attacks may invert fewer images
    images = torch.cat([rows[name][:n].clamp(0, 1) for name in names])
    from torchvision.utils import make_grid  # torchvision loads only when a grid is drawn

    grid = make_grid(images, nrow=n, padding=2, pad_value=1.0)
    array = (grid.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    picture = Image.fromarray(array)
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    canvas = Image.new("RGB", (picture.width + LABEL_WIDTH, picture.height), "white")
    canvas.paste(picture, (LABEL_WIDTH, 0))
    draw, row_height = ImageDraw.Draw(canvas), picture.height / len(names)
    for k, name in enumerate(names):
        draw.text((4, int(row_height * (k + 0.5)) - 5), name, fill="black")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()
