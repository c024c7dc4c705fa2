"""One supervised training loop (Adam, shuffled mini-batches, optional progress bar)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from kornia.augmentation import RandomHorizontalFlip
from torch import Tensor, nn
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from privattack.protocol import LabelledImages, Task, TrainingBudget


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global RNG (weight init) and return a generator for data order."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


class EarlyStopping:
    """Stops training once the score of the model's outputs on held-out pairs has not improved
    for ``patience`` epochs, and restores the weights of its best epoch (as Keras' and
    Lightning's early stopping with restore_best_weights). Records ``best_epoch`` and
    ``epochs_run``; ``score`` is higher-is-better (a NaN never counts as better)."""

    def __init__(
        self,
        inputs: Tensor,
        targets: Tensor,
        score: Callable[[Tensor, Tensor], float],
        patience: int,
    ) -> None:
        self.inputs, self.targets, self.score, self.patience = inputs, targets, score, patience
        self.best, self.best_epoch, self.epochs_run = -math.inf, 0, 0
        self._weights: dict[str, Tensor] | None = None

    def stop(self, model: nn.Module, epoch: int, device: str) -> bool:
        """Score ``model`` after ``epoch``; whether training should stop now."""
        self.epochs_run = epoch
        value = self.score(predict_batched(model, self.inputs, 256, device), self.targets)
        if value > self.best:
            self.best, self.best_epoch = value, epoch
            self._weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Put the best epoch's weights back (none scored: the last epoch's stay)."""
        if self._weights is not None:
            model.load_state_dict(self._weights)


def train_supervised(
    model: nn.Module,
    inputs: Tensor,
    targets: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    *,
    augment: Callable[[Tensor], Tensor] | None = None,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    desc: str = "train",
    on_epoch: Callable[[int], None] | None = None,
    early_stopping: EarlyStopping | None = None,
) -> nn.Module:
    """Fit ``model`` so that ``loss_fn(model(inputs), targets)`` falls; returns it in eval mode.

    Args:
        inputs: (N, ...) tensor fed to the model in shuffled batches.
        targets: (N, ...) matching targets.
        augment: applied to each input batch in training (e.g. a kornia augmentation).
        on_epoch: called with the epoch number (from 1) after each epoch.
        early_stopping: ends training before ``epochs`` (then at most) once its held-out score
            stops improving, and leaves the model at its best epoch.
    """
    generator = torch.Generator().manual_seed(seed)
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * ((len(inputs) + batch_size - 1) // batch_size)
    bar = tqdm(
        total=steps, desc=desc, disable=None if progress else True, leave=False
    )  # a TTY only
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), batch_size):
            idx = order[start : start + batch_size]
            if len(idx) < 2 and len(inputs) >= 2:  # BatchNorm needs two samples
                continue
            batch = inputs[idx].to(device)
            if augment is not None:
                batch = augment(batch)
            loss = loss_fn(model(batch), targets[idx].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        if on_epoch is not None:
            on_epoch(epoch)
        if early_stopping is not None and early_stopping.stop(model, epoch, device):
            break
    bar.close()
    if early_stopping is not None:
        early_stopping.restore(model)
    return model.eval()


@torch.no_grad()
def predict_batched(
    model: nn.Module, inputs: Tensor, batch_size: int, device: str = "cpu"
) -> Tensor:
    """``model`` applied to ``inputs`` in batches, in eval mode, results on the CPU."""
    model.eval()
    return torch.cat(
        [
            model(inputs[s : s + batch_size].to(device)).cpu()
            for s in range(0, len(inputs), batch_size)
        ]
    )


def train_for_task(
    model: nn.Module,
    task: Task,
    train: LabelledImages,
    budget: TrainingBudget,
    lr: float,
    desc: str,
) -> nn.Module:
    """Fit ``model`` (images -> task logits) to ``train``'s task labels within ``budget``, the
    way every built-in defense trains for utility: Adam, cross-entropy, horizontal flips."""
    return train_supervised(
        model,
        train.images,
        train.labels[task.task],
        F.cross_entropy,
        augment=RandomHorizontalFlip(),
        epochs=budget.epochs,
        batch_size=budget.batch_size,
        lr=lr,
        seed=budget.seed,
        device=budget.device,
        progress=budget.progress,
        desc=desc,
    )


def task_batches(
    task: Task, train: LabelledImages, budget: TrainingBudget, seed: int
) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
    """Every shuffled batch of every epoch as (images, task labels, secret) on the budget's
    device; the secret is the image itself in input suites, the sensitive label otherwise."""
    for epoch in range(budget.epochs):
        for x, labels in train.batches(budget.batch_size, shuffle=True, seed=seed + epoch):
            x = x.to(budget.device)
            secret = x if task.sensitive == "input" else labels[task.sensitive].to(budget.device)
            yield x, labels[task.task].to(budget.device), secret
