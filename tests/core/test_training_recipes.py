"""The three recipes for real, chained: scratch → feature extraction → fine-tuning.

One tiny dataset, 1 epoch each at imgsz 64. Scratch and fine-tune go through the CLI (in
process; training itself runs in the child), feature extraction through ``run_training``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from penguin_studio import cli
from penguin_studio.core.training import runs
from penguin_studio.core.training.config import FINETUNE_PRESET, TrainConfig
from penguin_studio.core.training.events import EVENTS_FILE, read_events
from penguin_studio.core.training.job import run_training

pytestmark = pytest.mark.slow

COMMON = ["--epochs", "1", "--imgsz", "64", "--batch", "4", "--cache", "none", "--device", "cpu"]


@pytest.fixture(scope="module")
def chain(tiny_dataset_master: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("recipes") / "penguins"
    shutil.copytree(tiny_dataset_master, root)
    data = root / "data.yaml"
    data.write_text(data.read_text().replace(str(tiny_dataset_master), str(root)))
    hyp = root.parent / "fast.yaml"
    hyp.write_text("plots: false\n")  # the result plots cost seconds per run
    assert cli.main(["train", "--data", str(data), "--mode", "scratch", "--model",
                     "yolov8n.yaml", "--hyp", str(hyp), *COMMON]) == 0
    scratch = root / "runs" / "scratch-yolov8n"

    freeze_events: list[dict] = []
    config = TrainConfig.for_mode("freeze", data, weights=str(scratch / "weights" / "best.pt"),
                                  epochs=1, imgsz=64, batch=4, cache="none", device="cpu",
                                  hyp=str(hyp))
    outcome = run_training(config, on_event=freeze_events.append)
    assert outcome.status == "completed", outcome
    freeze = outcome.run_dir

    assert cli.main(["train", "--data", str(data), "--mode", "finetune", "--hyp", str(hyp),
                     *COMMON]) == 0
    finetune = root / "runs" / "finetune"
    return {"data": data, "scratch": scratch, "freeze": freeze, "finetune": finetune,
            "freeze_events": freeze_events}


def _state(path: Path) -> dict:
    from penguin_studio.core.training.weights import load_raw_checkpoint

    ckpt = load_raw_checkpoint(path)
    return (ckpt.get("ema") or ckpt["model"]).state_dict()  # finished runs keep only "model"


def _args(run_dir: Path) -> dict:
    return yaml.safe_load((run_dir / "args.yaml").read_text())


def _start_event(run_dir: Path) -> dict:
    return next(e for e in read_events(run_dir / EVENTS_FILE) if e["type"] == "start")


def test_scratch_builds_the_architecture_with_random_weights(chain: dict) -> None:
    args = _args(chain["scratch"])
    assert args["model"] == "yolov8n.yaml" and args["freeze"] is None
    assert (chain["scratch"] / "weights" / "best.pt").is_file()
    assert _start_event(chain["scratch"])["frozen"] == []


def test_feature_extraction_keeps_the_backbone_bit_identical(chain: dict) -> None:
    before = _state(chain["scratch"] / "weights" / "best.pt")
    after = _state(chain["freeze"] / "weights" / "best.pt")
    backbone = [k for k in before if int(k.split(".")[1]) < 10]
    head = [k for k in before if int(k.split(".")[1]) >= 10 and ".dfl" not in k]
    assert backbone and head
    changed_backbone = [k for k in backbone if not before[k].equal(after[k])]
    assert changed_backbone == []
    assert any(not before[k].equal(after[k]) for k in head), "the head did not train"
    start = next(e for e in chain["freeze_events"] if e["type"] == "start")
    assert start["frozen"] == list(range(10))  # YOLOv8's backbone, the default
    assert _args(chain["freeze"])["freeze"] == 10


def test_fine_tuning_trains_every_layer_with_the_preset(chain: dict) -> None:
    args = _args(chain["finetune"])
    assert Path(args["model"]) == chain["freeze"] / "weights" / "best.pt"  # the default start
    assert args["freeze"] is None
    assert args["optimizer"] == FINETUNE_PRESET["optimizer"] == "SGD"
    assert args["lr0"] == FINETUNE_PRESET["lr0"]
    assert args["warmup_epochs"] == FINETUNE_PRESET["warmup_epochs"]
    start = _start_event(chain["finetune"])
    assert start["frozen"] == []
    assert start["total"] - start["trainable"] == 16  # only DFL's fixed 16-bin projection
    before = _state(chain["freeze"] / "weights" / "best.pt")
    after = _state(chain["finetune"] / "weights" / "best.pt")
    moved = {int(k.split(".")[1]) for k in before if not before[k].equal(after[k])}
    assert set(range(10)) <= moved, "backbone layers did not change"


def test_history_lists_the_three_recipes(chain: dict) -> None:
    history = runs.list_runs(chain["data"])
    assert [r.recipe for r in history] == ["scratch", "freeze", "finetune"]
    assert all(r.status == "completed" and r.best_weights for r in history)
    assert all(r.epochs_done == r.epochs_planned == 1 for r in history)
    assert history[0].duration_s and history[0].duration_s > 0
    assert "metrics/mAP50(B)" in history[1].best
    assert runs.latest_weights(chain["data"], "freeze") == chain["freeze"] / "weights" / "best.pt"
