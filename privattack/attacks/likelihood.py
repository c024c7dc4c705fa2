"""White-box attacks: search for an image whose activation matches the released z.

``likelihood`` is the paper's "Likelihood Maximization" (section 3.1): a deep-image-prior
generator (Ulyanov et al. 2018; Mahendran and Vedaldi 2015's pre-image setting) fed fixed noise,
its weights optimised so that ``client(G(noise))`` matches z. ``inversion`` runs the same
search directly in pixel space. Both share one loop, invert many images at once (each with its
own generator: grouped convolutions), and never look at the private image: the result is the
iterate with the lowest feature loss, or the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import kornia
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from privattack.attacks.base import AttackInputs, Monitor, Reconstructions
from privattack.attacks.configured import Configured
from privattack.attacks.standardize import Standardizer
from privattack.errors import CapabilityError, UnknownNameError
from privattack.registry import attacks
from privattack.searchspace import SearchParam
from privattack.targets import InputTarget, TargetKind
from privattack.training import seed_everything


def _grouped_cat(a: Tensor, b: Tensor, groups: int) -> Tensor:
    """Concatenate per-group channels of (1, G*ca, h, w) and (1, G*cb, h, w), channels-last
    (one copy: strided views of channels-last maps made the plain cat copy twice)."""
    h, w = a.shape[-2:]
    pixels = [t.permute(0, 2, 3, 1).reshape(h, w, groups, -1) for t in (a, b)]
    return torch.cat(pixels, -1).reshape(1, h, w, -1).permute(0, 3, 1, 2)


class _GroupedBlock(nn.Sequential):
    def __init__(self, groups: int, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(groups * c_in, groups * c_out, 3, stride, 1, groups=groups),
            nn.BatchNorm2d(groups * c_out),
            nn.LeakyReLU(0.2, inplace=True),
        )


class GroupedSkipGenerator(nn.Module):
    """``groups`` independent deep-image-prior generators run as one network.

    Each is an encoder-decoder with skip connections (three scales, sigmoid output). The
    BatchNorm layers see one sample per generator, as in the original deep image prior.
    """

    def __init__(
        self, groups: int, image_size: int, width: int = 32, noise_channels: int = 16, skip: int = 4
    ) -> None:
        super().__init__()
        self.groups, self.image_size, self.noise_channels = groups, image_size, noise_channels
        g, w = groups, width
        self.down = nn.ModuleList(
            [
                nn.Sequential(_GroupedBlock(g, noise_channels, w, 2), _GroupedBlock(g, w, w)),
                nn.Sequential(_GroupedBlock(g, w, w, 2), _GroupedBlock(g, w, w)),
                nn.Sequential(_GroupedBlock(g, w, w, 2), _GroupedBlock(g, w, w)),
            ]
        )
        self.skips = nn.ModuleList([_GroupedBlock(g, c, skip) for c in (noise_channels, w, w)])
        self.up = nn.ModuleList([_GroupedBlock(g, w + skip, w) for _ in range(3)])
        self.head = nn.Conv2d(g * w, g * 3, 1, groups=g)

    def forward(self, noise: Tensor) -> Tensor:
        """noise (1, G*noise_channels, H, W) -> images (G, 3, H, W) in [0, 1], channels-last
        (the view of the grouped output is neither layout, and the client's convolutions run
        about 15% faster on a batch in channels-last than on it)."""
        return torch.sigmoid(self.logits(noise))

    def logits(self, noise: Tensor) -> Tensor:
        """The images' logits, before the sigmoid of ``forward``."""
        features, skips = noise, []
        for down, skip in zip(self.down, self.skips, strict=True):
            skips.append(skip(features))
            features = down(features)
        for up, skipped in zip(self.up, reversed(skips), strict=True):
            features = F.interpolate(
                features, size=skipped.shape[-2:], mode="bilinear", align_corners=False
            )
            features = up(_grouped_cat(features, skipped, self.groups))
        x = self.head(features).view(self.groups, 3, self.image_size, self.image_size)
        return x.contiguous(memory_format=torch.channels_last)


def generator_input(generator: GroupedSkipGenerator, device: torch.device) -> Tensor:
    """The fixed noise a deep-image-prior ``generator`` is fed: uniform in [0, 0.1),
    channels-last."""
    shape = (1, generator.groups * generator.noise_channels, *[generator.image_size] * 2)
    noise = 0.1 * torch.rand(shape, device=device)
    return noise.contiguous(memory_format=torch.channels_last)


def released_channels(z: Tensor) -> Tensor:
    """(B, C, 1, 1) 1 where a channel of maps z carries anything, 0 where it was pruned.

    A defense that prunes channels (DISCO, random pruning) tells the adversary which ones by
    the constant maps it sends (zeros, or whatever constant an offset made of them); matching
    only the released channels is the stronger attack. A 1 x 1 map counts as pruned when 0.
    """
    if z.ndim != 4:
        return torch.ones_like(z)
    flat = z.flatten(2)
    varies = flat.amax(2) != flat.amin(2) if flat.shape[2] > 1 else flat[..., 0] != 0
    return varies.to(z.dtype)[:, :, None, None]


