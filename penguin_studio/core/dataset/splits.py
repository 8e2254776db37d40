"""Assign images to train / val / test, by hand or with the split tool, without moving files.

The safe default is Ultralytics ``.txt`` list files next to the data yaml (``train.txt``,
``val.txt``, ``test.txt``), one ``./relative/path`` per image (ultralytics resolves ``./``
against the list's folder; images outside it are written as absolute paths). The yaml is
pointed at them, and lists and yaml are written in one crash-safe transaction. Images stay
where they are, so labels stay where they are.

Moving images into ``images/<split>/`` folders (and their labels into ``labels/<split>/``)
is offered only as the explicit :func:`move_into_split_folders`, also journaled, refusing
any name clash before touching a file.

:func:`split_tool` proposes an assignment: ratios, a seed, and stratification by class
presence: images are grouped by their rarest class (background and unlabelled images form
groups of their own) and each group is dealt out in the requested ratios, so a rare class
lands in val and test too.
"""

from __future__ import annotations

import os
import random
import shutil
from collections import defaultdict
from pathlib import Path

from penguin_studio.core.dataset.datayaml import render_data_yaml, updated_data_yaml
from penguin_studio.core.dataset.index import DatasetIndex, LabelStatus, build_index
from penguin_studio.core.dataset.journal import FileTransaction
from penguin_studio.core.dataset.project import (
    SPLITS,
    Dataset,
    label_path_for,
    open_dataset,
)
from penguin_studio.core.dataset.to_label import TO_LABEL
from penguin_studio.core.errors import UserError

Assignment = dict[Path, str]  # image → "train" | "val" | "test"


def current_assignment(dataset: Dataset) -> Assignment:
    """Each image's split as the dataset stands (first split when listed twice)."""
    return dataset.split_of()


def assign(dataset: Dataset, images: list[Path], split: str) -> Dataset:
    """Move ``images`` (by hand, multi-select) to ``split``; writes list files."""
    _check_split(split)
    assignment = current_assignment(dataset)
    waiting = set(dataset.to_label)  # labelled "to label" pictures join a split here
    unknown = [p for p in images if Path(p) not in assignment and Path(p) not in waiting]
    if unknown:
        raise UserError(f"{unknown[0].name} is not part of this dataset.")
    for p in images:
        assignment[Path(p)] = split
    return write_split_lists(dataset, assignment)


def split_tool(index: DatasetIndex, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
               seed: int = 0, stratify: bool = True) -> Assignment:
    """Propose a train/val/test assignment of every indexed image (nothing is written)."""
    if len(ratios) != 3 or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise UserError("Split ratios must be three numbers ≥ 0 (train, val, test), "
                        "not all zero.")
    total = float(sum(ratios))
    weights = [r / total for r in ratios]
    groups: dict[object, list[Path]] = defaultdict(list)
    entries = [e for e in index.entries if e.split != TO_LABEL]  # chosen one by one
    if stratify:
        frequency = index.images_per_class()
        for e in entries:
            groups[_stratum(e.classes, e.status, frequency)].append(e.image)
    else:
        groups["all"] = [e.image for e in entries]
    rng = random.Random(seed)
    assignment: Assignment = {}
    carry = [0.0, 0.0, 0.0]  # rounding left over from earlier groups, so totals stay exact
    for key in sorted(groups, key=str):
        images = sorted(groups[key])
        rng.shuffle(images)
        counts = _deal(len(images), weights, carry)
        start = 0
        for split, n in zip(SPLITS, counts, strict=True):
            for image in images[start:start + n]:
                assignment[image] = split
            start += n
    return assignment


def _stratum(classes: set[int], status: LabelStatus, frequency: dict[int, int]) -> object:
    if classes:
        return ("class", min(classes, key=lambda c: (frequency.get(c, 0), c)))
    return ("status", status.value)


def _deal(n: int, weights: list[float], carry: list[float]) -> list[int]:
    """Split ``n`` items by ``weights``; fractional parts accumulate in ``carry``."""
    exact = [n * w + c for w, c in zip(weights, carry, strict=True)]
    counts = [int(x) for x in exact]
    left = n - sum(counts)
    for i in sorted(range(3), key=lambda i: exact[i] - counts[i], reverse=True)[:left]:
        counts[i] += 1
    for i in range(3):
        carry[i] = exact[i] - counts[i]
    return counts


