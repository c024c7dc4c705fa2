"""Is privattack's worst case at least what the DISCO authors' own decoder attack reaches? Their
supervised decoder, re-implemented from the description of their released code (the
InferenceBenchmark repository's image decoder and decoder-attack configuration), trained on the
activations ``privattack export`` wrote, to convergence, and scored on all of attack_test.

The recipe: a 3x3 convolution from z to the channel count in 3, 6, 12, 24, ... nearest z's,
batch norm and ReLU; strided or 2x2 convolutions to the nearest feature-map size in S, S/2,
S/4, ... (above 4); transposed convolutions doubling the size and halving the channels up to
the image; 3x3 convolutions halving the channels down to 3, the last one too ending in batch
norm and ReLU (no sigmoid); raw z in; Adam at lr 0.01, batch 128, loss -SSIM, 150 epochs. Two
departures, both in the attack's favour: the SSIM it maximises has data range 1 (kornia's,
differentiable beyond [0, 1]; their library's default range, 255 on images in [0, 1], makes
the loss nearly flat), and the weights kept are those of the epoch with the best SSIM on a
tenth of attack_train held out (their split is 0.9), stopping after ``--patience`` epochs
without improvement: "to convergence" by the adversary's own validation, never the test
split's. Prints each export's test SSIM (95% bootstrap interval), the best validation epoch and
the epochs run.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/authors_decoder.py EXPORT [EXPORT ...]
           [--epochs 150] [--patience 20] [--out results/authors_decoder/points.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import kornia
import torch
from torch import Tensor, nn

from privattack.activations import load_activations
from privattack.metrics import bootstrap, ssim
from privattack.training import EarlyStopping, predict_batched


def _block(c_in: int, c_out: int, **conv: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, bias=False, **conv), nn.BatchNorm2d(c_out), nn.ReLU(True)]


def authors_decoder(channels: int, side: int, image_size: int) -> nn.Sequential:
    """Their generic image decoder for z of shape (channels, side, side)."""
    sizes = []
    size = image_size
    while size > 4:
        sizes.append(size)
        size //= 2
    widths = [3]
    while widths[-1] < channels:
        widths.append(widths[-1] * 2)
    widths.pop()
    at = min(range(len(sizes)), key=lambda i: abs(sizes[i] - side))
    width = widths[min(range(len(widths)), key=lambda i: abs(widths[i] - channels))]
    layers = _block(channels, width, kernel_size=3, padding=1)
    steps = side - sizes[at]  # their recipe: one layer per pixel of difference
    resize = {"kernel_size": 3, "stride": 2, "padding": 1} if steps > 0 else {"kernel_size": 2}
    for _ in range(abs(steps)):
        layers += _block(width, width, **resize)
    for _ in range(at):
        layers += [
            nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=False),
            nn.BatchNorm2d(width // 2),
            nn.ReLU(True),
        ]
        width = max(3, width // 2)
    while width > 3:
        layers += _block(width, width // 2, kernel_size=3, padding=1)
        width //= 2
    return nn.Sequential(*layers)


def predict(model: nn.Module, z: Tensor) -> Tensor:
    """The decoder's images of ``z``, clamped to [0, 1] (it ends in a ReLU, not a sigmoid)."""
    return predict_batched(model, z, 256).clamp(0, 1)


def train(
    z: Tensor, x: Tensor, epochs: int, patience: int, seed: int
) -> tuple[nn.Module, int, int, float]:
    """(the best model, its epoch, the epochs run, its validation SSIM)."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    order = torch.randperm(len(z), generator=generator)
    held = order[: len(z) // 10]
    fit = order[len(z) // 10 :]
    model = authors_decoder(z.shape[1], z.shape[-1], x.shape[-1])
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    stopping = EarlyStopping(
        z[held],
        x[held],
        lambda images, truth: ssim(images.clamp(0, 1), truth).mean().item(),
        patience,
    )
    for epoch in range(1, epochs + 1):
        model.train()
        shuffled = fit[torch.randperm(len(fit), generator=generator)]
        for start in range(0, len(shuffled), 128):
            idx = shuffled[start : start + 128]
            loss = -kornia.metrics.ssim(model(z[idx]), x[idx], 11, max_val=1.0).mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        if stopping.stop(model, epoch, "cpu"):
            break
    stopping.restore(model)
    return model, stopping.best_epoch, stopping.epochs_run, stopping.best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="folders privattack export wrote")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--out", default="results/authors_decoder/points.jsonl")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    print("| point | seed | authors' decoder SSIM | best epoch | epochs run | seconds |")
    print("|---|---|---|---|---|---|")
    for folder in args.exports:
        prepared = load_activations(folder)
        start = time.perf_counter()
        z_train, x_train = prepared.released.train, prepared.attack_train.images
        model, best_epoch, ran, _ = train(
            z_train, x_train, args.epochs, args.patience, prepared.seed
        )
        test = ssim(predict(model, prepared.released.test), prepared.attack_test.images)
        value = bootstrap(test, prepared.seed)
        seconds = time.perf_counter() - start
        line = {
            "export": folder,
            "seed": prepared.seed,
            "defense": prepared.defense_info,
            "ssim": value.to_dict(),
            "best_epoch": best_epoch,
            "epochs_run": ran,
            "seconds": round(seconds, 1),
        }
        with out.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        print(
            f"| {Path(folder).name} | {prepared.seed} | {value.mean:.3f} [{value.ci[0]:.3f}, "
            f"{value.ci[1]:.3f}] | {best_epoch} | {ran} | {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
