"""Supervised decoder attack (reconstruction): learn z -> x on (z, x) pairs of attack_train.

The paper's "Supervised Decoder" (section 3.1, after Dosovitskiy and Brox 2016): a network
trained on pairs from a colluding client, here built from the shape of z (any C x h x w or
a flat vector) to the image shape, upsampling by transposed or resize convolutions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import piq
import torch.nn.functional as F
from torch import Tensor, nn

from privattack.attacks.base import AttackData, AttackResult, Target
from privattack.attacks.configured import SupervisedAttack, SupervisedConfig
from privattack.errors import UnknownNameError
from privattack.registry import attacks
from privattack.suite import SearchParam


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
            raise ValueError(f"a decoder needs z of shape (C, h, w) or (D,), got {z_shape}.")
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
    target: ClassVar[Target] = "input"
    requires: ClassVar[tuple[str, ...]] = ()
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-4, 1e-2, log=True),
        "width": SearchParam(choices=(32, 64, 128)),
        "loss": SearchParam(choices=("l1", "mse", "l1+ssim")),
        "upsample": SearchParam(choices=("transposed", "resize")),
    }

    @dataclass(frozen=True)
    class Config(SupervisedConfig):
        loss: str = "l1"
        upsample: str = "transposed"

    def run(self, data: AttackData) -> AttackResult:
        cfg = self.config
        self.seeded(data)
        decoder = ConvDecoder(
            tuple(data.z_train.shape[1:]), data.x_train.shape[-1], cfg.width, cfg.upsample
        )
        x_hat = self.fit_predict(decoder, data.x_train, reconstruction_loss(cfg.loss), data)
        return AttackResult(reconstructions=x_hat, params=self.params())


__all__ = ["ConvDecoder", "DecoderAttack", "reconstruction_loss"]
