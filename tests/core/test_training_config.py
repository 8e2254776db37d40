"""TrainConfig, presets, planning and the CLI's fast refusals (no training, no torch)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from penguin_studio import cli
from penguin_studio.core.errors import UserError
from penguin_studio.core.training import architectures, runs
from penguin_studio.core.training.config import (
    FINETUNE_PRESET,
    TrainConfig,
    load_hyp_file,
    ultralytics_defaults,
)
from penguin_studio.core.training.curves import Curves, smooth
from penguin_studio.core.training.events import (
    ProgressTracker,
    decode,
    encode,
    format_duration,
)
from penguin_studio.core.training.plan import plan_run, ultralytics_data_yaml


def _cli(args: list[str], capsys) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    code = cli.main(args)
    return code, capsys.readouterr().err, time.perf_counter() - t0


# ----- the config itself ----------------------------------------------------------------------
def test_yaml_round_trip_keeps_every_field(tmp_path: Path) -> None:
    config = TrainConfig.for_mode("finetune", "/data/d.yaml", weights="/w/best.pt", epochs=12,
                                  time=0.5, device="0,1", extra={"mosaic": 0.5})
    config.save(tmp_path / "run.yaml")
    assert TrainConfig.load(tmp_path / "run.yaml") == config


def test_unknown_config_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text("data: d.yaml\nepochz: 3\n")
    with pytest.raises(UserError, match="unknown setting 'epochz'.*'epochs'"):
        TrainConfig.load(tmp_path / "run.yaml")


def test_kwargs_per_recipe() -> None:
    scratch = TrainConfig.for_mode("scratch", "/d.yaml", model="yolo11s.yaml", cache="none")
    kw = scratch.to_train_kwargs()
    assert scratch.model_source() == "yolo11s.yaml"
    assert kw["cache"] is False and "freeze" not in kw and "optimizer" not in kw

    freeze = TrainConfig.for_mode("freeze", "/d.yaml", weights="yolo11n.pt")
    assert freeze.to_train_kwargs()["freeze"] == 11
    v8 = TrainConfig.for_mode("freeze", "/d.yaml", weights="yolov8s.pt")
    assert v8.effective_freeze() == 10
    assert v8.copy(weights="x.pt", freeze=4).effective_freeze() == 4

    fine = TrainConfig.for_mode("finetune", "/d.yaml", weights="/w/best.pt")
    kw = fine.to_train_kwargs()
    assert {k: kw[k] for k in FINETUNE_PRESET} == FINETUNE_PRESET
    assert "freeze" not in kw
    assert kw["lr0"] == pytest.approx(ultralytics_defaults()["lr0"] / 10)


def test_yolo_command_is_the_same_run() -> None:
    config = TrainConfig.for_mode("finetune", "/my data/d.yaml", weights="/w/best.pt",
                                  project="/runs", name="ft")
    command = config.yolo_command()
    assert command.startswith("yolo detect train model=/w/best.pt ")
    assert "'data=/my data/d.yaml'" in command  # quoted for the shell
    for key, value in config.to_train_kwargs().items():
        if key != "data":
            assert f"{key}={value}" in command


def test_finetune_preset_shown_as_diff_against_ultralytics() -> None:
    rows = {k: (d, v) for k, d, v in TrainConfig.for_mode(
        "finetune", "/d.yaml", weights="w.pt").changed_hyperparameters()}
    assert rows["optimizer"] == ("auto", "SGD")
    assert rows["lr0"] == (0.01, 0.001)
    assert rows["warmup_epochs"] == (3.0, 1.0)


# ----- hyperparameter files -------------------------------------------------------------------
def test_unknown_hyperparameter_refused_with_its_name(tmp_path: Path, capsys) -> None:
    hyp = tmp_path / "hyp.yaml"
    hyp.write_text("lr0: 0.002\nmomentun: 0.9\n")
    with pytest.raises(UserError, match="unknown hyperparameter 'momentun'.*'momentum'"):
        load_hyp_file(hyp)
    data = tmp_path / "data.yaml"
    code, err, seconds = _cli(["train", "--data", str(data), "--hyp", str(hyp)], capsys)
    assert code == 1 and "'momentun'" in err and seconds < 2


def test_binary_hyp_file_and_folder_say_what_to_pick(tiny_dataset: Path, tmp_path: Path,
                                                     capsys) -> None:
    hyp = tmp_path / "hyp.yaml"
    hyp.write_bytes(bytes(range(128, 256)))
    for given, why in ((hyp, "it is not a text file"), (tmp_path, "it is a folder")):
        code, err, _ = _cli(["train", "--data", str(tiny_dataset), "--hyp", str(given),
                             "--print-config"], capsys)
        assert code == 1 and why in err and "Pick a YAML file" in err
        assert "codec" not in err and "Errno" not in err


def test_hyp_file_may_not_override_run_settings(tmp_path: Path) -> None:
    hyp = tmp_path / "hyp.yaml"
    hyp.write_text("epochs: 300\n")
    with pytest.raises(UserError, match="sets 'epochs'"):
        load_hyp_file(hyp)


def test_valid_hyp_file_is_passed_as_cfg(tiny_dataset: Path, tmp_path: Path) -> None:
    hyp = tmp_path / "hyp.yaml"
    hyp.write_text("mosaic: 0.0\nplots: false\n")
    plan = plan_run(TrainConfig(data=str(tiny_dataset), hyp=str(hyp)), write=False)
    assert plan.to_train_kwargs()["cfg"] == str(hyp.resolve())
    assert ("mosaic", 1.0, 0.0) in plan.changed_hyperparameters()


# ----- fast, clear refusals -------------------------------------------------------------------
def test_missing_named_model_fails_fast_offline(tiny_dataset: Path, capsys) -> None:
    code, err, seconds = _cli(["train", "--data", str(tiny_dataset), "--mode", "freeze",
                               "--weights", "yolo11n.pt"], capsys)
    assert code == 1 and seconds < 2
    assert err.count("\n") == 1 and "yolo11n.pt is not on this computer" in err
    assert "Download it once" in err


def test_non_checkpoint_pt_fails_fast(tiny_dataset: Path, tmp_path: Path, capsys) -> None:
    fake = tmp_path / "model.pt"
    fake.write_bytes(b"this is not a checkpoint" * 100)
    code, err, seconds = _cli(["train", "--data", str(tiny_dataset), "--mode", "finetune",
                               "--weights", str(fake)], capsys)
    assert code == 1 and seconds < 2
    assert "model.pt is not a PyTorch checkpoint" in err


def test_finetune_without_a_freeze_run_says_what_to_do(tiny_dataset: Path, capsys) -> None:
    code, err, _ = _cli(["train", "--data", str(tiny_dataset), "--mode", "finetune"], capsys)
    assert code == 1 and "run the freeze recipe first" in err


def test_dataset_without_val_split_refused(tiny_dataset: Path) -> None:
    data = yaml.safe_load(tiny_dataset.read_text())
    del data["val"]
    tiny_dataset.write_text(yaml.safe_dump(data))
    with pytest.raises(UserError, match="no 'val' split"):
        plan_run(TrainConfig(data=str(tiny_dataset)), write=False)


@pytest.mark.parametrize("nc, why", [(5, "nc is 5 but 'names' lists 2"),
                                      ("two", "nc is 'two', not a whole number")])
def test_nc_that_contradicts_names_refused_before_training(tiny_dataset: Path, capsys,
                                                           nc: object, why: str) -> None:
    """ultralytics stopped inside the training child with a traceback on these."""
    data = yaml.safe_load(tiny_dataset.read_text())
    tiny_dataset.write_text(yaml.safe_dump({**data, "nc": nc}))
    code, err, _ = _cli(["train", "--data", str(tiny_dataset), "--print-config"], capsys)
    assert code == 1 and why in err and "delete the 'nc' line" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_split_without_any_label_file_is_one_clear_line(tiny_dataset: Path, tmp_path: Path,
                                                        capfd) -> None:
    """The training child ended on 'ValueError: train: No labels found in …/train.cache'
    with its traceback (capfd: the child writes to the inherited stderr)."""
    shutil.rmtree(tiny_dataset.parent / "labels" / "train")
    code, err, _ = _cli(["train", "--data", str(tiny_dataset), "--mode", "scratch", "--model",
                         "yolov8n.yaml", "--epochs", "1", "--imgsz", "64", "--batch", "2",
                         "--device", "cpu", "--project", str(tmp_path / "runs")], capfd)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "error: No image of the train split has a label file: ultralytics trains only on "
        "labelled images. Label some in the Dataset panel (or propose boxes with "
        "'penguin-studio prelabel'), then train.")


def test_yaml_without_names_refused_with_what_to_add(tiny_dataset: Path) -> None:
    data = yaml.safe_load(tiny_dataset.read_text())
    del data["names"], data["nc"]
    tiny_dataset.write_text(yaml.safe_dump(data))
    with pytest.raises(UserError, match="names no classes: add a 'names:' list"):
        plan_run(TrainConfig(data=str(tiny_dataset)), write=False)


def test_bad_numbers_refused() -> None:
    for bad, match in (({"epochs": 0}, "epochs"), ({"batch": 0}, "batch"),
                       ({"cache": "gpu"}, "cache"), ({"mode": "magic"}, "recipe")):
        with pytest.raises(UserError, match=match):
            TrainConfig(data="d.yaml", **bad).check()


# ----- planning -------------------------------------------------------------------------------
def test_plan_numbers_runs_and_keeps_user_yaml(tiny_dataset: Path) -> None:
    first = plan_run(TrainConfig(data=str(tiny_dataset), epochs=1))
    second = plan_run(TrainConfig(data=str(tiny_dataset), epochs=1))
    assert (first.name, second.name) == ("scratch-yolov8n", "scratch-yolov8n2")
    assert Path(first.project) == tiny_dataset.parent / "runs"
    assert first.data == str(tiny_dataset)  # absolute path: in the yaml, read as is
    saved = TrainConfig.load(Path(first.project) / first.name / runs.CONFIG_FILE)
    assert saved == first


def test_relative_path_key_gets_an_absolute_copy(tiny_dataset: Path, tmp_path: Path) -> None:
    from penguin_studio.core.dataset import open_dataset

    # ultralytics resolves a relative 'path:' against its own datasets folder: copy needed
    data = yaml.safe_load(tiny_dataset.read_text())
    data["path"] = "."
    tiny_dataset.write_text(yaml.safe_dump(data))
    copy = ultralytics_data_yaml(open_dataset(tiny_dataset), tmp_path / "run")
    assert copy == tmp_path / "run" / "data.yaml"
    written = yaml.safe_load(copy.read_text())
    listed = Path(written["train"]).read_text().split()
    assert len(listed) == 9 and all(Path(p).is_absolute() and Path(p).exists() for p in listed)
    assert written["names"] == {0: "penguin", 1: "rock"}


def test_roboflow_style_yaml_is_used_as_is(tiny_dataset: Path, tmp_path: Path) -> None:
    from penguin_studio.core.dataset import open_dataset

    export = tmp_path / "export"
    shutil.copytree(tiny_dataset.parent / "images", export / "train" / "images")
    shutil.copytree(tiny_dataset.parent / "labels", export / "train" / "labels")
    (export / "data.yaml").write_text(  # Roboflow's '../' entries, no 'path:'
        "train: ../train/images/train\nval: ../train/images/val\nnc: 2\nnames: [a, b]\n")
    ds = open_dataset(export / "data.yaml")
    assert ultralytics_data_yaml(ds, tmp_path / "run") == export / "data.yaml"
    assert ultralytics_data_yaml(open_dataset(tiny_dataset), tmp_path / "r2") == tiny_dataset


# ----- architectures, events, curves, history -------------------------------------------------
def test_architecture_layers_without_torch() -> None:
    arch = architectures.model_yaml("yolov8n.yaml")
    layers = architectures.layers(arch)
    assert len(layers) == 23 and layers[9].module == "SPPF" and layers[9].backbone
    assert not layers[10].backbone and layers[-1].module == "Detect"
    assert architectures.default_freeze("yolo11m.pt") == 11
    assert architectures.default_freeze("yolo26n.yaml") == 11


def test_events_round_trip_and_stray_text() -> None:
    event = {"type": "epoch", "epoch": 2, "metrics": {"x": float("nan")}}
    assert decode(encode(event)) == {"type": "epoch", "epoch": 2, "metrics": {"x": None}}
    assert decode("Ultralytics 8.4 🚀\n") == {"type": "log", "level": "info",
                                              "message": "Ultralytics 8.4 🚀"}
    assert decode("  \n") is None


def _batch(epoch: int, batch: int, nb: int = 4) -> dict:
    return {"type": "batch", "epoch": epoch, "batch": batch, "batches": nb, "epochs": 3,
            "loss": {"box_loss": 1.0, "cls_loss": 2.0, "dfl_loss": 3.0}, "lr": 0.01, "ips": 8.0}


def test_resumed_history_drops_the_partial_epoch() -> None:
    recorded = [_batch(0, b) for b in range(1, 5)] + [{"type": "epoch", "epoch": 1}] + \
        [_batch(1, b) for b in (1, 2)]  # stopped in epoch 2: its batches 1-2 are re-run
    curves = Curves()
    for e in recorded + [{"type": "start", "start_epoch": 1, "batches": 4}] + \
            [_batch(1, b) for b in range(1, 5)]:
        curves.feed(e)
    steps = curves.batch_step.values
    assert np.all(np.diff(steps) > 0) and len(steps) == 8 and steps[-1] == 2.0
    assert curves.epoch["epoch"] == [1.0]


def test_incremental_smoothing_matches_the_batch_formula() -> None:
    curves = Curves()
    values = np.random.default_rng(1).random(300)
    for i, v in enumerate(values):
        curves.feed({"type": "batch", "epoch": 0, "batch": i + 1, "batches": 300,
                     "loss": {"box_loss": float(v)}})
    np.testing.assert_allclose(curves.batch_smooth["box_loss"].values, smooth(values))


def test_progress_and_eta() -> None:
    tracker = ProgressTracker()
    tracker.feed({"type": "start", "epochs": 2, "batches": 4, "start_epoch": 0}, now=0.0)
    for b in range(1, 5):
        tracker.feed(_batch(0, b), now=float(b))
    assert tracker.fraction == pytest.approx(4 / 12)  # the batches say 3 epochs
    assert tracker.eta_seconds(now=4.0) == pytest.approx(8.0)  # 1 s per batch, 8 left
    assert format_duration(3725) == "1h 02m" and format_duration(None) == "–"


def test_results_csv_and_best_epoch(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text(
        "epoch,  metrics/mAP50(B),  metrics/mAP50-95(B)\n1,0.5,0.2\n2,0.6,0.4\n3,0.7,0.3\n")
    results = runs.read_results(tmp_path / "results.csv")
    assert results["epoch"] == [1.0, 2.0, 3.0]
    assert runs.best_epoch(results)["epoch"] == 2.0


def test_cli_runs_a_saved_config_and_flags_override_it(tiny_dataset: Path, tmp_path: Path,
                                                       capsys) -> None:
    saved = tmp_path / "run.yaml"
    TrainConfig.for_mode("finetune", tiny_dataset, weights=str(tiny_dataset), epochs=7).save(saved)
    saved.write_text(saved.read_text().replace(f"weights: {tiny_dataset}", "weights: null")
                     .replace("mode: finetune", "mode: scratch"))
    assert cli.main(["train", "--config", str(saved), "--epochs", "9", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "epochs: 9" in out and "optimizer: SGD" in out  # the file's preset, the flag's epochs
    assert "yolo detect train model=yolov8n.yaml" in out


def test_cli_resume_of_a_folder_that_is_no_run(tmp_path: Path, capsys) -> None:
    code, err, seconds = _cli(["train", "--resume", str(tmp_path)], capsys)
    assert code == 1 and "not a training run folder" in err and seconds < 2
    code, err, _ = _cli(["train", "--resume", str(tmp_path / "typo")], capsys)
    assert code == 1 and "typo does not exist: pick a run folder" in err
