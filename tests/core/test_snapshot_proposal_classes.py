"""Live snapshots "with proposals" follow the one rule of every proposal path: a model whose
classes differ from the dataset's proposes nothing, and the frame is saved all the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from renamed_weights import renamed_weights

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.proposals import PROPOSALS_DIR, load_proposals
from penguin_studio.core.inference.detector import load_detector
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.snapshot import save_snapshot

pytestmark = pytest.mark.slow

FRAME = np.random.default_rng(3).integers(0, 255, (96, 128, 3), dtype=np.uint8)


def snapshot_with(tiny_dataset: Path, tiny_weights: Path, tmp_path: Path, names: list[str]):
    """A snapshot with proposals as the Live panel takes one (the shown boxes and the model's
    class names), from a copy of the tiny model whose classes are called ``names``."""
    dataset = open_dataset(tiny_dataset)
    weights = renamed_weights(tiny_weights, tmp_path / "renamed.pt", names)
    detector = load_detector(weights)
    dets = filter_detections(detector.raw(FRAME), 0.0001, 0.7, nms=detector.nms)
    assert len(dets) > 0, "the tiny model must propose something at this confidence"
    report = save_snapshot(dataset, FRAME, dets, list(detector.names), str(weights), 0.0001)
    return dataset, dets, report


def test_a_model_of_other_classes_saves_the_frame_without_proposals(
        tiny_dataset: Path, tiny_weights: Path, tmp_path: Path) -> None:
    dataset, _dets, report = snapshot_with(tiny_dataset, tiny_weights, tmp_path,
                                           ["penguin", "seal"])
    assert report.image.is_file(), "the user's frame is never lost"
    assert report.proposals is None and report.boxes == 0
    assert not (dataset.root / PROPOSALS_DIR).exists()
    assert load_proposals(report.image, dataset.root) is None
    assert report.refused.startswith("This model's classes (penguin, seal) differ from the "
                                     "dataset's (penguin, rock): the model lacks rock; the "
                                     "dataset has no seal.")
    line = report.message()
    assert "without proposals" in line and report.refused in line and "\n" not in line


def test_the_same_classes_in_another_order_are_mapped_by_name(
        tiny_dataset: Path, tiny_weights: Path, tmp_path: Path) -> None:
    dataset, dets, report = snapshot_with(tiny_dataset, tiny_weights, tmp_path,
                                          ["rock", "penguin"])
    assert not report.refused and report.boxes == len(dets)
    props = load_proposals(report.image, dataset.root)
    assert [p.cls for p in props.proposals] == [1 - int(c) for c in dets.cls.tolist()]
    assert "matched to the dataset's by name" in report.message()


def test_without_a_model_the_refusal_says_a_model_is_missing(tiny_dataset: Path) -> None:
    """No model (no class names): the line says what is missing and what to do, not that
    "this model's classes (none) differ" from the dataset's."""
    dataset = open_dataset(tiny_dataset)
    report = save_snapshot(dataset, FRAME, Detections.empty(), None)
    assert report.image.is_file() and report.proposals is None
    line = report.message()
    assert "No model was loaded" in line and "start Live with a model" in line
    assert "(none)" not in line and "differ" not in line
