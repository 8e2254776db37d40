"""Dataset tools from the panel: doctor, class changes, splits, import and export.

Dialogs are answered by replacing the panel's ``confirm`` / ``ask_text`` / file pickers;
everything else (jobs, core writes, reopening the dataset) runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset.panel import DatasetPanel


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    return open_dataset_panel(tiny_dataset)


def answer(panel: DatasetPanel, yes: bool = True, text: str | None = None) -> list[str]:
    asked: list[str] = []
    panel.jobs.confirm = lambda title, message: asked.append(message) or yes
    panel.jobs.ask_text = lambda title, label, value="": text
    return asked


def reopened(qtbot, panel: DatasetPanel, action) -> None:
    with qtbot.waitSignal(panel.context.dataset_changed, timeout=30000):
        action()
    qtbot.waitUntil(lambda: panel.index is not None, timeout=20000)
    assert not panel.errors


def test_doctor_findings_open_their_image(qtbot, panel) -> None:
    record = panel.browser.model.record_at(2)
    label_path_for(record.path).write_text("0 0.5 0.5 0.2\n", encoding="utf-8")
    view = panel.show_page("doctor")
    panel.run_doctor()
    qtbot.waitUntil(lambda: not panel.doctor_actions.busy, timeout=60000)
    assert any(f.check == "label-fields" and f.image == record.path for f in view.findings)
    group = next(view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())
                 if "wrong number of fields" in view.tree.topLevelItem(i).text(0))
    item = group.child(0)
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        view.tree.itemClicked.emit(item, 0)
    assert panel.current_page == "editor"
    assert panel.editor.current_record.key == record.key
    assert panel.editor.parse_banner.isVisible()
    # the browser's "has problems" filter now knows about it
    assert record.key in panel.browser.model.problems


def test_rename_class_after_confirmation(qtbot, panel, tiny_dataset) -> None:
    asked = answer(panel, yes=True, text="emperor")
    reopened(qtbot, panel, lambda: panel.class_actions.rename(0))
    assert asked and "Rename" in asked[0]
    names = yaml.safe_load(tiny_dataset.read_text())["names"]
    assert list(names.values() if isinstance(names, dict) else names)[0] == "emperor"
    assert panel.dataset.names[0] == "emperor"
    assert panel.editor.classes.list.item(0).text().split()[1] == "emperor"


def test_cancelled_class_delete_changes_nothing(qtbot, panel, tiny_dataset) -> None:
    labels = {p: p.read_bytes() for p in (tiny_dataset.parent / "labels").rglob("*.txt")}
    asked = answer(panel, yes=False)
    panel.class_actions.delete(1)
    qtbot.waitUntil(lambda: bool(asked), timeout=20000)
    qtbot.waitUntil(lambda: not panel.jobs.busy)
    assert "Delete class 'rock'" in asked[0]
    assert all(p.read_bytes() == b for p, b in labels.items())


def test_delete_class_rewrites_labels_and_drops_history(qtbot, panel, tiny_dataset) -> None:
    record = panel.browser.model.record_at(0)
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.edit_image(record.path)
    panel.editor.canvas.select(0)
    panel.editor.canvas.delete_selected()  # some history on this image
    answer(panel, yes=True)
    reopened(qtbot, panel, lambda: panel.class_actions.delete(0))
    assert panel.dataset.names == ["rock"]
    for label in (tiny_dataset.parent / "labels").rglob("*.txt"):
        assert all(b.cls == 0 for b in read_labels(label))
    assert panel.editor.undo_group.activeStack() is None or \
        panel.editor.undo_group.activeStack().count() == 0


def test_assign_selected_images_to_a_split(qtbot, panel) -> None:
    model = panel.browser.model
    picked = [model.record_at(0).path, model.record_at(1).path]
    view = panel.browser.view
    for row in (0, 1):
        view.selectionModel().select(model.index(row),
                                     view.selectionModel().SelectionFlag.Select)
    asked = answer(panel, yes=True)
    reopened(qtbot, panel, lambda: panel.assign_selected("test"))
    assert "No image or label file is moved" in asked[0]
    assert set(picked) <= set(panel.dataset.splits["test"])
    assert all(p.exists() for p in picked)


def test_split_tool_writes_lists(qtbot, panel) -> None:
    accepted = []

    def accept(dialog) -> bool:
        dialog.ratios["train"].setValue(50)
        dialog.ratios["val"].setValue(25)
        dialog.ratios["test"].setValue(25)
        accepted.append(dict(dialog.assignment))
        return True

    panel.split_actions.run_dialog = accept
    answer(panel, yes=True)
    reopened(qtbot, panel, panel.split_actions.split_tool)
    counts = {s: len(v) for s, v in panel.dataset.splits.items()}
    assert sum(counts.values()) == 12
    assert counts["train"] == 6 and counts["val"] == 3 and counts["test"] == 3


def test_export_coco_then_import_into_a_new_project(qtbot, panel, tmp_path) -> None:
    out = tmp_path / "export" / "penguins.json"
    reports = []
    panel.transfer.show_report = lambda title, report: reports.append(report)
    panel.transfer.save_file = lambda title, name, filters: str(out)
    panel.transfer.export_coco()
    qtbot.waitUntil(lambda: bool(reports), timeout=30000)
    doc = json.loads(out.read_text())
    assert len(doc["images"]) == 12
    assert len(doc["annotations"]) == sum(len(e.boxes) for e in panel.index)
    # importing it back into the open project keeps every existing label file
    labels = {p: p.read_bytes() for p in label_files(panel)}
    panel.transfer.open_file = lambda title, filters: str(out)
    panel.transfer.choose_split = lambda title: "train"
    reopened(qtbot, panel, panel.transfer.import_coco)
    assert reports[-1].skipped_by_reason().get("label file exists (kept)") == len(labels)
    assert all(p.read_bytes() == b for p, b in labels.items())


def label_files(panel: DatasetPanel) -> list[Path]:
    return [e.label for e in panel.index if e.label.exists()]


def test_menus_list_every_format(panel) -> None:
    imports = [a.text() for a in panel.transfer.import_menu().actions()]
    exports = [a.text() for a in panel.transfer.export_menu().actions()]
    assert imports == ["COCO JSON…", "Pascal VOC folder…", "Ultralytics dataset zip…"]
    assert exports == ["Ultralytics dataset zip…", "COCO JSON…", "Pascal VOC…"]


def test_safe_fixes_count_and_change_only_the_files_they_can_mend(qtbot, panel) -> None:
    """The confirmation names the files the core's fix changes: a file with an unparsable
    line is left alone even when it also holds a box outside the image."""
    records = [panel.browser.model.record_at(i) for i in (0, 1)]
    outside, broken = (label_path_for(r.path) for r in records)
    outside.write_text("0 0.95 0.5 0.3 0.2\n", encoding="utf-8")
    broken.write_text("0 0.95 0.5 0.3 0.2\n0 0.5 0.5\n", encoding="utf-8")
    before = broken.read_bytes()
    panel.run_doctor()
    qtbot.waitUntil(lambda: not panel.doctor_actions.busy, timeout=60000)
    asked = answer(panel, yes=True)
    reopened(qtbot, panel, panel.doctor.fix_requested.emit)
    assert asked and "in 1 label files" in asked[0]
    assert broken.read_bytes() == before
    box = read_labels(outside)[0]
    assert box.cx + box.w / 2 <= 1.0 + 1e-6
