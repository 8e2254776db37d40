"""Tests for the synthetic sample dataset generator (no display, no torch)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from penguin_studio.core.sample import (
    CLASS_NAMES,
    MIN_VISIBLE_FRACTION,
    SPLITS,
    SampleDirNotEmpty,
    SampleReport,
    _resolve_occlusion,
    _Sprite,
    generate_sample,
    render_image,
)

N = 12  # small, but enough for every split and a few occluded objects


def _hashes(root: Path) -> dict[str, str]:
    """Digest of every generated image and label (data.yaml holds the absolute root)."""
    files = sorted(p for sub in ("images", "labels") for p in (root / sub).rglob("*")
                   if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleReport:
    return generate_sample(tmp_path_factory.mktemp("sample") / "ds", images=N, seed=3)


def test_same_seed_gives_identical_bytes(sample: SampleReport, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again", images=N, seed=3)
    assert _hashes(again.root) == _hashes(sample.root)
    assert len(_hashes(sample.root)) == 2 * N
    assert again.instances == sample.instances


def test_different_seed_gives_different_images(sample: SampleReport, tmp_path: Path) -> None:
    other = generate_sample(tmp_path / "other", images=N, seed=4)
    a, b = _hashes(sample.root), _hashes(other.root)
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a if k.endswith(".jpg"))


def test_counts_and_pairing(tmp_path: Path) -> None:
    done: list[tuple[int, int]] = []
    report = generate_sample(tmp_path / "ds", images=20, seed=0,
                             progress=lambda i, n: done.append((i, n)))
    assert done == [(i, 20) for i in range(1, 21)]
    assert report.images == {"train": 14, "val": 4, "test": 2}
    for split in SPLITS:
        imgs = sorted(p.stem for p in (report.root / "images" / split).glob("*.jpg"))
        lbls = sorted(p.stem for p in (report.root / "labels" / split).glob("*.txt"))
        assert imgs == lbls
        assert len(imgs) == report.images[split] > 0
    label_files = (report.root / "labels").rglob("*.txt")
    lines = [ln for p in label_files for ln in p.read_text().splitlines()]
    counted = {name: sum(ln.split()[0] == str(i) for ln in lines)
               for i, name in enumerate(CLASS_NAMES)}
    assert counted == report.instances
    assert all(v > 0 for v in report.instances.values())


def test_tiny_dataset_still_has_every_split(tmp_path: Path) -> None:
    report = generate_sample(tmp_path / "ds", images=3)
    assert report.images == {"train": 1, "val": 1, "test": 1}
    with pytest.raises(ValueError):
        generate_sample(tmp_path / "too-small", images=2)


def test_label_lines_are_valid(sample: SampleReport) -> None:
    labels = list((sample.root / "labels").rglob("*.txt"))
    assert labels
    for path in labels:
        text = path.read_text()
        assert text == "" or text.endswith("\n")
        for line in text.splitlines():
            fields = line.split()
            assert len(fields) == 5, line
            assert int(fields[0]) in range(len(CLASS_NAMES))
            assert all(len(f.split(".")[1]) == 6 for f in fields[1:]), line
            cx, cy, w, h = map(float, fields[1:])
            assert w > 0 and h > 0, line
            for lo, hi in ((cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)):
                assert -1e-6 <= lo < hi <= 1 + 1e-6, line


def test_images_decode_with_expected_size(sample: SampleReport) -> None:
    for path in (sample.root / "images").rglob("*.jpg"):
        img = cv2.imread(str(path))
        assert img is not None and img.ndim == 3
        assert 256 <= img.shape[1] <= 384 and 140 <= img.shape[0] <= 384


def test_boxes_lie_inside_the_image() -> None:
    for index in range(6):
        image, boxes = render_image(seed=1, index=index)
        h, w = image.shape[:2]
        for _cls, x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
            assert min(x1 - x0, y1 - y0) >= 4


def test_data_yaml(sample: SampleReport) -> None:
    data = yaml.safe_load(sample.data_yaml.read_text())
    assert "path" not in data  # relative to the yaml's folder: a copied project stays apart
    assert (data["train"], data["val"], data["test"]) == ("images/train", "images/val",
                                                          "images/test")
    assert data["names"] == dict(enumerate(CLASS_NAMES))


def test_data_yaml_opens_in_an_odd_folder_and_in_a_copy(tmp_path: Path) -> None:
    from penguin_studio.core.dataset import open_dataset

    root = tmp_path / "a: b # c 'd\""
    report = generate_sample(root, images=3)
    assert open_dataset(report.data_yaml).root == root.resolve()
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    ds = open_dataset(copy / "data.yaml")
    assert ds.root == copy and all(copy in p.parents for p in ds.images())


def test_refuses_non_empty_dir_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SampleDirNotEmpty, match="--force"):
        generate_sample(tmp_path, images=3)
    assert not (tmp_path / "images").exists()


def test_force_replaces_only_generated_files(tmp_path: Path) -> None:
    generate_sample(tmp_path, images=6, seed=1)
    (tmp_path / "notes.txt").write_text("mine")
    stale = tmp_path / "images" / "train" / "stale.jpg"
    stale.write_bytes(b"old")
    report = generate_sample(tmp_path, images=3, seed=2, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not stale.exists()
    assert sum(report.images.values()) == 3
    assert len(list((tmp_path / "images").rglob("*.jpg"))) == 3


def test_refuses_a_file_as_root(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(NotADirectoryError):
        generate_sample(target, images=3, force=True)


def test_objects_are_drawn_inside_their_boxes() -> None:
    """Dark penguin backs or rock pixels exist in each box: nothing labelled is invisible."""
    image, boxes = render_image(seed=0, index=0)
    assert boxes
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)
    for _cls, x0, y0, x1, y1 in boxes:
        assert np.ptp(gray[y0:y1, x0:x1]) > 30


def _square(cls: int, x: int, y: int, size: int, depth: float) -> _Sprite:
    alpha = np.ones((size, size), np.float32)
    return _Sprite(cls, np.zeros((size, size, 3), np.float32), alpha, x, y, depth)


def test_occlusion_gives_tight_visible_boxes_and_drops_hidden_objects() -> None:
    back = _square(0, 10, 10, 20, depth=1)  # right half covered by `front`
    hidden = _square(0, 42, 12, 10, depth=2)  # entirely behind `front`
    front = _square(1, 20, 5, 40, depth=3)
    cropped = _square(0, 90, 50, 20, depth=4)  # three quarters outside a 100x60 frame
    kept = _resolve_occlusion([back, hidden, front, cropped], w=100, h=60)
    boxes = [box for _sprite, box in kept]
    assert boxes == [(0, 10, 10, 20, 30), (1, 20, 5, 60, 45)]
    assert MIN_VISIBLE_FRACTION > 0.25  # why `cropped` is gone
