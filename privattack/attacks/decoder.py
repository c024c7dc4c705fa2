"""Supervised decoder attack (reconstruction): learn z -> x on (z, x) pairs of attack_train.

The paper's "Supervised Decoder" (section 3.1, after Dosovitskiy and Brox 2016): a network
trained on pairs from a colluding client, here built from the shape of z (any C x h x w or
a flat vector) to the image shape. Its ``family`` is a hyper-parameter, because a defense can
look private only because the decoder has the wrong shape: a convolutional upsampler, a
tile-aware decoder that puts channels back on the image tiles a defense declares (DISCO's
decoupler) or learns a channel-to-space map, or a fully connected bottleneck; optionally
followed by a U-Net refiner.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar

import piq
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from privattack.attacks.base import AttackInputs, Reconstructions
from privattack.attacks.configured import SupervisedAttack, SupervisedConfig
from privattack.errors import CapabilityError, ShapeError, UnknownNameError
from privattack.protocol import TileLayout
from privattack.registry import attacks
from privattack.searchspace import SearchParam
from privattack.targets import InputTarget, TargetKind


def _conv_block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def _upsample(channels: int, mode: str) -> nn.Module:
    if mode == "transposed":
        return nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)
    return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)


class ConvDecoder(nn.Module):
    """Activation (B, *z_shape) -> image (B, 3, H, W) in [0, 1].

    The input is standardised per channel (BatchNorm), so the scale of z does not matter;
    log2(H / h) stages each double the resolution and halve the width (at least 16 channels);
    a final resize fixes odd ratios.
    """

    def __init__(
        self,
        z_shape: tuple[int, ...],
        image_size: int,
        width: int = 64,
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        self.image_size = image_size
        if len(z_shape) == 1:  # a flat vector: project to a 4 x 4 map first
            self.stem: nn.Module = nn.Sequential(
                nn.BatchNorm1d(z_shape[0]),
                nn.Linear(z_shape[0], width * 16),
                nn.Unflatten(1, (width, 4, 4)),
                nn.ReLU(inplace=True),
            )
            side = 4
        elif len(z_shape) == 3:
            self.stem = nn.Sequential(nn.BatchNorm2d(z_shape[0]), *_conv_block(z_shape[0], width))
            side = z_shape[1]
        else:
            raise ShapeError(f"a decoder needs z of shape (C, h, w) or (D,), got {z_shape}.")
        stages = max(0, round(math.log2(image_size / side)))
        layers: list[nn.Module] = [*_conv_block(width, width)]
        channels = width
        for _ in range(stages):
            narrower = max(channels // 2, 16)
            layers += [_upsample(channels, upsample), *_conv_block(channels, narrower)]
            channels = narrower
        layers += [nn.Conv2d(channels, 3, 3, padding=1), nn.Sigmoid()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        x = self.body(self.stem(z))
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(
                x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
            )
        return x


class TilesToImage(nn.Module):
    """(B, g*g*c, h, w) -> (B, c, g*h, g*w): channel group k becomes tile k (row-major), the
    inverse of DISCO's decoupler stacking tile k as channel k."""

    def __init__(self, grid: int) -> None:
        super().__init__()
        self.grid = grid

    def forward(self, x: Tensor) -> Tensor:
        b, _, h, w = x.shape
        g = self.grid
        tiles = x.view(b, g, g, -1, h, w).permute(0, 3, 1, 4, 2, 5)
        return tiles.reshape(b, -1, g * h, g * w)


