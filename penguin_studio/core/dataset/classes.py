"""Change the class list: add, rename, reorder, delete, merge; label files follow, crash-safely.

Every operation is two steps so the GUI can ask first: ``plan_*`` reads every label file and
returns a :class:`ClassChangePlan` saying exactly what will change ("rewrite 812 label files,
remove 40 boxes; 3 files cannot be read and stay as they are"); :func:`apply_plan` then writes
the data yaml and every changed label file in one :class:`~.journal.FileTransaction`, so a
crash never leaves old and new class ids mixed.

Only the class token of each line is rewritten: coordinates keep their exact text and
polygon (segment) lines keep their points. A label file that cannot be parsed is never
touched; it is listed in ``plan.unreadable`` so the user can fix it. Boxes whose class id is
already outside the class list are left as they are and counted in ``plan.unknown_boxes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.dataset.datayaml import render_data_yaml, updated_data_yaml
from penguin_studio.core.dataset.journal import FileTransaction
from penguin_studio.core.dataset.labels import (
    LabelParseError,
    decode_label_bytes,
    parse_labels_text,
)
from penguin_studio.core.dataset.parallel import thread_map
from penguin_studio.core.dataset.project import Dataset, label_path_for, open_dataset
from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext

#: old class id → new class id, or None to delete that class's boxes
ClassMapping = dict[int, int | None]


@dataclass
class ClassChangePlan:
    """What a class-list change will do, computed before anything is written."""

    dataset: Dataset
    description: str
    new_names: list[str]
    mapping: ClassMapping
    changes: dict[Path, str] = field(default_factory=dict)  # label file → new text
    unreadable: dict[Path, str] = field(default_factory=dict)  # label file → why
    boxes_relabelled: int = 0
    boxes_removed: int = 0
    unknown_boxes: int = 0

    def summary(self) -> str:
        """One paragraph for a confirmation dialog or the CLI."""
        parts = [f"{self.description}: rewrites the data yaml"]
        if self.changes:
            parts.append(f" and {len(self.changes)} label files "
                         f"({self.boxes_relabelled} boxes get a new class id, "
                         f"{self.boxes_removed} removed)")
        text = "".join(parts) + "."
        if self.unreadable:
            text += (f" {len(self.unreadable)} label files cannot be read and will be left "
                     "unchanged; fix them, then check their class ids.")
        if self.unknown_boxes:
            text += (f" {self.unknown_boxes} boxes have class ids outside the class list and "
                     "are left as they are.")
        return text


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


def plan_add(dataset: Dataset, name: str) -> ClassChangePlan:
    name = _check_name(dataset.names, name)
    identity: ClassMapping = {i: i for i in range(dataset.nc)}
    return ClassChangePlan(dataset, f"Add class '{name}'", [*dataset.names, name], identity)


def plan_rename(dataset: Dataset, class_id: int, new_name: str) -> ClassChangePlan:
    _check_id(dataset, class_id)
    others = [n for i, n in enumerate(dataset.names) if i != class_id]
    new_name = _check_name(others, new_name)
    names = list(dataset.names)
    old, names[class_id] = names[class_id], new_name
    identity: ClassMapping = {i: i for i in range(dataset.nc)}
    return ClassChangePlan(dataset, f"Rename '{old}' to '{new_name}'", names, identity)


def plan_reorder(dataset: Dataset, new_order: list[int],
                 ctx: JobContext | None = None) -> ClassChangePlan:
    """``new_order[k]`` is the old id of the class that gets id ``k``."""
    if sorted(new_order) != list(range(dataset.nc)):
        raise UserError(f"A new class order must list each of the {dataset.nc} class ids "
                        f"once (got {new_order}).")
    mapping: ClassMapping = {old: new for new, old in enumerate(new_order)}
    names = [dataset.names[old] for old in new_order]
    return _with_label_changes(ClassChangePlan(dataset, "Reorder classes", names, mapping), ctx)


def plan_delete(dataset: Dataset, class_id: int,
                ctx: JobContext | None = None) -> ClassChangePlan:
    """Remove a class and all its boxes; later classes move up by one id."""
    _check_id(dataset, class_id)
    mapping: ClassMapping = {i: (None if i == class_id else i - (i > class_id))
                             for i in range(dataset.nc)}
    names = [n for i, n in enumerate(dataset.names) if i != class_id]
    plan = ClassChangePlan(dataset, f"Delete class '{dataset.names[class_id]}' and its boxes",
                           names, mapping)
    return _with_label_changes(plan, ctx)


def plan_merge(dataset: Dataset, source_id: int, into_id: int,
               ctx: JobContext | None = None) -> ClassChangePlan:
    """Relabel every ``source_id`` box as ``into_id``, then drop ``source_id`` from the list."""
    _check_id(dataset, source_id)
    _check_id(dataset, into_id)
    if source_id == into_id:
        raise UserError("Pick two different classes to merge.")

    def shifted(i: int) -> int:
        return i - (i > source_id)

    mapping: ClassMapping = {i: shifted(into_id if i == source_id else i)
                             for i in range(dataset.nc)}
    names = [n for i, n in enumerate(dataset.names) if i != source_id]
    desc = f"Merge '{dataset.names[source_id]}' into '{dataset.names[into_id]}'"
    return _with_label_changes(ClassChangePlan(dataset, desc, names, mapping), ctx)


def _check_id(dataset: Dataset, class_id: int) -> None:
    if not 0 <= class_id < dataset.nc:
        raise UserError(f"There is no class {class_id} (this dataset has {dataset.nc}).")


def _check_name(existing: list[str], name: str) -> str:
    name = str(name).strip()
    if not name:
        raise UserError("A class name cannot be empty.")
    if "\n" in name:
        raise UserError("A class name must fit on one line.")
    if name in existing:
        raise UserError(f"There is already a class named '{name}'.")
    return name


# --------------------------------------------------------------------------------------
# Label rewriting
# --------------------------------------------------------------------------------------


def _with_label_changes(plan: ClassChangePlan, ctx: JobContext | None) -> ClassChangePlan:
    ctx = ctx or JobContext()
    labels = list(dict.fromkeys(label_path_for(p) for p in plan.dataset.unique_images()))
    total = len(labels)
    old_nc = plan.dataset.nc

    def one(label: Path) -> tuple[Path, str | None, str, tuple[int, int, int]]:
        try:
            raw = label.read_bytes()
        except FileNotFoundError:
            return label, None, "", (0, 0, 0)
        except OSError as exc:
            return label, None, f"cannot be read ({exc.strerror or exc})", (0, 0, 0)
        try:
            text = decode_label_bytes(raw, label)
            parse_labels_text(text, label)
        except LabelParseError as exc:
            return label, None, str(exc), (0, 0, 0)
        new_text, counts = remap_label_text(text, plan.mapping, old_nc)
        return label, (new_text if new_text != text else None), "", counts

    with thread_map(one, labels, 4) as results:
        for done, (label, new_text, error, counts) in enumerate(results, 1):
            if error:
                plan.unreadable[label] = error
            elif new_text is not None:
                plan.changes[label] = new_text
            plan.boxes_relabelled += counts[0]
            plan.boxes_removed += counts[1]
            plan.unknown_boxes += counts[2]
            if done % 500 == 0 or done == total:
                ctx.step(done, total, "reading label files")
    return plan


def remap_label_text(text: str, mapping: ClassMapping, old_nc: int) -> tuple[str, tuple]:
    """New text with class ids mapped; returns it and (relabelled, removed, unknown) counts.

    Lines keep their coordinates verbatim; blank lines are dropped.
    """
    relabelled = removed = unknown = 0
    out: list[str] = []
    for line in text.splitlines():
        fields = line.split(maxsplit=1)
        if not fields:
            continue
        old = int(float(fields[0]))
        rest = fields[1].strip() if len(fields) > 1 else ""
        if old >= old_nc or old not in mapping:
            unknown += 1
            out.append(line.strip())
            continue
        new = mapping[old]
        if new is None:
            removed += 1
            continue
        if new != old:
            relabelled += 1
            out.append(f"{new} {rest}")
        else:
            out.append(line.strip())
    new_text = "".join(f"{line}\n" for line in out)
    return new_text, (relabelled, removed, unknown)


# --------------------------------------------------------------------------------------
# Applying
# --------------------------------------------------------------------------------------


def apply_plan(plan: ClassChangePlan, ctx: JobContext | None = None) -> Dataset:
    """Write the yaml and every changed label file all-or-nothing; returns the reopened
    dataset. A plain image folder becomes a project (``data.yaml`` written) on its first
    class."""
    ctx = ctx or JobContext()
    ds = plan.dataset
    tx = FileTransaction(ds.state_dir, plan.description)
    yaml_path = ds.yaml_path or ds.root / "data.yaml"
    if ds.yaml_path is not None:
        tx.write(yaml_path, updated_data_yaml(ds.yaml_path, names=plan.new_names))
    else:
        if yaml_path.exists():
            raise UserError(f"{yaml_path} already exists: open it instead of the folder.")
        tx.write(yaml_path, render_data_yaml(plan.new_names, {"train": "."}, None,
                                             comment="Penguin Studio project."))
    for label, text in plan.changes.items():
        tx.write(label, text)
    tx.commit(ctx.progress)
    return open_dataset(yaml_path)


def add_class(dataset: Dataset, name: str) -> Dataset:
    return apply_plan(plan_add(dataset, name))


def rename_class(dataset: Dataset, class_id: int, new_name: str) -> Dataset:
    return apply_plan(plan_rename(dataset, class_id, new_name))


def reorder_classes(dataset: Dataset, new_order: list[int]) -> Dataset:
    return apply_plan(plan_reorder(dataset, new_order))


def delete_class(dataset: Dataset, class_id: int) -> Dataset:
    return apply_plan(plan_delete(dataset, class_id))


def merge_classes(dataset: Dataset, source_id: int, into_id: int) -> Dataset:
    return apply_plan(plan_merge(dataset, source_id, into_id))
