"""A PNG grid: the original test images in the first row, each attack's reconstructions below,
every reconstruction tile labelled with its SSIM to the original above it and, when identity
was measured, the rank of its source (green when re-identified top-1)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw
from torch import Tensor

from privattack.metrics import ssim

LABEL_WIDTH = 110
PADDING = 2
SCORE_HEIGHT = 12  # a strip under each row of reconstructions for the tiles' scores


def grid_png(
    rows: Mapping[str, Tensor], notes: Mapping[str, Sequence[str]] | None = None, scale: int = 2
) -> bytes:
    """``rows`` ("original", then name -> (n, 3, H, W) in [0, 1]) as one labelled PNG;
    ``notes`` (name -> a text per tile, "rank 1" re-identified) are written beside the SSIM."""
    notes = notes or {}
    names = list(rows)
    n = min(len(rows[name]) for name in names)  # white-box attacks may invert fewer images
    originals = rows[names[0]][:n].clamp(0, 1)
    side = originals.shape[-1] * scale
    strip = SCORE_HEIGHT * (2 if notes else 1)  # a second line for the ranks
    tile, row_height = side + PADDING * 2, side + PADDING * 2 + strip
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
            if name in notes:
                note = notes[name][j]
                colour = (0, 130, 0) if note == "rank 1" else (176, 0, 32)
                draw.text((left, top + PADDING + side + 1 + SCORE_HEIGHT), note, fill=colour)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()