def tile_decoder(
    z_shape: tuple[int, ...],
    image_size: int,
    width: int,
    upsample: str,
    layout: TileLayout | None,
) -> nn.Module:
    """A 1x1 convolution to per-tile features, placed on the tiles ``layout`` declares (else a
    learned channel-to-space map: sub-pixel convolution by 2), then a convolutional decoder."""
    channels, h, w = z_shape
    factor = layout.grid if layout is not None else 2
    arrange: nn.Module = TilesToImage(factor) if layout is not None else nn.PixelShuffle(factor)
    per_tile = max(width // 4, 16)  # the arranged map is factor x larger: keep it narrow
    return nn.Sequential(
        nn.BatchNorm2d(channels),
        nn.Conv2d(channels, factor * factor * per_tile, 1),
        nn.ReLU(inplace=True),
        arrange,
        ConvDecoder((per_tile, h * factor, w * factor), image_size, per_tile * 2, upsample),
    )


class UNetRefiner(nn.Module):
    """Refines a coarse reconstruction with a two-scale U-Net, as a residual on its logits."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.encode = nn.Sequential(*_conv_block(3, width))
        self.down = nn.Sequential(nn.MaxPool2d(2), *_conv_block(width, 2 * width))
        self.up = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.fuse = nn.Sequential(*_conv_block(2 * width, width), nn.Conv2d(width, 3, 1))

    def forward(self, coarse: Tensor) -> Tensor:
        skip = self.encode(coarse)
        up = self.up(self.down(skip))
        if up.shape[-2:] != skip.shape[-2:]:
            up = F.interpolate(up, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        residual = self.fuse(torch.cat([up, skip], 1))
        return torch.sigmoid(torch.logit(coarse, eps=1e-4) + residual)


FAMILIES = ("auto", "conv", "tiles", "fc")


def resolve_family(family: str, layout: TileLayout | None) -> str:
    """The family "auto" stands for: tiles when the defense declares a layout, else conv."""
    if family not in FAMILIES:
        raise UnknownNameError("decoder family", family, FAMILIES)
    if family == "auto":
        return "tiles" if layout is not None else "conv"
    return family


def build_decoder(
    family: str,
    z_shape: tuple[int, ...],
    image_size: int,
    width: int = 64,
    upsample: str = "transposed",
    layout: TileLayout | None = None,
    refine: bool = False,
) -> nn.Module:
    """A decoder of ``family``: "conv", "tiles", "fc", or "auto" (tiles when the defense
    declares a layout, else conv); ``refine`` adds a U-Net refiner on top."""
    family = resolve_family(family, layout)
    if family == "fc":
        flat = math.prod(z_shape)
        decoder: nn.Module = nn.Sequential(
            nn.Flatten(),
            nn.BatchNorm1d(flat),
            nn.Linear(flat, 256),
            nn.ReLU(inplace=True),
            ConvDecoder((256,), image_size, width, upsample),
        )
    elif family == "tiles" and len(z_shape) == 3:
        decoder = tile_decoder(z_shape, image_size, width, upsample, layout)
    else:  # conv, or tiles of a flat activation (nothing to place on tiles)
        decoder = ConvDecoder(z_shape, image_size, width, upsample)
    return nn.Sequential(decoder, UNetRefiner()) if refine else decoder


def reconstruction_loss(name: str) -> nn.Module | object:
    """The training loss called ``name``: "l1", "mse" or "l1+ssim"."""
    losses = {
        "l1": F.l1_loss,
        "mse": F.mse_loss,
        "l1+ssim": lambda x_hat, x: (
            F.l1_loss(x_hat, x) + (1 - piq.ssim(x_hat, x, data_range=1.0, downsample=False))
        ),
    }
    if name not in losses:
        raise UnknownNameError("reconstruction loss", name, losses)
    return losses[name]


@attacks.register("decoder")
class DecoderAttack(SupervisedAttack):
    """Train a decoder on (z, x) of attack_train; reconstruct attack_test from z alone."""

    name: ClassVar[str] = "decoder"
    target: ClassVar[TargetKind] = "input"
    requires: ClassVar[tuple[str, ...]] = ()
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-4, 1e-2, log=True),
        "width": SearchParam(choices=(32, 64, 128)),
        "loss": SearchParam(choices=("l1", "mse", "l1+ssim")),
        "upsample": SearchParam(choices=("transposed", "resize")),
        "family": SearchParam(choices=FAMILIES),
        "refine": SearchParam(choices=(False, True)),
    }

    @dataclass(frozen=True)
    class Config(SupervisedConfig):
        loss: str = "l1"
        upsample: str = "transposed"
        family: str = "auto"  # see build_decoder
        refine: bool = False

    def run(self, inputs: AttackInputs) -> Reconstructions:
        if not isinstance(inputs.target, InputTarget):
            raise CapabilityError("the decoder attack needs an input target.")
        cfg = self.config
        # What determines the reconstructions (never memoised while tuning watches it learn).
        settings = (
            cfg,
            inputs.seed,
            inputs.budget,  # its epochs and patience
            inputs.device,
            inputs.layout,
            inputs.target,
        )
        learned_from = (inputs.z_train, inputs.z_test, inputs.secret_train)
        trained = _trained.get(settings, learned_from) if inputs.monitor is None else None
        if trained is None:
            self.seeded(inputs)
            decoder = build_decoder(
                cfg.family,
                tuple(inputs.z_train.shape[1:]),
                inputs.target.image_size,
                cfg.width,
                cfg.upsample,
                inputs.layout,
                cfg.refine,
            )
            trained = self.fit_predict(decoder, reconstruction_loss(cfg.loss), inputs)
            if inputs.monitor is None:
                _trained.put(settings, learned_from, trained)
        x_hat, ran = trained
        built = resolve_family(cfg.family, inputs.layout) + ("+unet" if cfg.refine else "")
        return Reconstructions(x_hat, {**self.params(), "built": built, **ran})


Trained = tuple[Tensor, dict[str, int]]  # reconstructions, and the epochs that made them


class _Memo:
    """The last few decoders' reconstructions (and epochs run), by their settings and by the
    very tensors they learned from, so that the hybrid attack starts from the decoder its
    evaluation already trained instead of training it again. Tensors are recognised by weak
    references: a freed tensor whose ``id`` is reused never matches."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, tuple[list[weakref.ref], Trained]] = OrderedDict()

    def get(self, settings: tuple, tensors: tuple[Tensor, ...]) -> Trained | None:
        key = (settings, tuple(map(id, tensors)))
        refs, value = self.entries.get(key, ((), None))
        if value is None or any(ref() is not t for ref, t in zip(refs, tensors, strict=True)):
            return None
        self.entries.move_to_end(key)
        return value

    def put(self, settings: tuple, tensors: tuple[Tensor, ...], value: Trained) -> None:
        self.entries[(settings, tuple(map(id, tensors)))] = (
            [weakref.ref(t) for t in tensors],
            value,
        )
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


_trained = _Memo()


__all__ = [
    "FAMILIES",
    "ConvDecoder",
    "DecoderAttack",
    "TilesToImage",
    "UNetRefiner",
    "build_decoder",
    "reconstruction_loss",
]
