"""Identity leakage: ranking reconstructions among the originals, by the real face model (dlib's
ResNet from face-recognition-models) on real faces, and by pixel distance."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.transforms.functional import gaussian_blur, rgb_to_grayscale

from privattack import faces
from privattack.data import open_dataset
from privattack.metrics import identity, measured
from privattack.metrics.identity import face_embeddings, face_matches, pixel_matches, rank_sources


@pytest.fixture(scope="module")
def real_faces() -> torch.Tensor:
    """100 bundled FairFace faces at 64 px."""
    return open_dataset("fairface").images(range(100), 64)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(2, 40),
    st.integers(1, 16),
    st.integers(0, 2**31 - 1),
)
def test_a_gallery_ranked_against_itself_is_all_top1(n: int, dim: int, seed: int) -> None:
    gallery = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))
    matches = rank_sources(gallery, gallery)
    assert matches.within(1).tolist() == [1.0] * n
    assert matches.distances.abs().max() == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 30), st.integers(0, 2**31 - 1))
def test_ranks_count_the_gallery_entries_nearer_than_the_source(n: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    gallery = torch.randn(n, 4, generator=generator)
    queries = torch.randn(n, 4, generator=generator)
    ranks = rank_sources(queries, gallery).ranks
    distances = torch.cdist(queries.double(), gallery.double())
    expected = [(distances[i] < distances[i, i]).sum().item() for i in range(n)]
    assert ranks.tolist() == expected
    assert ranks.min() >= 0 and ranks.max() <= n - 1


def test_a_prefix_of_queries_ranks_among_the_whole_gallery() -> None:
    gallery = torch.eye(5)
    matches = rank_sources(gallery[:2] * 0.9, gallery)
    assert matches.ranks.tolist() == [0, 0]
    with pytest.raises(ValueError, match="6 queries, but only 5"):
        rank_sources(torch.zeros(6, 5), gallery)


def test_pixel_identifiability_of_real_faces(real_faces: torch.Tensor) -> None:
    assert pixel_matches(real_faces, real_faces).within(1).mean() == 1
    noisy = (real_faces + 0.1 * torch.randn_like(real_faces)).clamp(0, 1)
    assert pixel_matches(noisy, real_faces).within(1).mean() == 1
    mean = real_faces.mean(0, keepdim=True).expand_as(real_faces)
    assert pixel_matches(mean, real_faces).within(1).sum() <= 1  # one face is nearest the mean


@pytest.mark.usefixtures("face_model")
def test_the_face_model_recognises_real_faces_through_blur_and_colour(
    real_faces: torch.Tensor,
) -> None:
    """The face model knows people, not pixels: itself top-1, a blurred or grey copy far above
    chance (1 in 64), another person's face and noise at chance."""
    gallery = real_faces[:64]
    assert face_matches(gallery, gallery).within(1).mean() == 1
    blurred = gaussian_blur(gallery, kernel_size=7, sigma=1.0)
    assert face_matches(blurred, gallery).within(1).mean() > 0.5
    grey = rgb_to_grayscale(gallery, num_output_channels=3)
    assert face_matches(grey, gallery).within(5).mean() > 0.5
    embedded = face_embeddings(gallery)
    others = rank_sources(embedded.roll(1, dims=0), embedded)  # another person's face each
    assert others.within(1).mean() == 0
    noise = torch.rand(gallery.shape, generator=torch.Generator().manual_seed(0))
    assert face_matches(noise, gallery).within(5).mean() < 0.25


def test_face_metrics_only_where_there_are_faces_and_the_model() -> None:
    chosen, skipped = measured("input", of_faces=False)
    assert [m.name for m in chosen] == ["ssim", "psnr", "l1", "iip_top1"] and skipped == {}
    assert [m.name for m in measured("attribute", of_faces=True)[0]] == [
        "accuracy",
        "balanced_accuracy",
        "advantage",
    ]


@pytest.mark.usefixtures("face_model")
def test_without_the_face_model_its_metrics_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert [m.name for m in measured("input", of_faces=True)[0]][3:6] == [
        "reid_top1",
        "reid_top5",
        "same_person",
    ]
    with monkeypatch.context() as without:
        without.setattr(faces, "_model_file", lambda: None)
        chosen, skipped = measured("input", of_faces=True)
    assert "reid_top1" not in [m.name for m in chosen]
    assert set(skipped) == {
        "reid_top1", "reid_top5", "same_person", "attributes_kept", "attributes_read"
    }  # fmt: skip
    assert "pip install 'privattack[faces]'" in skipped["reid_top1"]
    monkeypatch.setenv("PRIVATTACK_FACES", "off")
    assert "turned off (PRIVATTACK_FACES=off)" in measured("input", of_faces=True)[1]["reid_top1"]


@pytest.mark.usefixtures("face_model")
def test_a_gallery_is_embedded_once_and_kept_whole_on_disk(
    real_faces: torch.Tensor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every defense on a suite and seed shares attack_test, so its embeddings are kept in the
    cache and read back without the face model; a torn file is never read, but recomputed."""
    monkeypatch.setenv("PRIVATTACK_CACHE", str(tmp_path))
    monkeypatch.setattr(identity, "_EMBEDDINGS", OrderedDict())
    gallery = real_faces[:8]
    first = face_embeddings(gallery, store=True)
    (stored,) = (tmp_path / "faces").glob("*.safetensors")
    identity._EMBEDDINGS.clear()
    with monkeypatch.context() as no_model:
        no_model.setattr(faces, "embed_chips", _must_not_run)
        assert torch.equal(face_embeddings(gallery, store=True), first)
    stored.write_bytes(b"torn")
    identity._EMBEDDINGS.clear()
    assert torch.equal(face_embeddings(gallery, store=True), first)
    assert torch.equal(face_embeddings(gallery[:4]), first[:4])  # not stored: no second file
    assert len(list((tmp_path / "faces").iterdir())) == 1


def _must_not_run(chips: object) -> None:
    raise AssertionError("the stored embeddings should have been read")
