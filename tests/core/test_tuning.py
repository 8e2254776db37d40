"""Hyperparameter tuning for real: ultralytics' tuner in the supervised child, tiny data."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import yaml

from penguin_studio import cli
from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.training import tuning
from penguin_studio.core.training.config import TrainConfig, load_hyp_file
from penguin_studio.core.training.tune_job import run_tuning

FAST = ["--epochs", "1", "--imgsz", "64", "--batch", "4", "--cache", "none", "--device", "cpu"]


@pytest.mark.slow
def test_two_iterations_give_a_hyp_file_that_train_accepts(tiny_dataset: Path,
                                                           capsys) -> None:
    assert cli.main(["tune", "--data", str(tiny_dataset), "--model", "yolov8n.yaml",
                     "--iterations", "2", *FAST]) == 0
    out = capsys.readouterr().out
    tune_dir = tiny_dataset.parent / "runs" / "tune-scratch"
    assert [i.iteration for i in tuning.read_iterations(tune_dir)] == [1, 2]
    assert "iteration 2/2" in out and "Changed from ultralytics' defaults" in out
    assert "optimizer" in out and "auto -> AdamW" in out
    best = tune_dir / tuning.BEST_HYP
    hyp = load_hyp_file(best)  # what the wizard's Load hyperparameter YAML runs
    assert hyp["optimizer"] == "AdamW" and set(tuning.SPACES["scratch"]) <= set(hyp)
    assert "# Changed from ultralytics' defaults" in best.read_text()
    assert cli.main(["train", "--data", str(tiny_dataset), "--mode", "scratch", "--hyp",
                     str(best), "--print-config", *FAST]) == 0
    assert f"cfg={best}" in capsys.readouterr().out
    events = [e["type"] for e in _events(tune_dir)]
    assert events.count("iteration_start") == 2 and events.count("iteration") == 2


def _events(tune_dir: Path) -> list[dict]:
    from penguin_studio.core.training.events import EVENTS_FILE, read_events

    return read_events(tune_dir / EVENTS_FILE)


@pytest.mark.slow
def test_stopping_mid_search_keeps_the_finished_iterations(tiny_dataset: Path) -> None:
    config = tuning.TuneConfig(
        train=TrainConfig.for_mode("scratch", tiny_dataset, epochs=1, imgsz=64, batch=4,
                                   cache="none", device="cpu"), iterations=5)
    holder: dict = {}
    stopped_at: list[float] = []

    def on_event(event: dict) -> None:
        if event["type"] == "iteration_start" and event["iteration"] == 2:
            holder["proc"].stop()  # iteration 1 is done, iteration 2 has started training
            stopped_at.append(time.monotonic())

    steps: list[tuple] = []
    ctx = JobContext(progress=lambda *step: steps.append(step))
    outcome = run_tuning(config, on_event=on_event, ctx=ctx,
                         on_started=lambda p: holder.update(proc=p))
    assert outcome.status == "stopped", outcome.message
    assert steps == [(1, 5, "iteration 1/5")]  # training's own watch loop, per iteration
    assert time.monotonic() - stopped_at[0] < 20  # the iteration in progress was ended
    tune_dir = outcome.run_dir
    assert [i.iteration for i in tuning.read_iterations(tune_dir)] == [1]
    assert holder["proc"].iterations_done == 1
    assert load_hyp_file(tune_dir / tuning.BEST_HYP)["optimizer"] == "AdamW"


def test_finetune_space_leaves_the_optimizer_alone(tiny_dataset: Path) -> None:
    config = tuning.TuneConfig(train=TrainConfig.for_mode("finetune", tiny_dataset,
                                                          weights="x.pt"))
    assert set(config.search_space()) == {"lr0", "lrf", "momentum", "weight_decay",
                                          "warmup_epochs"}
    kwargs = config.tune_kwargs()
    assert kwargs["optimizer"] == "SGD" and "optimizer" not in kwargs["space"]


def test_a_tuned_hyp_file_wins_over_the_finetune_preset(tmp_path: Path) -> None:
    hyp = tmp_path / "best_hyp.yaml"
    hyp.write_text("optimizer: SGD\nlr0: 0.0042\nmomentum: 0.8\n")
    config = TrainConfig.for_mode("finetune", tmp_path / "data.yaml", weights="w.pt",
                                  hyp=str(hyp))
    assert config.lr0 is None and config.warmup_epochs == 1.0  # untuned preset keys stay
    assert dict((k, v) for k, _d, v in config.changed_hyperparameters())["lr0"] == 0.0042


@pytest.mark.parametrize("text, words", [
    ("lr0: [0.0001, 0.01]\nlearning_rate: [0.1, 0.2]\n", "unknown hyperparameter 'learning_rate'"),
    ("lr0: [0.01, 0.0001]\n", "'lr0' range [0.01, 0.0001] is impossible"),
    ("mosaic: [0.5, 2.0]\n", "'mosaic' range [0.5, 2] is outside"),
    ("epochs: [1, 5]\n", "'epochs' cannot be tuned"),
    ("lr0: [0.0001, 0.01\nlrf: [0.01, 0.5]\n", "line 1: a [ list ] opened here is not closed"),
    ("lr0: fast\n", "'lr0' must be [min, max]"),
])
def test_a_bad_search_space_is_refused_by_name_before_anything_starts(
        tiny_dataset: Path, tmp_path: Path, capsys, text: str, words: str) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(text)
    t0 = time.perf_counter()
    assert cli.main(["tune", "--data", str(tiny_dataset), "--space", str(space)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "space.yaml" in err[0]
    assert time.perf_counter() - t0 < 5
    assert not (tiny_dataset.parent / "runs").exists()


def test_tuning_without_a_validation_split_says_it_needs_one(tiny_dataset: Path,
                                                            capsys) -> None:
    data = yaml.safe_load(tiny_dataset.read_text())
    data.pop("val")
    tiny_dataset.write_text(yaml.safe_dump(data))
    assert cli.main(["tune", "--data", str(tiny_dataset)]) == 1
    err = capsys.readouterr().err.strip()
    assert "no validation split, and tuning needs one" in err and len(err.splitlines()) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ray_address_fails_in_one_line_within_ten_seconds(
        tiny_dataset: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "ray_installed", lambda: True)  # the check comes first
    address = f"127.0.0.1:{_closed_port()}"
    t0 = time.perf_counter()
    assert cli.main(["tune", "--data", str(tiny_dataset), "--ray", "--ray-address",
                     address]) == 1
    assert time.perf_counter() - t0 < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"Cannot reach the Ray cluster at {address}" in err[0]
    assert not (tiny_dataset.parent / "runs").exists()  # nothing started, nothing left


def test_an_address_that_is_not_a_ray_head_fails_within_ten_seconds(tiny_dataset: Path,
                                                                     capsys) -> None:
    """Something listens there (a proxy, another server), but it is not Ray: ray.init
    would retry for 20 s and more; the child gives up after a few seconds and exits."""
    pytest.importorskip("ray")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    address = f"127.0.0.1:{server.getsockname()[1]}"
    t0 = time.perf_counter()
    try:
        assert cli.main(["tune", "--data", str(tiny_dataset), "--ray", "--ray-address",
                         address, "--model", "yolov8n.yaml"]) == 1
    finally:
        server.close()
    assert time.perf_counter() - t0 < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"Cannot connect to the Ray cluster at {address}" in err[0]


def test_ray_missing_says_how_to_get_it(tiny_dataset: Path, capsys,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "ray_installed", lambda: False)
    assert cli.main(["tune", "--data", str(tiny_dataset), "--ray"]) == 1
    assert 'pip install "penguin-studio[cluster]"' in capsys.readouterr().err


def test_check_space_accepts_ultralytics_format() -> None:
    assert tuning.check_space({"lr0": [1e-5, 1e-2], "momentum": (0.7, 0.98, 0.3)}) == {
        "lr0": (1e-5, 1e-2), "momentum": (0.7, 0.98, 0.3)}
    with pytest.raises(UserError, match="gain"):
        tuning.check_space({"momentum": [0.7, 0.98, 2]})


@pytest.mark.slow
def test_a_two_trial_ray_search_runs_locally(tiny_dataset: Path, capsys) -> None:
    """Ray Tune through ultralytics' use_ray=True, on a local Ray instance (53 s here)."""
    pytest.importorskip("ray.tune")
    assert cli.main(["tune", "--data", str(tiny_dataset), "--model", "yolov8n.yaml",
                     "--iterations", "2", "--ray", *FAST]) == 0
    out = capsys.readouterr().out
    assert "2 iterations with Ray Tune" in out and "iteration 2/2" in out
    tune_dir = tiny_dataset.parent / "runs" / "tune-scratch"
    found = tuning.read_iterations(tune_dir)
    assert len(found) == 2 and all(set(i.hyperparameters) == set(tuning.SPACES["scratch"])
                                   for i in found)
    assert load_hyp_file(tune_dir / tuning.BEST_HYP)["optimizer"] == "AdamW"
    trials = [p for p in tune_dir.glob("ray_*") if (p / "args.yaml").is_file()]
    assert len(trials) == 2  # each trial's run stays inside the search folder


