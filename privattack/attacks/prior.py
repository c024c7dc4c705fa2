"""Learned-prior attack: search a generative model of the data for an image whose activation
matches z, then refine that image's pixels.

GLASS (Li et al. 2023) searches the latent space of a pretrained StyleGAN; nothing may be
downloaded here, so the attacker trains its own prior: a convolutional autoencoder on its
attack_train originals. Each search starts from the code of the attacker's own image whose
activation is nearest z, and keeps every code within ``spread`` standard deviations of
attack_train's codes (per dimension), so the image stays one the prior can draw. The pixel stage
then fixes what the prior cannot draw, pulled towards the prior's image; like the hybrid
attack's, it keeps the iterate with the lowest feature loss, its start included, so it is never
worse than the latent search on the adversary's own loss.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from privattack.attacks.base import AttackInputs
from privattack.attacks.decoder import ConvDecoder, reconstruction_loss
from privattack.attacks.likelihood import (
    SearchConfig,
    _FromStarts,
    invert,
    released_channels,
)
from privattack.registry import attacks
from privattack.searchspace import SearchParam
from privattack.training import predict_batched, seed_everything, train_supervised


class ImageEncoder(nn.Module):
    """Image (B, 3, S, S) -> code (B, latent): stride-2 convolutions down to about 4 x 4."""

    def __init__(self, image_size: int, latent: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for stage in range(max(1, round(math.log2(image_size / 4)))):
            wider = width * 2 ** min(stage, 2)
            layers += [nn.Conv2d(channels, wider, 4, 2, 1), nn.BatchNorm2d(wider), nn.ReLU(True)]
            channels = wider
        layers += [nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(channels * 16, latent)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class Autoencoder(nn.Module):
    """The attacker's prior: an encoder to a flat code and the decoder attack's convolutional
    generator back to the image."""

    def __init__(self, image_size: int, latent: int, width: int) -> None:
        super().__init__()
        self.encoder = ImageEncoder(image_size, latent, width)
        self.generator = ConvDecoder((latent,), image_size, width, upsample="bilinear")

    def forward(self, x: Tensor) -> Tensor:
        return self.generator(self.encoder(x))


class LatentImages(nn.Module):
    """Images drawn by a frozen ``generator`` from codes ``mean + half_width * tanh(u)``: the
    search moves ``u``, which keeps each code inside the box attack_train's codes span."""

    def __init__(
        self, generator: nn.Module, mean: Tensor, half_width: Tensor, start: Tensor
    ) -> None:
        super().__init__()
        self.generator = generator.eval().requires_grad_(False)
        self.register_buffer("mean", mean)
        self.register_buffer("half_width", half_width)
        inside = ((start - mean) / half_width).clamp(-0.999, 0.999)
        self.u = nn.Parameter(torch.atanh(inside))

    def codes(self) -> Tensor:
        return self.mean + self.half_width * torch.tanh(self.u)

    def forward(self, _: Tensor) -> Tensor:
        return self.generator(self.codes())


@attacks.register("prior")
class PriorAttack(_FromStarts):
    """Train an autoencoder on attack_train's images, search its code space through the
    white-box client (the released channels only), then the pixels."""

    name: ClassVar[str] = "prior"
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-3, 0.1, log=True),
        "latent_lr": SearchParam(1e-3, 0.3, log=True),
        "tv_weight": SearchParam(0.01, 3.0, log=True),
        "anchor_weight": SearchParam(0.01, 30.0, log=True),
        "latent": SearchParam(choices=(64, 128, 256)),
        "prior_lr": SearchParam(1e-4, 1e-2, log=True),
    }

    @dataclass(frozen=True)
    class Config(SearchConfig):
        lr: float = 0.01  # the pixel stage's
        tv_weight: float = 0.3
        batch_size: int = 32
        anchor_weight: float = 1.0  # the pixel stage's pull towards the prior's image
        latent_lr: float = 0.05
        latent_iterations: int | None = None  # None: the suite scale's iterations
        spread: float = 3.0  # codes stay within this many of attack_train's standard deviations
        # the prior: an autoencoder trained on attack_train's images
        latent: int = 128
        width: int = 32
        prior_lr: float = 1e-3
        prior_epochs: int | None = None  # None: the suite scale's attack_epochs
        prior_loss: str = "l1"

    def prior(self, inputs: AttackInputs) -> Autoencoder:
        """The autoencoder, trained on attack_train's images (never attack_test's)."""
        cfg = self.config
        seed_everything(inputs.seed)
        images = inputs.secret_train
        model = Autoencoder(images.shape[-1], cfg.latent, cfg.width)
        return train_supervised(
            model,
            images,
            images,
            reconstruction_loss(cfg.prior_loss),
            epochs=cfg.prior_epochs or inputs.budget.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.prior_lr,
            seed=inputs.seed,
            device=inputs.device,
            progress=inputs.progress,
            desc="prior attack: the prior",
        )

    def _nearest_codes(self, inputs: AttackInputs, codes: Tensor, z: Tensor) -> Tensor:
        """Per row of ``z``, the code of the attack_train image whose activation is nearest
        it (over the channels that row released), rows and attack_train read in chunks."""
        rows = [_nearest_train(inputs, z[start : start + 256]) for start in range(0, len(z), 256)]
        return codes[torch.cat(rows)]

    def _starts(self, inputs: AttackInputs, count: int) -> Tensor:
        """The latent search's images for the first ``count`` rows of z_test."""
        assert inputs.client is not None  # run() checked the capability
        cfg = self.config
        autoencoder = self.prior(inputs)
        codes = predict_batched(autoencoder.encoder, inputs.secret_train, 256, inputs.device)
        mean, half_width = codes.mean(0), codes.std(0).clamp_min(1e-6) * cfg.spread
        device = next(inputs.client.parameters(), torch.empty(0)).device
        search = dataclasses.replace(cfg, lr=cfg.latent_lr)
        firsts = self._nearest_codes(inputs, codes, inputs.z_test[:count])
        parts = []
        for start in range(0, count, cfg.batch_size):
            z = inputs.z_test[start : min(start + cfg.batch_size, count)]
            first = firsts[start : start + len(z)]
            images = LatentImages(autoencoder.generator, mean, half_width, first).to(device)
            parts.append(
                invert(
                    inputs.client,
                    z.to(device),
                    images,
                    torch.zeros(0, device=device),
                    search,
                    cfg.latent_iterations or inputs.budget.iterations,
                    inputs.standardize,
                    progress=inputs.progress,
                    desc="prior attack: codes",
                ).cpu()
            )
        return torch.cat(parts)


def _nearest_train(inputs: AttackInputs, z: Tensor) -> Tensor:
    """(B,) per row of ``z``, the index of the attack_train row nearest it in squared distance
    over the channels that row released, standardised, as matrix products in float64."""
    masks = released_channels(z).expand_as(z).flatten(1).double()
    targets = inputs.standardize(z).flatten(1).double() * masks
    own = targets.pow(2).sum(1, keepdim=True)
    best = torch.full((len(z),), float("inf"), dtype=torch.float64)
    chosen = torch.zeros(len(z), dtype=torch.long)
    for start in range(0, len(inputs.z_train), 256):
        train = inputs.standardize(inputs.z_train[start : start + 256]).flatten(1).double()
        distance = own - 2 * targets @ train.T + masks @ train.pow(2).T
        low, at = distance.min(1)
        better = low < best
        best, chosen = torch.where(better, low, best), torch.where(better, at + start, chosen)
    return chosen
