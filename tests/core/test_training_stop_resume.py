"""Stop in the middle of an epoch, resume, finish: no epoch lost or repeated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.errors import UserError
from penguin_studio.core.training import runs
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.core.training.curves import Curves
from penguin_studio.core.training.job import TrainingProcess, run_training

pytestmark = pytest.mark.slow


def _epochs(run_dir: Path) -> list[float]:
    return runs.read_results(run_dir / "results.csv").get("epoch", [])


def test_stop_mid_epoch_then_resume_continues_without_gap(tiny_dataset: Path) -> None:
    config = TrainConfig.for_mode("scratch", tiny_dataset, epochs=3, imgsz=64, batch=2,
                                  cache="none", device="cpu", extra={"plots": False})
    holder: dict[str, TrainingProcess] = {}
    seen: list[dict] = []

    def on_event(event: dict) -> None:
        seen.append(event)
        if event["type"] == "batch" and (event["epoch"], event["batch"]) == (1, 2):
            holder["proc"].stop()  # epoch 2 of 3, batch 2 of 5

    first = run_training(config, on_event=on_event, on_started=lambda p: holder.update(proc=p))
    assert first.status == "stopped" and first.resumable
    batches = [(e["epoch"], e["batch"]) for e in seen if e["type"] == "batch"]
    # the batch in progress when the child read "stop" finished, then no more (the child may
    # already be one batch further when the line arrives)
    assert batches[-1] in ((1, 2), (1, 3))
    assert _epochs(first.run_dir) == [1.0]
    record = runs.load_run(first.run_dir)
    assert record.status == "stopped" and record.resumable

    resumed: list[dict] = []
    second = run_training(resume_dir=first.run_dir, on_event=resumed.append)
    assert second.status == "completed", second.message
    start = next(e for e in resumed if e["type"] == "start")
    assert start["start_epoch"] == 1  # the interrupted epoch runs again from its first batch
    assert _epochs(first.run_dir) == [1.0, 2.0, 3.0]
    assert runs.load_run(first.run_dir).status == "completed"

    curves = Curves.from_run(first.run_dir)  # what the monitor replays: continuous curves
    steps = curves.batch_step.values
    assert len(steps) == 15 and np.all(np.diff(steps) > 0)

    with pytest.raises(UserError, match="nothing to resume"):
        run_training(resume_dir=first.run_dir)
