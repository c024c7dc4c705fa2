"""A PNG grid: the original test images in the first row, each attack's reconstructions below,
every reconstruction tile labelled with its SSIM to the original above it."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from torch import Tensor

from privattack.metrics import ssim

LABEL_WIDTH = 110
PADDING = 2
SCORE_HEIGHT = 12  # a strip under each row of reconstructions for the tiles' scores


def grid_png(rows: dict[str, Tensor], scale: int = 2) -> bytes:
    """``rows`` ("original", then name -> (n, 3, H, W) in [0, 1]) as one labelled PNG."""
    names = list(rows)
    n = min(len(rows[name]) for name in names)  # white-box attacks may invert fewer images
    originals = rows[names[0]][:n].clamp(0, 1)
    side = originals.shape[-1] * scale
    tile, row_height = side + PADDING * 2, side + PADDING * 2 + SCORE_HEIGHT
    canvas = Image.new("RGB", (LABEL_WIDTH + n * tile, len(names) * row_height), "white")
    draw = ImageDraw.Draw(canvas)
    for k, name in enumerate(names):
        images = rows[name][:n].clamp(0, 1)
        scores = None if k == 0 else ssim(images, originals)
        top = k * row_height
        draw.text((4, top + side // 2 - 5), name, fill="black")
        for j in range(n):
            pixels = (images[j].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
            picture = Image.fromarray(pixels).resize((side, side), Image.NEAREST)
            left = LABEL_WIDTH + j * tile + PADDING
            canvas.paste(picture, (left, top + PADDING))
            if scores is not None:
                text = f"SSIM {scores[j].item():.2f}"
                draw.text((left, top + PADDING + side + 1), text, fill=(90, 90, 90))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()
