"""A run that learned nothing is said to be useless, with advice from its own settings; a
planned run never reuses an existing folder; the settings diff shows the app's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from run_files import write_run

from penguin_studio.commands.train import _report
from penguin_studio.core.training import runs, verdict
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.core.training.job import Outcome
from penguin_studio.core.training.plan import plan_run


def test_learned_nothing_below_one_percent_map50() -> None:
    assert verdict.learned_nothing({runs.MAP50: 0.0})
    assert verdict.learned_nothing({runs.MAP50: 0.009})
    assert verdict.learned_nothing({runs.MAP50: float("nan")})
    assert verdict.learned_nothing({})  # no validation ever finished
    assert not verdict.learned_nothing({runs.MAP50: 0.05})


def test_advice_follows_the_runs_settings() -> None:
    short = " ".join(verdict.advice({"mode": "scratch", "epochs": 3, "imgsz": 64}))
    assert "more epochs than 3" in short and "pretrained" in short and "64 px" in short
    timed = " ".join(verdict.advice({"mode": "freeze", "time": 0.1, "imgsz": 640}))
    assert "time budget than 0.1 h" in timed
    assert "pretrained" not in timed and "image size" not in timed


def test_cli_warns_when_the_finished_model_learned_nothing(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data.yaml"
    useless = write_run(tmp_path / "runs", "useless", epochs_planned=3, maps=[0.0, 0.0, 0.0],
                        status="completed", data=data)
    assert _report(Outcome("completed", useless)) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: This model learned nothing useful") and err.count("\n") == 1
    good = write_run(tmp_path / "runs", "good", epochs_planned=3, maps=[0.3, 0.6, 0.9],
                     status="completed", data=data)
    assert _report(Outcome("completed", good)) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", [None, "mine"])
def test_a_plan_never_goes_into_an_existing_folder(tiny_dataset: Path, name) -> None:
    config = TrainConfig(data=str(tiny_dataset), name=name)
    first = plan_run(config, write=False)
    taken = Path(first.project) / first.name
    taken.mkdir(parents=True)  # a run that failed before ultralytics wrote args.yaml
    second = plan_run(config, write=False)
    assert second.name == f"{first.name}2"
    assert second.to_train_kwargs()["exist_ok"] is True  # safe: the folder is new


def test_settings_diff_lists_the_apps_own_run_defaults() -> None:
    rows = {k: (d, v) for k, d, v in TrainConfig.for_mode(
        "freeze", "/d.yaml", weights="yolov8n.pt").changed_settings()}
    assert rows["epochs"] == (100, 30) and rows["imgsz"] == (640, 416)
    assert rows["batch"] == (16, 8) and rows["cache"] == (False, "ram")
    assert rows["patience"] == (100, 15) and rows["freeze"] == (None, 10)
    assert "seed" not in rows  # 0 in both
