"""Run folders written as the app leaves them, for tests that need runs but no training."""

from __future__ import annotations

from pathlib import Path

import yaml

from penguin_studio.core.training import runs

HEADER = ("epoch,train/box_loss,metrics/precision(B),metrics/recall(B),metrics/mAP50(B),"
          "metrics/mAP50-95(B),val/box_loss")


def write_run(project: Path, name: str, *, epochs_planned: int, maps: list[float],
              status: str, data: Path, mode: str = "scratch", imgsz: int = 64) -> Path:
    """A run folder as the app leaves it (args, config, status, results, weights)."""
    run = project / name
    (run / "weights").mkdir(parents=True)
    (run / "args.yaml").write_text(yaml.safe_dump({"epochs": epochs_planned, "data": str(data),
                                                   "model": "yolov8n.yaml", "imgsz": imgsz}))
    (run / runs.CONFIG_FILE).write_text(yaml.safe_dump(
        {"data": str(data), "mode": mode, "epochs": epochs_planned, "imgsz": imgsz}))
    runs.write_status(run, status=status)
    rows = [f"{i + 1},1.5,{m},{m},{m},{m / 2},1.6" for i, m in enumerate(maps)]
    (run / "results.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    for weights in ("last.pt", "best.pt"):
        (run / "weights" / weights).write_bytes(b"stand-in")
    return run
