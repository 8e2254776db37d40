"""A copy of a trained checkpoint whose class names are changed: a model "of other classes"
for the proposal refusals, without training a second model."""

from __future__ import annotations

from pathlib import Path


def renamed_weights(weights: Path, dest: Path, names: list[str]) -> Path:
    """``weights`` saved again at ``dest`` with ``names`` as its classes (same tensors)."""
    from penguin_studio.core import engine

    engine.ultralytics_module()  # the offline set-up before unpickling a checkpoint
    import torch

    checkpoint = torch.load(weights, map_location="cpu", weights_only=False)
    for key in ("model", "ema"):
        if checkpoint.get(key) is not None:
            checkpoint[key].names = dict(enumerate(names))
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, dest)
    return dest
