"""What the training and tuning children and their one watch loop share: the terminal
``error`` event, and the progress steps each kind of process reports."""

from __future__ import annotations

from pathlib import Path

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.child import error_event
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.core.training.job import TrainingProcess
from penguin_studio.core.training.tune_job import TuningProcess
from penguin_studio.core.training.tuning import TuneConfig


def test_a_user_error_is_its_message_alone() -> None:
    assert error_event(UserError("No dataset.")) == {"type": "error", "message": "No dataset.",
                                                     "user": True}


def test_a_bug_names_the_exception_and_keeps_the_traceback(capsys) -> None:
    try:
        raise ValueError("bad shape")
    except ValueError as exc:
        event = error_event(exc)
    assert event["message"] == "ValueError: bad shape" and event["user"] is False
    assert "raise ValueError" in event["detail"]
    assert "Traceback" in capsys.readouterr().err  # in train.log too


def test_a_training_steps_per_batch_and_a_search_per_iteration(tmp_path: Path) -> None:
    train = TrainConfig.for_mode("scratch", tmp_path / "data.yaml")
    training = TrainingProcess(tmp_path, train)
    assert training.progress({"type": "start", "epochs": 2, "batches": 3}) is None
    assert training.progress({"type": "batch", "epoch": 1, "batch": 2, "batches": 3,
                              "epochs": 2}) == (5, 6, "epoch 2/2")
    search = TuningProcess(tmp_path, TuneConfig(train=train, iterations=4))
    assert search.progress({"type": "tune_epoch", "iteration": 1}) is None
    assert search.progress({"type": "iteration", "iteration": 3,
                            "iterations": 4}) == (3, 4, "iteration 3/4")
