"""The dataset's "to label" set: new pictures waiting for boxes, never trained on as they are.

Live snapshots used to land in the training images, unlabelled: ultralytics then trains on
them as background ("nothing here"), teaching the model to miss what is in them. They go
to ``images/to-label/`` instead, a folder no split reads: the Dataset panel lists them (split
"to-label") so they can be labelled in the editor, then assigned to train, val or test with
Splits → …, which is what adds them to training.

When a split reads the whole dataset folder (``train: .``), a visible ``to-label`` folder
would be trained on, so the hidden ``.to-label`` is used: neither ultralytics' nor our scan
descends into hidden folders.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The pseudo-split name of the set, as shown in the Dataset panel.
TO_LABEL = "to-label"
_CANDIDATES = ("images/to-label", "to-label", ".to-label")


def to_label_folder(dataset: Any) -> Path:
    """Where the set lives: the first candidate no split folder contains (not created)."""
    base = Path(dataset.yaml_path).parent if dataset.yaml_path else Path(dataset.root)
    trees = [Path(p).resolve() for found in dataset.sources.values() for p in found
             if Path(p).is_dir()]
    for rel in _CANDIDATES:
        folder = base / rel
        resolved = folder.resolve()
        hidden = rel.startswith(".")
        if hidden or not any(resolved == t or t in resolved.parents for t in trees):
            return folder
    return base / _CANDIDATES[-1]


def to_label_images(dataset: Any, scan: Callable[[Path], list[Path]]) -> list[Path]:
    """Images of the set that no split lists yet (assigning one moves it out of the set).

    ``scan`` is ``project.scan_images``, passed in by ``project`` (the only caller) so this
    module imports nothing from it: the two would otherwise import each other."""
    folder = to_label_folder(dataset)
    if not folder.is_dir():
        return []
    found = scan(folder)
    if not found:
        return []
    listed = {os.path.abspath(p) for p in dataset.images()}  # no resolve(): 100k images
    return [p for p in found if os.path.abspath(p) not in listed]
