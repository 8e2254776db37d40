"""The weights catalogue: one rule for "the newest model of this dataset" everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from penguin_studio.core import appdirs
from penguin_studio.core.training import runs


def _run(root: Path, name: str, stamp: int, recipe: str = "freeze", map50: float = 0.5,
         best: bool = True, purpose: str | None = None) -> Path:
    run = root / "runs" / name
    (run / "weights").mkdir(parents=True)
    (run / "args.yaml").write_text(yaml.safe_dump({"epochs": 1, "model": "x.pt"}))
    (run / runs.CONFIG_FILE).write_text(yaml.safe_dump({"mode": recipe}))
    if purpose:
        runs.mark_purpose(run, purpose)
    (run / "results.csv").write_text(f"epoch,{runs.MAP50},{runs.MAP}\n1,{map50},{map50 / 2}\n")
    (run / "weights" / ("best.pt" if best else "last.pt")).write_bytes(b"x")
    os.utime(run / "args.yaml", (stamp, stamp))
    return run


def _dataset(tmp_path: Path) -> Path:
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames: [a]\n")
    return tmp_path / "data.yaml"


def test_newest_model_is_the_most_recently_started_run(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    assert runs.newest_model(data) is None
    _run(tmp_path, "old", 1_000_000, "freeze", 0.9)
    new = _run(tmp_path, "new", 2_000_000, "finetune", 0.2)
    assert runs.newest_model(data) == new / "weights" / "best.pt"
    assert runs.newest_model(data, recipe="freeze") == tmp_path / "runs/old/weights/best.pt"
    assert runs.latest_weights(data, "freeze") == tmp_path / "runs/old/weights/best.pt"


def test_catalogue_lists_runs_newest_first_with_recipe_and_metric(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    _run(tmp_path, "a", 1_000_000, "freeze", 0.25)
    _run(tmp_path, "b", 2_000_000, "scratch", 0.5, best=False)  # stopped early: last.pt
    _run(tmp_path, "c", 3_000_000, "freeze", 0.75, purpose=runs.PROPOSAL)
    entries = runs.weights_catalogue(data, include_models=False)
    assert [e.name for e in entries] == ["c", "b", "a"]
    assert entries[1].path.name == "last.pt"
    assert entries[0].label() == "c (freeze, proposal model, mAP50 0.750)"
    assert entries[2].map50 == 0.25 and entries[2].date == 1_000_000
    # a run with only last.pt is no finished model; proposal runs can be told apart
    assert runs.newest_model(data, recipe="scratch") is None
    assert runs.newest_model(data, proposal=False) == tmp_path / "runs/a/weights/best.pt"
    assert runs.newest_model(data, proposal=True) == tmp_path / "runs/c/weights/best.pt"


def test_catalogue_offers_imported_and_downloaded_models_after_the_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a home of its own: other tests import models into the session's shared home
    monkeypatch.setenv("PENGUIN_STUDIO_HOME", str(tmp_path / "home"))
    data = _dataset(tmp_path)
    _run(tmp_path, "a", 1_000_000)
    (appdirs.weights_dir() / "yolo11n.pt").write_bytes(b"x")
    (appdirs.weights_dir() / "colleague.pt").write_bytes(b"x")
    try:
        entries = runs.weights_catalogue(data)
        assert [(e.name, e.source) for e in entries] == [
            ("a", "run"), ("yolo11n.pt", "downloaded"), ("colleague.pt", "imported")]
    finally:
        for name in ("yolo11n.pt", "colleague.pt"):
            (appdirs.weights_dir() / name).unlink()
