"""Fixtures shared by the core tests that need more than the conftest above gives."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The walking-video model's recipe (yolov8n from scratch): two thirds of the compute of the
#: benchmark's (30 epochs, batch 16), good enough that tracking counts the walking video
#: exactly. Measured to fall short: 96 px (with or without mosaic, AdamW, no warm-up), every
#: 4th frame, 15 epochs: the walkers then score too low to count.
WALK_IMGSZ, WALK_EPOCHS, WALK_BATCH, WALK_EVERY = 128, 20, 8, 3


@pytest.fixture(scope="session")
def walk_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A detector for the walking-penguin video, trained once per session on frames of three
    other walking scenes (not the video it is tested on)."""
    from penguin_studio.core import engine
    from penguin_studio.core.sample_video import write_walk_dataset

    root = tmp_path_factory.mktemp("walk-train")
    data = write_walk_dataset(root / "frames", scenes=3, every=WALK_EVERY, seed=100)
    model = engine.ultralytics_module().YOLO("yolov8n.yaml")
    model.train(data=str(data), epochs=WALK_EPOCHS, imgsz=WALK_IMGSZ, batch=WALK_BATCH,
                device="cpu", workers=0, project=str(root / "runs"), name="walk",
                exist_ok=True, plots=False, verbose=False, amp=False, val=False, seed=0,
                deterministic=True)
    return root / "runs" / "walk" / "weights" / "last.pt"
