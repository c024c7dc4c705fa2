"""DISCO: Dynamic and Invariant Sensitive Channel Obfuscation (Singh et al., CVPR 2021).

Matches the paper (sections 3.3-3.5, 4): a pre-processing module whose spatial decoupler
splits the image into d x d tiles, resizes each back to H x W, convolves it with F = d^2
filters and averages them into one map per tile; ResNet-18 client blocks; a filter generating
network that scores each channel of the client activation per sample; a hard top-k channel
mask (pruning ratio R) trained with a straight-through gradient through a sigmoid at
temperature 0.03; two training phases, the second a min-max game in which the filter network
minimises rho * L_util - L_priv, the proxy adversary minimises L_priv, the server L_util and
the client only L_util. Trained with R drawn from a range, so ``steer(ratio=...)`` steers the
privacy-utility trade-off at inference without retraining.

Differs from the paper: Adam instead of SGD (small CPU budgets); a ReLU sits between the
decoupler's F filters and their average (averaging linear filters would collapse them into
one); the decoupler's tiles are d = 4 at 64 px by default (the paper: d = 8 at 112 px).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from privattack.errors import ArgumentError, CapabilityError, ShapeError, UnknownNameError
from privattack.protocol import LabelledImages, Task, TileLayout, TrainingBudget, check_images
from privattack.registry import defenses
from privattack.training import seed_everything, task_batches, train_for_task
from privattack.validate import flag, integer, number

from ._adversary import ProxyAdversary
from ._masking import apply_mask, kept_channels, straight_through_mask, top_k_mask
from ._resnet import CUTS, channels_after, shape_of, shape_state, split_resnet18

TEMPERATURE = 0.03


class SpatialDecoupler(nn.Module):
    """Pre-processing module: (B, 3, H, W) -> (B, d^2, H, W), one map per tile of a d x d grid.

    Toggled off it is a plain convolution with the same F = d^2 output channels, so the rest
    of the network is unchanged.
    """

    def __init__(self, grid: int, enabled: bool = True) -> None:
        super().__init__()
        self.grid, self.enabled = grid, enabled
        self.conv = nn.Conv2d(3, grid * grid, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        if not self.enabled:
            return F.relu(self.conv(x))
        batch, _, height, width = x.shape
        d = self.grid
        if height % d or width % d:
            raise ShapeError(
                f"the spatial decoupler needs images divisible by its grid d={d}; "
                f"got {height} x {width}."
            )
        h, w = height // d, width // d
        # One copy into channels-last tiles (B*d*d, 3, h, w): the convolution on d*d full-size
        # tiles per image is most of DISCO's client cost, and is faster on that layout.
        tiles = x.reshape(batch, 3, d, h, d, w).permute(0, 2, 4, 3, 5, 1).reshape(-1, h, w, 3)
        tiles = tiles.permute(0, 3, 1, 2)
        tiles = F.interpolate(tiles, size=(height, width), mode="bilinear", align_corners=False)
        maps = F.relu(self.conv(tiles)).mean(1)  # average across the F filters
        return maps.reshape(batch, d * d, height, width)


class FilterNetwork(nn.Module):
    """Scores each of the ``channels`` channels of the client activation, per sample."""

    def __init__(self, channels: int, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
            nn.Conv2d(width, width, 3, stride=2, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(width, channels),
        )

    def forward(self, activation: Tensor) -> Tensor:
        """(B, C, h, w) -> (B, C) channel scores."""
        return self.net(activation)


@defenses.register("disco")
class DiscoDefense:
    """DISCO: release the client activation with its sensitive channels pruned per sample.

    Args:
        cut: the last client block ("layer1" by default).
        ratio: pruning ratio R at inference: the fraction of channels pruned.
        ratio_range: the range R is drawn from in training (steerability).
        decoupler: whether the spatial decoupler is on (paper Fig. 6 toggles it).
        grid: d, the decoupler's tiles per side (F = d^2 filters).
        rho: weight of the utility loss against the privacy loss for the filter network.
        lr: Adam learning rate.
        image_size, num_classes: build the networks now instead of at ``fit``.
    """

    steerable = ("ratio",)  # knobs that change at inference without retraining

    def __init__(
        self,
        cut: str = "layer1",
        ratio: float = 0.6,
        ratio_range: tuple[float, float] = (0.5, 0.95),
        decoupler: bool = True,
        grid: int = 4,
        rho: float = 1.0,
        lr: float = 1e-3,
        image_size: int | None = None,
        num_classes: int | None = None,
    ) -> None:
        if cut not in CUTS:
            raise UnknownNameError("cut", cut, CUTS)
        caller = "the disco defense"
        number(ratio, "ratio", caller, 0.0, 1.0)
        if not isinstance(ratio_range, tuple | list) or len(ratio_range) != 2:
            raise ArgumentError(f"ratio_range must be (low, high), got {ratio_range!r}.")
        for bound in ratio_range:
            number(bound, "ratio_range", caller, 0.0, 1.0)
        integer(grid, "grid", caller, minimum=1)
        flag(decoupler, "decoupler", caller)
        number(rho, "rho", caller, 0.0, math.inf)
        number(lr, "lr", caller, 1e-12, math.inf)
        self.cut, self.ratio, self.ratio_range = cut, float(ratio), tuple(ratio_range)
        self.decoupler, self.grid, self.rho, self.lr = decoupler, grid, rho, lr
        self.params = {
            "cut": cut,
            "ratio": self.ratio,
            "ratio_range": list(self.ratio_range),
            "decoupler": decoupler,
            "grid": grid,
            "rho": rho,
            "lr": lr,
        }
        self._modules: nn.ModuleDict | None = None
        self.fitted = False
        if image_size is not None and num_classes is not None:
            self._build(image_size, num_classes)

    # -- networks ---------------------------------------------------------------------------
    def _build(self, image_size: int, num_classes: int) -> None:
        self._shape = shape_state(image_size, num_classes)
        body, server = split_resnet18(
            self.cut, image_size, num_classes, in_channels=self.grid * self.grid
        )
        self._modules = nn.ModuleDict(
            {
                "pre": SpatialDecoupler(self.grid, self.decoupler),
                "body": body,
                "filter": FilterNetwork(channels_after(self.cut)),
                "server": server,
            }
        ).eval()

    @property
    def modules(self) -> nn.ModuleDict:
        if self._modules is None:
            raise CapabilityError(
                "DISCO is not built yet: call fit(task, train, budget) or "
                "pass image_size= and num_classes=."
            )
        return self._modules

    @property
    def client(self) -> nn.Module:
        """Pre-processing module + client blocks (x -> activation before pruning), what a
        white-box adversary holds; it reads the mask off the released zeros."""
        return nn.Sequential(self.modules["pre"], self.modules["body"])

    @property
    def layout(self) -> TileLayout | None:
        """The decoupler's tiling, which tile-aware decoders exploit (None when it is off)."""
        return TileLayout(self.grid) if self.decoupler else None

    def steer(self, **knobs: float) -> DiscoDefense:
        """The same trained DISCO with steerable knobs set anew, e.g. ``steer(ratio=0.9)``:
        it releases at the new pruning ratio without retraining."""
        for knob in knobs:
            if knob not in self.steerable:
                raise UnknownNameError("steerable knob of DISCO", knob, self.steerable)
        number(knobs.get("ratio", self.ratio), "ratio", "DiscoDefense.steer", 0.0, 1.0)
        ratio = float(knobs.get("ratio", self.ratio))
        steered = copy.copy(self)
        steered.ratio = ratio
        steered.params = {**self.params, "ratio": ratio}
        return steered

    # -- inference ---------------------------------------------------------------------------
    def _device(self) -> torch.device:
        return next(self.modules.parameters()).device

    @torch.no_grad()
    def _activation_and_mask(self, x: Tensor) -> tuple[Tensor, Tensor]:
        self.modules.eval()
        activation = self.client(check_images(x).to(self._device()))
        scores = self.modules["filter"](activation)
        return activation, top_k_mask(scores, kept_channels(scores.shape[1], self.ratio))

    def mask(self, x: Tensor) -> Tensor:
        """The (B, C) hard channel mask DISCO applies to images ``x`` at its ratio."""
        return self._activation_and_mask(x)[1]

    def release(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W) in [0, 1] -> pruned activation (B, C, h, w)."""
        return apply_mask(*self._activation_and_mask(x))

    @torch.no_grad()
    def predict(self, z: Tensor) -> Tensor:
        """The server's task logits (B, K)."""
        server = self.modules["server"].eval()
        return server(z.to(self._device()))

    # -- training ----------------------------------------------------------------------------
    def fit(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        """Phase (i): client and server for utility; phase (ii): the min-max game."""
        self.fit_utility(task, train, budget)
        self._fit_filter(task, train, budget)
        self.modules.eval()
        self.fitted = True

    def fit_utility(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> nn.Module:
        """Phase (i) alone: build the networks and train pre-processing, client and server for
        the task, as the split trains. Returns the unpruned model (images -> task logits), which
        shows what the decoupler costs before any pruning."""
        seed_everything(budget.seed)
        self._build(task.image_size, task.num_classes)
        m = self.modules.to(budget.device)
        utility_model = nn.Sequential(m["pre"], m["body"], m["server"])
        return train_for_task(utility_model, task, train, budget, self.lr, "DISCO: fit (i)")

    def training_losses(
        self,
        x: Tensor,
        y: Tensor,
        secret: Tensor,
        adversary: ProxyAdversary,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """One batch of phase (ii): (L_util, L_priv, the released activation detached).

        The client's activation reaches the privacy term only detached, and the filter
        network scores a detached activation, so L_priv's gradient reaches the filter network
        alone (reversed in ``objective``) and never the client.
        """
        m = self.modules
        activation = m["body"](m["pre"](x))
        low, high = self.ratio_range
        ratio = low + (high - low) * torch.rand(len(x), generator=generator)
        keep = kept_channels(activation.shape[1], ratio)
        mask = straight_through_mask(m["filter"](activation.detach()), keep, TEMPERATURE)
        utility = F.cross_entropy(m["server"](apply_mask(activation, mask)), y)
        released = apply_mask(activation.detach(), mask)
        privacy = adversary.loss(released, secret)
        return utility, privacy, released.detach()

    def objective(self, utility: Tensor, privacy: Tensor) -> Tensor:
        """What the defense side minimises in phase (ii): rho * L_util - L_priv."""
        return self.rho * utility - privacy

    def _fit_filter(self, task: Task, train: LabelledImages, budget: TrainingBudget) -> None:
        m = self.modules
        with torch.no_grad():
            shape = m["body"](m["pre"](train.images[:2].to(budget.device))).shape[1:]
        adversary = ProxyAdversary(task, tuple(shape), self.lr, budget.device).train()
        defense_opt = torch.optim.Adam(m.parameters(), lr=self.lr)
        generator = torch.Generator().manual_seed(budget.seed)
        m.train()
        for x, y, secret in task_batches(task, train, budget, seed=budget.seed + 1000):
            utility, privacy, released = self.training_losses(x, y, secret, adversary, generator)
            defense_opt.zero_grad(set_to_none=True)
            self.objective(utility, privacy).backward()
            defense_opt.step()
            adversary.learn(released, secret)  # on the activation it was just shown

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Every client- and server-side weight, and the task shape they were built for."""
        return {**self.modules.state_dict(), "shape": self._shape}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load a ``state_dict`` (building the networks first, where its tensors lie, when
        DISCO is not built yet); DISCO is then fitted."""
        weights = {k: v for k, v in state.items() if k != "shape"}
        if self._modules is None:
            image_size, num_classes = shape_of(state["shape"])
            self._build(image_size, num_classes)
            self.modules.to(next(iter(weights.values())).device)
        self.modules.load_state_dict(weights)
        self.fitted = True

    def save_filter(self, path: str | Path) -> None:
        """Save the filter network alone (an expert filter for one sensitive target)."""
        save_file(
            {k: v.contiguous() for k, v in self.modules["filter"].state_dict().items()}, str(path)
        )

    def load_filter(self, path: str | Path) -> None:
        """Swap in an expert filter saved by ``save_filter`` (same client architecture)."""
        self.modules["filter"].load_state_dict(load_file(str(path), device=str(self._device())))
