"""Adapters: torchvision and timm splits keep shapes, dtype and determinism; pretrained models
from ../shared/weights evaluate end to end on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import timm
import torch
import torchvision
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.feature_extraction import get_graph_node_names

import privattack

WEIGHTS = REPO.parent / "shared" / "weights"


def _weights(name: str) -> Path:
    path = WEIGHTS / name
    if not path.is_file():
        pytest.skip(f"needs {path} (../shared/weights); not present here")
    return path


torch.manual_seed(0)
RESNET = torchvision.models.resnet18().eval()
NODES = [n for n in get_graph_node_names(RESNET)[1] if n != "x"]
TIMM = timm.create_model("resnet18", pretrained=False).eval()


@given(st.sampled_from([*NODES, "layer1", "layer2", "layer3"]), st.integers(1, 3))
@settings(max_examples=15, deadline=None)
def test_torchvision_split_preserves_batch_dtype_and_determinism(node: str, batch: int) -> None:
    defense = privattack.adapters.torchvision(RESNET, node=node)
    x = torch.rand(batch, 3, 32, 32)
    first, second = defense.release(x), defense.release(x)
    assert first.shape[0] == batch and first.dtype == torch.float32
    assert first.device == x.device and torch.equal(first, second)
    assert privattack.capabilities(defense).client


@given(st.integers(0, 4), st.integers(1, 3))
@settings(max_examples=10, deadline=None)
def test_timm_split_preserves_batch_dtype_and_determinism(index: int, batch: int) -> None:
    defense = privattack.adapters.timm(TIMM, index=index)
    x = torch.rand(batch, 3, 32, 32)
    first = defense.release(x)
    assert first.shape[0] == batch and first.dtype == torch.float32
    assert torch.equal(first, defense.release(x))
    assert first.shape[1] == TIMM.feature_info[index]["num_chs"]


def test_adapters_normalise_and_never_train() -> None:
    defense = privattack.adapters.torchvision(RESNET, node="layer1")
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    stem = torch.nn.Sequential(RESNET.conv1, RESNET.bn1, RESNET.relu, RESNET.maxpool, RESNET.layer1)
    with torch.no_grad():
        assert torch.allclose(defense.release(x), stem((x - mean) / std), atol=1e-5)
    assert not any(p.requires_grad for p in defense.client.parameters())
    assert not defense.client.training
    with pytest.raises(privattack.ShapeError, match=r"must lie in \[0, 1\]"):
        defense.release(x * 255)


def test_unknown_split_points_list_the_valid_ones() -> None:
    with pytest.raises(privattack.UnknownNameError, match=r"Did you mean 'layer2'.*layer1"):
        privattack.adapters.torchvision(RESNET, node="layer22")
    with pytest.raises(privattack.UnknownNameError, match=r"feature stage.*Known: 0, 1, 2, 3, 4"):
        privattack.adapters.timm(TIMM, index=7)


def test_resnet20_checkpoint_matches_every_key() -> None:
    model = privattack.adapters.load_resnet20(_weights("resnet20-12fca82f.th"))
    assert sum(p.numel() for p in model.parameters()) == 269_722  # ResNet-20's 0.27M


@pytest.fixture(scope="module")
def mobilenet() -> torch.nn.Module:
    model = torchvision.models.mobilenet_v2()
    state = torch.load(_weights("mobilenet_v2-b0353104.pth"), weights_only=True)
    model.load_state_dict(state)
    return model.eval()


@pytest.mark.slow
def test_pretrained_mobilenet_leaks_less_when_cut_deeper(mobilenet: torch.nn.Module) -> None:
    ssim = {}
    for node in ("features.3", "features.14"):
        report = privattack.evaluate(
            privattack.adapters.torchvision(mobilenet, node=node),
            "fairface_input",
            scale="smoke",
            attacks=["decoder"],
            progress=False,
        )
        assert report.utility_source == "probe"
        ssim[node] = report.leakage["decoder"].ssim
    assert ssim["features.14"].ci[1] < ssim["features.3"].ci[0]


@pytest.mark.slow
def test_pretrained_cifar_resnet20_on_the_living_attribute() -> None:
    model = privattack.adapters.load_resnet20(_weights("resnet20-12fca82f.th"))
    defense = privattack.adapters.torchvision(
        model,
        node="layer3",
        mean=privattack.adapters.cifar_resnet.CIFAR_MEAN,
        std=privattack.adapters.cifar_resnet.CIFAR_STD,
    )
    report = privattack.evaluate(defense, "cifar10_attribute", scale="smoke", progress=False)
    assert report.utility.mean > 0.5  # a pretrained model: the probe reads the class off z
    assert report.leakage["attribute"].advantage.ci[0] > 0.1


@pytest.mark.slow
def test_pretrained_cifar_resnet20_leaks_less_when_cut_deeper() -> None:
    model = privattack.adapters.load_resnet20(_weights("resnet20-12fca82f.th"))
    ssim = {}
    for node in ("layer1", "layer3"):
        defense = privattack.adapters.torchvision(model, node=node)
        report = privattack.evaluate(
            defense, "cifar10_input", scale="smoke", attacks=["decoder"], progress=False
        )
        ssim[node] = report.leakage["decoder"].ssim
    assert ssim["layer3"].ci[1] < ssim["layer1"].ci[0]


def test_the_bundled_resnet20_is_served_at_its_real_accuracy() -> None:
    """The pretrained CIFAR-10 ResNet-20 ships with privattack: its client is white-box, its
    server predicts, and on CIFAR-10 test images it never saw it is as accurate as published
    for these JPEG copies (about 81%)."""
    from privattack.data import open_dataset

    data = open_dataset("cifar10", None)  # the bundled images: 2,000 of them are test images
    test = np.flatnonzero(data.partition == "test")[:500]
    defense = privattack.adapters.resnet20("layer2")
    assert privattack.capabilities(defense).predict and privattack.capabilities(defense).client
    with torch.no_grad():
        logits = defense.predict(defense.release(data.images(test, 32)))
    accuracy = (logits.argmax(1) == torch.from_numpy(data.label("class")[test])).float().mean()
    assert 0.75 < accuracy < 0.9
    assert "ResNet20 (CIFAR-10)" in repr(defense) and defense.name.endswith("@ layer2")
    with pytest.raises(privattack.UnknownNameError, match="no cut of ResNet-20 named 'layer4'"):
        privattack.adapters.resnet20("layer4")


def test_a_timm_model_by_name_without_weights_warns_loudly() -> None:
    with pytest.warns(UserWarning, match="RANDOM weights"):
        defense = privattack.adapters.timm("resnet18", index=1)
    assert defense.params["weights"] == "random"
