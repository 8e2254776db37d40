"""What is inside a checkpoint: architecture, classes, training state (loads torch).

Used where a name alone does not tell the architecture (a ``best.pt`` from anywhere): the
wizard's frozen-layer list, the default freeze size, and whether a run can be resumed.
Unpickling a checkpoint runs code, which is why files from elsewhere are imported through
the model manager with a warning first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penguin_studio.core import engine
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.model_files import describe_weights_problem
from penguin_studio.core.training import architectures


@dataclass
class CheckpointInfo:
    path: Path
    arch: dict[str, Any]
    names: list[str] = field(default_factory=list)
    epoch: int = -1
    resumable: bool = False  # optimizer state kept (a run interrupted, not finished)
    train_args: dict[str, Any] = field(default_factory=dict)

    @property
    def backbone(self) -> int:
        return architectures.backbone_size(self.arch)

    @property
    def layers(self) -> list[architectures.Layer]:
        return architectures.layers(self.arch)


def load_raw_checkpoint(path: Path) -> dict[str, Any]:
    """``torch.load`` the file (ultralytics' classes must be importable, hence the engine).

    The cheap check comes first: a .txt, a damaged or a segmentation .pt is named in one
    line before torch unpickles anything.
    """
    engine.check_checkpoint(path)
    problem = describe_weights_problem(path, trained=False)
    if problem is not None:
        raise NotACheckpointError(problem)
    engine.ultralytics_module()
    import torch

    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many kinds for bad files
        raise NotACheckpointError(f"Cannot read {path.name} as a checkpoint: {exc}") from exc
    if not isinstance(ckpt, dict) or not (ckpt.get("ema") or ckpt.get("model")):
        raise NotACheckpointError(f"{path.name} is a torch file but not a YOLO checkpoint "
                                  f"(it holds no model).")
    return ckpt


def describe_checkpoint(path: str | Path) -> CheckpointInfo:
    path = Path(path)
    ckpt = load_raw_checkpoint(path)
    model = ckpt.get("ema") or ckpt.get("model")
    arch = getattr(model, "yaml", None) or {}
    names = getattr(model, "names", None) or {}
    if isinstance(names, dict):
        names = [str(names[k]) for k in sorted(names)]
    epoch = ckpt.get("epoch")
    return CheckpointInfo(
        path=path, arch=dict(arch), names=list(names), epoch=-1 if epoch is None else int(epoch),
        resumable=ckpt.get("optimizer") is not None,
        train_args=dict(ckpt.get("train_args") or {}),
    )