def test_the_time_budget_starts_no_iteration_that_would_overrun(tiny_dataset: Path) -> None:
    from penguin_studio.core.training.tune_child import Search, SearchStopped

    config = tuning.TuneConfig(train=TrainConfig.for_mode("scratch", tiny_dataset),
                               iterations=10, time=1.0, tune_dir=str(tiny_dataset.parent))
    events: list[dict] = []
    search = Search(config, events.append)
    search.before_iteration({"lr0": 0.001})  # the first always starts
    search.t0 -= 40 * 60  # 40 minutes gone...
    search._iteration_t0 -= 25 * 60  # ...and an iteration takes 25: 65 > 60
    with pytest.raises(SearchStopped, match="time budget spent"):
        search.before_iteration({"lr0": 0.002})
    assert [e["type"] for e in events] == ["iteration_start"]
    search.stop.set()
    with pytest.raises(SearchStopped, match="stopped"):
        search.before_iteration({"lr0": 0.002})


def test_ray_trials_get_a_gpu_when_the_run_asks_for_one(tiny_dataset: Path) -> None:
    def gpus(device, given=None):
        train = TrainConfig.for_mode("scratch", tiny_dataset, device=device)
        config = tuning.TuneConfig(train=train, ray=True, gpu_per_trial=given,
                                   tune_dir=str(tiny_dataset.parent / "t"))
        kwargs = config.ray_kwargs()
        assert kwargs["project"] == str(tiny_dataset.parent / "t") and kwargs["resume"]
        return kwargs["gpu_per_trial"]

    assert (gpus("cpu"), gpus(None), gpus("0"), gpus("0", 2)) == (0, 0, 1, 2)