def write_split_lists(dataset: Dataset, assignment: Assignment) -> Dataset:
    """Write ``train.txt`` / ``val.txt`` / ``test.txt`` and point the yaml at them."""
    _check_assignment(assignment)
    folder = dataset.yaml_path.parent if dataset.yaml_path else dataset.root
    yaml_path = dataset.yaml_path or folder / "data.yaml"
    claimed = {p for paths in dataset.sources.values() for p in paths}
    tx = FileTransaction(dataset.state_dir, "split change")
    specs: dict[str, str | None] = {}
    for split in SPLITS:
        images = sorted(p for p, s in assignment.items() if s == split)
        if not images:
            specs[split] = None
            continue
        list_path = _list_path(folder, split, claimed)
        tx.write(list_path, "".join(f"{_list_entry(p, folder)}\n" for p in images))
        specs[split] = os.path.relpath(list_path, dataset.root).replace(os.sep, "/")
    if dataset.yaml_path is not None:
        keep_original_yaml(dataset)
        tx.write(yaml_path, updated_data_yaml(yaml_path, splits=specs))
    else:
        if yaml_path.exists():
            raise UserError(f"{yaml_path} already exists: open it instead of the folder.")
        tx.write(yaml_path, render_data_yaml(
            dataset.names, {k: v for k, v in specs.items() if v}, None,
            comment="Penguin Studio project."))
    tx.commit()
    return open_dataset(yaml_path)


def original_yaml_path(dataset: Dataset) -> Path | None:
    """Where the data yaml is kept as it was before a split change first rewrote it."""
    if dataset.yaml_path is None:
        return None
    return dataset.state_dir / "original" / dataset.yaml_path.name


def keep_original_yaml(dataset: Dataset) -> Path | None:
    """Copy the data yaml aside before the first split change rewrites its split entries
    (a Roboflow export's ``../train/images`` would otherwise be gone for good); later
    changes keep that first copy. Returns the copy's path when it was made now."""
    keep = original_yaml_path(dataset)
    if keep is None or keep.exists() or not dataset.yaml_path.is_file():
        return None
    keep.parent.mkdir(parents=True, exist_ok=True)
    partial = keep.with_name(f".{keep.name}.partial")
    shutil.copy2(dataset.yaml_path, partial)
    os.replace(partial, keep)
    return keep


def _list_path(folder: Path, split: str, claimed: set[Path]) -> Path:
    """``train.txt``, unless a file of that name exists that this dataset does not use."""
    for name in (f"{split}.txt", f"{split}.penguin.txt"):
        path = folder / name
        if not path.exists() or path.resolve() in claimed:
            return path
    raise UserError(f"{folder / f'{split}.txt'} exists and is not this dataset's list; "
                    "move it away to write splits.")


def _list_entry(image: Path, folder: Path) -> str:
    try:
        rel = image.resolve().relative_to(folder.resolve())
    except ValueError:
        return str(image.resolve())
    return "./" + rel.as_posix()


def move_into_split_folders(dataset: Dataset, assignment: Assignment) -> Dataset:
    """Explicitly move each image to ``root/images/<split>/`` and its label to
    ``root/labels/<split>/``, and point the yaml at those folders. All or nothing."""
    _check_assignment(assignment)
    if dataset.yaml_path is None:
        raise UserError("Make this folder a project first (add a class), then move images.")
    root = dataset.root
    tx = FileTransaction(dataset.state_dir, "move into split folders")
    targets: set[Path] = set()
    for image, split in sorted(assignment.items()):
        dst = root / "images" / split / image.name
        if dst in targets or (dst.exists() and dst.resolve() != image.resolve()):
            raise UserError(f"Cannot move {image.name} to images/{split}: a file of that "
                            "name is already there. Nothing was moved.")
        targets.add(dst)
        if dst.resolve() == image.resolve():
            continue
        tx.move(image, dst)
        label = label_path_for(image)
        if label.exists():
            tx.move(label, label_path_for(dst))
    specs = {s: (f"images/{s}" if s in assignment.values() else None) for s in SPLITS}
    keep_original_yaml(dataset)
    tx.write(dataset.yaml_path, updated_data_yaml(dataset.yaml_path, splits=specs))
    tx.commit()
    return open_dataset(dataset.yaml_path)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise UserError(f"'{split}' is not a split: use train, val or test.")


def _check_assignment(assignment: Assignment) -> None:
    for split in set(assignment.values()):
        _check_split(split)
    if not assignment:
        raise UserError("No images to assign.")


def split_dataset(dataset: Dataset, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
                  seed: int = 0, stratify: bool = True) -> Dataset:
    """Index, propose with :func:`split_tool` and write lists, in one call (CLI, tests)."""
    return write_split_lists(dataset, split_tool(build_index(dataset), ratios, seed, stratify))