def feature_distance(name: str, z_hat: Tensor, z: Tensor, released: Tensor) -> Tensor:
    """(B,) distance between (standardised) activations over the ``released`` channels (see
    ``released_channels``): "mse" or "cosine" (1 - cosine similarity)."""
    z_hat, z = z_hat * released, z * released
    if name == "mse":
        return (z_hat - z).pow(2).flatten(1).mean(1)
    if name == "cosine":
        return 1 - F.cosine_similarity(z_hat.flatten(1), z.flatten(1), dim=1)
    raise UnknownNameError("feature distance", name, ["cosine", "mse"])


@dataclass(frozen=True)
class SearchConfig:
    """The hyper-parameters both white-box attacks share."""

    lr: float = 0.05
    iterations: int | None = None  # None: the suite scale's iterations
    distance: str = "mse"
    tv_weight: float = 2.0  # against a feature loss on standardised activations
    select: str = "best_feature"  # or "last"; never a comparison with the private image
    batch_size: int = 64  # images inverted at once


def invert(
    client: nn.Module,
    z: Tensor,
    images: nn.Module,
    inputs: Tensor,
    settings: SearchConfig,
    iterations: int,
    standardize: Standardizer,
    *,
    input_noise: float = 0.0,
    anchor: tuple[Tensor, float] | None = None,
    progress: bool = False,
    desc: str = "inversion",
    monitor: Monitor | None = None,
    reports: int = 10,
) -> Tensor:
    """Optimise ``images(inputs)`` so that ``client(images(...))`` matches ``z``.

    Args:
        client: the white-box client (x -> z), frozen here.
        z: (B, ...) the released activations to match.
        standardize: attack_train's standardisation: activations are matched in it, so the
            scale or offset the defense gives z changes nothing.
        images: a module mapping ``inputs`` to candidate images (B, 3, H, W) in [0, 1].
        inputs: its fixed input (noise for a generator; ignored by a pixel parametrisation).
        input_noise: std of noise added to ``inputs`` at each step, annealed linearly to 0.
        anchor: (images, weight): a penalty of ``weight`` times the mean squared distance to
            those images (the hybrid attack's decoder reconstructions), none when None.
        monitor: shown the current choice ``reports`` times along the search (for pruning).

    Returns:
        (B, 3, H, W) the iterate chosen by ``settings.select``, using only the feature loss.
    """
    if settings.select not in ("best_feature", "last"):
        raise UnknownNameError("selection rule", settings.select, ["best_feature", "last"])
    client.eval().requires_grad_(False)
    released, target = released_channels(z), standardize(z)
    optimiser = torch.optim.Adam(images.parameters(), lr=settings.lr)
    best = torch.full((len(z),), float("inf"), device=z.device)
    chosen: Tensor | None = None
    for step in tqdm(range(iterations), desc=desc, disable=None if progress else True, leave=False):
        scale = input_noise * (1 - step / iterations)
        # Noise drawn in the default layout: randn_like of a channels-last input is 8x slower.
        if scale:
            inputs_now = inputs + scale * torch.randn(
                inputs.shape, device=inputs.device, dtype=inputs.dtype
            )
        else:
            inputs_now = inputs
        x = images(inputs_now)
        feature_loss = feature_distance(settings.distance, standardize(client(x)), target, released)
        tv = kornia.losses.total_variation(x, reduction="mean").mean(1)
        loss = feature_loss + settings.tv_weight * tv
        if anchor is not None:
            loss = loss + anchor[1] * (x - anchor[0]).pow(2).flatten(1).mean(1)
        loss = loss.sum()
        with torch.no_grad():
            improved = feature_loss < best
            if chosen is None or settings.select == "last":
                chosen = x.detach().clone()
            else:
                chosen[improved] = x.detach()[improved]
            best = torch.where(improved, feature_loss.detach(), best)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        if monitor is not None and (step + 1) % max(1, iterations // reports) == 0:
            monitor(step + 1, chosen.cpu())
    if settings.select == "last" or chosen is None:
        with torch.no_grad():
            chosen = images(inputs)
    return chosen.detach()


class Pixels(nn.Module):
    """Images parametrised directly: sigmoid of free logits, starting from grey or from
    ``start`` (B, 3, H, W) in [0, 1]."""

    def __init__(self, batch: int, image_size: int, start: Tensor | None = None) -> None:
        super().__init__()
        logits = torch.zeros(batch, 3, image_size, image_size)
        if start is not None:
            logits = torch.logit(start.float().cpu(), eps=1e-4)
        self.logits = nn.Parameter(logits)

    def forward(self, _: Tensor) -> Tensor:
        return torch.sigmoid(self.logits)


class _WhiteBox(Configured):
    """Shared by both white-box attacks: batching over attack_test and the report params."""

    target: ClassVar[TargetKind] = "input"
    requires: ClassVar[tuple[str, ...]] = ("client",)

    def _parametrise(
        self,
        batch: int,
        image_size: int,
        device: torch.device,
        start: Tensor | None,
    ) -> tuple[nn.Module, Tensor, float]:
        """(images module, its fixed input, input-noise std) for ``batch`` images, starting
        from ``start`` when the attack has starting images (see ``_starts``)."""
        raise NotImplementedError  # each white-box attack defines its image parametrisation

    def _starts(self, inputs: AttackInputs, count: int) -> Tensor | None:
        """The images the search starts from, for the first ``count`` rows of z_test (None:
        the parametrisation's own start)."""
        return None

    def _anchor_weight(self) -> float:
        """The weight of the search's pull towards its starting images (0: none)."""
        return 0.0

    def run(self, inputs: AttackInputs) -> Reconstructions:
        client, target = inputs.client, inputs.target
        if client is None or not isinstance(target, InputTarget):
            raise CapabilityError(f"the {self.name} attack needs the white-box client.")
        device = next(client.parameters(), torch.empty(0)).device
        image_size = target.image_size
        z_test = inputs.z_test[: inputs.budget.invert_images]
        starts = self._starts(inputs, len(z_test))
        seed_everything(inputs.seed)  # after the starts, which may be trained or memoised
        standardize = inputs.standardize
        weight = self._anchor_weight()
        parts = []
        for start in range(0, len(z_test), self.config.batch_size):
            z = z_test[start : start + self.config.batch_size].to(device)
            begin = None if starts is None else starts[start : start + len(z)].to(device)
            images, fixed_input, input_noise = self._parametrise(len(z), image_size, device, begin)
            parts.append(
                invert(
                    client,
                    z,
                    images,
                    fixed_input,
                    self.config,
                    self.config.iterations or inputs.budget.iterations,
                    standardize,
                    input_noise=input_noise,
                    anchor=(begin, weight) if begin is not None and weight > 0 else None,
                    progress=inputs.progress,
                    desc=f"{self.name} attack",
                    monitor=inputs.monitor if start == 0 else None,  # the first batch shows
                ).cpu()
            )
        return Reconstructions(torch.cat(parts), self.params())


class _FromStarts(_WhiteBox):
    """A white-box search from images its attack draws first (``_starts``): in pixel space by
    default, pulled towards them by ``config.anchor_weight``."""

    def _anchor_weight(self) -> float:
        return self.config.anchor_weight

    def _parametrise(
        self,
        batch: int,
        image_size: int,
        device: torch.device,
        start: Tensor | None,
    ) -> tuple[nn.Module, Tensor, float]:
        assert start is not None  # _starts always gives one
        return Pixels(batch, image_size, start).to(device), torch.zeros(0, device=device), 0.0


@attacks.register("likelihood")
class LikelihoodAttack(_WhiteBox):
    """Deep-image-prior likelihood maximisation through the defense's white-box client."""

    name: ClassVar[str] = "likelihood"
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-3, 5e-2, log=True),
        "tv_weight": SearchParam(0.03, 10.0, log=True),
        "distance": SearchParam(choices=("mse", "cosine")),
    }

    @dataclass(frozen=True)
    class Config(SearchConfig):
        lr: float = 0.01
        tv_weight: float = 0.3
        batch_size: int = 32
        input_noise: float = 0.03  # std of the noise added to the generator's input, annealed
        width: int = 16  # channels of each generator

    def _parametrise(
        self,
        batch: int,
        image_size: int,
        device: torch.device,
        start: Tensor | None,
    ) -> tuple[nn.Module, Tensor, float]:
        # Channels-last: the CPU's grouped convolutions run about a third faster in it.
        generator = GroupedSkipGenerator(batch, image_size, self.config.width).to(
            device, memory_format=torch.channels_last
        )
        return generator.train(), generator_input(generator, device), self.config.input_noise


@attacks.register("inversion")
class InversionAttack(_WhiteBox):
    """Pixel-space inversion with a total-variation prior: cheaper, a lower bar."""

    name: ClassVar[str] = "inversion"
    search_space: ClassVar[dict[str, SearchParam]] = {
        "lr": SearchParam(1e-2, 0.2, log=True),
        "tv_weight": SearchParam(0.05, 20.0, log=True),
    }

    Config = SearchConfig

    def _parametrise(
        self,
        batch: int,
        image_size: int,
        device: torch.device,
        start: Tensor | None,
    ) -> tuple[nn.Module, Tensor, float]:
        return Pixels(batch, image_size).to(device), torch.zeros(0, device=device), 0.0