def test_every_training_yaml_tells_a_yaml_mistake_in_the_same_plain_words(
        tmp_path: Path) -> None:
    """Search spaces, hyperparameter files, tuning configs, best_hyp.yaml and architecture
    YAMLs all go through one reader: datayaml's words, with the file and the line."""
    from penguin_studio.core.training import architectures

    broken = "lr0: [0.0001, 0.01\nlrf: 0.1\n"
    readers = {"space.yaml": tuning.load_space_file, "hyp.yaml": load_hyp_file,
               tuning.TUNE_CONFIG: tuning.TuneConfig.load, "best_hyp.yaml": tuning.best_hyp_diff,
               "mine.yaml": lambda p: architectures.model_yaml(str(p))}
    for name, read in readers.items():
        path = tmp_path / name
        path.write_text(broken)
        with pytest.raises(UserError) as caught:
            read(path)
        assert str(caught.value) == f"{name}, line 1: a [ list ] opened here is not closed " \
                                    f"with ']'.", name


@pytest.mark.parametrize("change, words", [
    ({"iterations": 0}, "iterations must be at least 1 (got 0)."),
    ({"time": -1.0}, "time must be a positive number of hours (got -1.0)."),
    ({"train_epochs": 0}, "epochs must be at least 1 (got 0)."),
    ({"train_time": 0.0}, "time must be a positive number of hours (got 0.0)."),
])
def test_a_run_and_a_search_check_counts_and_hours_with_the_same_rule(
        tmp_path: Path, change: dict, words: str) -> None:
    train = {k[6:]: v for k, v in change.items() if k.startswith("train_")}
    search = {k: v for k, v in change.items() if not k.startswith("train_")}
    config = tuning.TuneConfig(train=TrainConfig.for_mode("scratch", tmp_path / "d.yaml",
                                                          **train), **search)
    with pytest.raises(UserError) as caught:
        config.check()
    assert str(caught.value) == words


def test_iterations_and_the_run_index_skip_half_written_and_foreign_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from penguin_studio.core import appdirs
    from penguin_studio.core.training import runs

    (tmp_path / tuning.RESULTS_FILE).write_text(
        '{"iteration": 1, "fitness": 0.5, "hyperparameters": {"lr0": 0.01}}\n[1, 2]\n'
        '{"iteration": 2, "fitness": 0.7, "hyperpa')
    assert [(i.iteration, i.fitness) for i in tuning.read_iterations(tmp_path)] == [(1, 0.5)]
    monkeypatch.setattr(appdirs, "data_dir", lambda: tmp_path)
    data = tmp_path / "data.yaml"
    runs.remember_run(data, tmp_path / "run1")
    with open(tmp_path / runs.INDEX_FILE, "a", encoding="utf-8") as fh:
        key = json.dumps(runs.dataset_key(data))
        fh.write(f'"a string"\n{{"data": {key}}}\n{{"data": {key}, "ru')
    assert runs._indexed_runs(data) == [tmp_path / "run1"]
