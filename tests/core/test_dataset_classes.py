"""Class list changes rewrite labels all-or-nothing, even when the process dies halfway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.classes import (
    add_class,
    apply_plan,
    delete_class,
    merge_classes,
    plan_delete,
    plan_rename,
    plan_reorder,
    rename_class,
    reorder_classes,
)
from penguin_studio.core.dataset.journal import CRASH_ENV
from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.core.errors import UserError

CHANGE_SCRIPT = """
import sys
from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.classes import apply_plan, plan_reorder
apply_plan(plan_reorder(open_dataset(sys.argv[1]), [1, 0]))
"""


def _snapshot(ds) -> dict[Path, str]:
    files = {label_path_for(p) for p in ds.unique_images()}
    out = {f: f.read_text() for f in files if f.exists()}
    out[ds.yaml_path] = ds.yaml_path.read_text()
    return out


def _swap_ids(text: str) -> str:
    return "".join(f"{1 - int(line.split()[0])} {line.split(maxsplit=1)[1]}\n"
                   for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("crash_at", ["staged:4", "replaced:1", "replaced:6"])
def test_killed_halfway_leaves_no_mix_of_old_and_new_ids(tiny_dataset: Path,
                                                         crash_at: str) -> None:
    ds = open_dataset(tiny_dataset)
    before = _snapshot(ds)
    assert len(plan_reorder(ds, [1, 0]).changes) >= 6
    env = {**os.environ, CRASH_ENV: crash_at}
    proc = subprocess.run([sys.executable, "-c", CHANGE_SCRIPT, str(tiny_dataset)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 77, proc.stderr  # died mid-way, as a power cut would
    state_dir = ds.state_dir
    assert (state_dir / "journal.json").exists()
    reopened = open_dataset(tiny_dataset)  # finishes (or undoes) the interrupted change
    assert not (state_dir / "journal.json").exists()
    after = _snapshot(reopened)
    labels = [f for f in before if f.suffix == ".txt"]
    rolled_forward = reopened.names == ["rock", "penguin"]
    for f in labels:
        expected = _swap_ids(before[f]) if rolled_forward else before[f]
        assert after[f] == expected, f"{f.name} is out of step with the class list"
    assert rolled_forward == crash_at.startswith("replaced")
    assert not list(tiny_dataset.parent.rglob("*.staged"))


def test_rename_add_reorder_delete_merge(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    image = next(p for p in ds.images() if {b.cls for b in read_labels(label_path_for(p))}
                 == {0, 1})
    label = label_path_for(image)
    original = read_labels(label)
    ds = rename_class(ds, 0, "emperor penguin")
    assert ds.names == ["emperor penguin", "rock"]
    assert read_labels(label) == original  # a rename touches no label file
    ds = add_class(ds, "seal")
    assert ds.names == ["emperor penguin", "rock", "seal"]
    ds = reorder_classes(ds, [2, 0, 1])
    assert ds.names == ["seal", "emperor penguin", "rock"]
    assert sorted(b.cls for b in read_labels(label)) == sorted(b.cls + 1 for b in original)
    ds = merge_classes(ds, 2, 1)  # rock into emperor penguin
    assert ds.names == ["seal", "emperor penguin"]
    assert {b.cls for b in read_labels(label)} == {1}
    assert len(read_labels(label)) == len(original)
    ds = delete_class(ds, 1)
    assert ds.names == ["seal"] and read_labels(label) == []
    assert label.exists()  # still labelled: now a background image


def test_coordinates_and_polygons_keep_their_exact_text(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    label = label_path_for(ds.images()[0])
    label.write_text("1 0.1234567891 0.5 0.25 0.125\n0 0.1 0.1 0.3 0.1 0.2 0.4\n")
    reorder_classes(ds, [1, 0])
    assert label.read_text() == "0 0.1234567891 0.5 0.25 0.125\n1 0.1 0.1 0.3 0.1 0.2 0.4\n"


def test_unparsable_file_is_reported_and_left_untouched(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    bad = label_path_for(ds.images()[0])
    bad.write_text("0 0.5 0.5 0.1\n")
    plan = plan_delete(ds, 0)
    assert bad in plan.unreadable and bad not in plan.changes
    assert "cannot be read" in plan.summary()
    apply_plan(plan)
    assert bad.read_text() == "0 0.5 0.5 0.1\n"


def test_bad_requests_are_user_errors(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    with pytest.raises(UserError, match="already a class"):
        plan_rename(ds, 0, "rock")
    with pytest.raises(UserError, match="no class 7"):
        plan_delete(ds, 7)
    with pytest.raises(UserError, match="each of the 2"):
        plan_reorder(ds, [0, 0])
    with pytest.raises(UserError, match="empty"):
        add_class(ds, "  ")


def test_read_only_folder_changes_nothing(tiny_dataset: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    ds = open_dataset(tiny_dataset)
    labels_dir = tiny_dataset.parent / "labels" / "train"
    before = _snapshot(ds)
    labels_dir.chmod(0o555)
    try:
        with pytest.raises(UserError, match="Cannot write"):
            reorder_classes(ds, [1, 0])
    finally:
        labels_dir.chmod(0o755)
    assert _snapshot(open_dataset(tiny_dataset)) == before


def test_write_failure_midway_rolls_back(tiny_dataset: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk or a read-only folder while staging: nothing changes, the error is clear."""
    from penguin_studio.core.dataset import journal

    ds = open_dataset(tiny_dataset)
    before = _snapshot(ds)
    real, calls = journal._write_synced, []

    def failing(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 5:
            raise journal.LabelWriteError(f"Cannot write in {path.parent}: disk full.")
        real(path, text)

    monkeypatch.setattr(journal, "_write_synced", failing)
    with pytest.raises(UserError, match="disk full"):
        reorder_classes(ds, [1, 0])
    monkeypatch.undo()
    assert _snapshot(open_dataset(tiny_dataset)) == before
    assert not list(tiny_dataset.parent.rglob("*.staged"))
