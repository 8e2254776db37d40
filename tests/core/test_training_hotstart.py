"""Hot start for real: a pretrained COCO backbone, every layer trained, ultralytics' defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import shared_dataset

from penguin_studio import cli
from penguin_studio.core.training.config import TrainConfig, ultralytics_defaults

pytestmark = pytest.mark.slow


def pretrained_backbone() -> Path:
    """The shared COCO backbone (skips the test when ../shared/data is absent)."""
    return shared_dataset("weights/yolov5nu-coco-backbone.pt")


def test_hot_start_trains_every_layer_with_ultralytics_defaults(tmp_path: Path) -> None:
    """The planned hot-start run, trained in this process so the float32 weights can be read
    (the checkpoints are half precision: the first warm-up steps vanish in their rounding)."""
    from penguin_studio.core import engine
    from penguin_studio.core.training.plan import plan_run

    weights = pretrained_backbone()
    # COCO8's large objects reach every detection scale, so every box branch gets a gradient
    # (the tiny penguins never reach the stride-32 one); copied: training writes label caches
    data = tmp_path / "coco8"
    shutil.copytree(shared_dataset("coco8"), data)
    config = TrainConfig.for_mode("hotstart", data / "data.yaml", weights=str(weights),
                                  epochs=1, imgsz=640, batch=1, cache="none", device="cpu",
                                  extra={"plots": False})
    plan = plan_run(config)
    assert plan.effective_freeze() is None and "freeze" not in plan.to_train_kwargs()
    model = engine.load_model(plan.model_source())
    before = {k: p.detach().clone() for k, p in model.model.named_parameters()}
    model.train(**plan.to_train_kwargs())
    after = dict(model.trainer.model.named_parameters())
    assert len(before) == len(after) > 150
    frozen = [k for k, p in after.items() if not p.requires_grad and ".dfl." not in k]
    assert frozen == []  # only DFL's fixed 16-bin projection never trains
    unchanged = [k for k in before if ".dfl." not in k and before[k].shape == after[k].shape
                 and before[k].equal(after[k].detach().cpu())]
    assert unchanged == [], f"{len(unchanged)} tensors did not train: {unchanged[:5]}"

    args = yaml.safe_load((Path(plan.project) / plan.name / "args.yaml").read_text())
    defaults = ultralytics_defaults()
    for key in ("optimizer", "lr0", "lrf", "momentum", "weight_decay", "warmup_epochs",
                "warmup_bias_lr", "mosaic", "box", "cls"):
        assert args[key] == defaults[key], key
    assert args["optimizer"] == "auto" and args["freeze"] is None
    assert Path(args["model"]) == weights.resolve()


def test_hot_start_needs_start_weights(tiny_dataset: Path, capsys) -> None:
    assert cli.main(["train", "--data", str(tiny_dataset), "--mode", "hotstart"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hotstart recipe needs start weights" in err[0]
