"""The annotation editor driven like a person: real mouse drags and keys, labels on disk.

Every test opens a private copy of the tiny generated dataset in a real DatasetPanel, so the
.txt files checked are the ones ultralytics would train on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from penguin_studio.core.dataset.labels import Box, LabelWriteError, read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset.panel import DatasetPanel

TOL = 1.5  # pixels: one mouse event lands on whole viewport pixels


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    return open_dataset_panel(tiny_dataset)


def open_in_editor(qtbot, panel: DatasetPanel, row: int = 0):
    record = panel.browser.model.record_at(row)
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.browser.select(record.path)
        panel.browser.open_requested.emit(record)
    panel.activateWindow()
    panel.editor.canvas.setFocus()
    qtbot.waitUntil(lambda: panel.editor.canvas.hasFocus())
    return record


def drag(qtbot, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A real press-move-release on the viewport, in image pixel coordinates."""
    viewport = canvas.viewport()
    a, b = canvas.image_to_view(*start), canvas.image_to_view(*end)
    qtbot.mouseMove(viewport, a)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    mid = QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2)
    qtbot.mouseMove(viewport, mid)
    qtbot.mouseMove(viewport, b)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def pixel_box(box: Box, size: tuple[int, int]) -> tuple[float, float, float, float]:
    w, h = size
    x1, y1, x2, y2 = box.xyxy
    return x1 * w, y1 * h, x2 * w, y2 * h


def assert_close(actual, expected, tol: float = TOL) -> None:
    assert all(abs(a - e) <= tol for a, e in zip(actual, expected, strict=True)), (actual,
                                                                                   expected)


def key(qtbot, panel: DatasetPanel, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(panel.editor.canvas, k, modifier)


def test_draw_with_w_and_drag_writes_the_box(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    before = read_labels(label)
    canvas = panel.editor.canvas
    size = canvas.image_size
    key(qtbot, panel, Qt.Key.Key_W)
    assert canvas.armed
    drag(qtbot, canvas, (20, 30), (120, 110))
    after = read_labels(label)
    assert len(after) == len(before) + 1
    assert after[:-1] == before
    assert after[-1].cls == 0
    assert_close(pixel_box(after[-1], size), (20, 30, 120, 110))
    assert not canvas.armed  # one box per W
    assert canvas.selected == len(after) - 1


def test_move_and_resize_by_handles(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    canvas = panel.editor.canvas
    size = canvas.image_size
    label.write_text("0 0.5 0.5 0.2 0.2\n", encoding="utf-8")
    panel.editor._reload_document()
    x1, y1, x2, y2 = pixel_box(read_labels(label)[0], size)
    drag(qtbot, canvas, ((x1 + x2) / 2, (y1 + y2) / 2), ((x1 + x2) / 2 + 25, (y1 + y2) / 2 + 15))
    moved = pixel_box(read_labels(label)[0], size)
    assert_close(moved, (x1 + 25, y1 + 15, x2 + 25, y2 + 15))
    # drag the bottom-right handle of the (selected) box outwards
    mx1, my1, mx2, my2 = moved
    drag(qtbot, canvas, (mx2, my2), (mx2 + 30, my2 + 20))
    resized = pixel_box(read_labels(label)[0], size)
    assert_close(resized, (mx1, my1, mx2 + 30, my2 + 20))
    assert len(read_labels(label)) == 1


def test_delete_key_removes_the_selected_box(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    label.write_text("0 0.3 0.3 0.2 0.2\n1 0.7 0.7 0.2 0.2\n", encoding="utf-8")
    panel.editor._reload_document()
    canvas = panel.editor.canvas
    w, h = canvas.image_size
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=canvas.image_to_view(0.7 * w, 0.7 * h))
    assert canvas.selected == 1
    key(qtbot, panel, Qt.Key.Key_Delete)
    assert read_labels(label) == [Box(0, 0.3, 0.3, 0.2, 0.2)]


def test_undo_redo_and_history_kept_per_image(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    original = label.read_text(encoding="utf-8")
    canvas = panel.editor.canvas
    key(qtbot, panel, Qt.Key.Key_W)
    drag(qtbot, canvas, (10, 10), (60, 60))
    drawn = label.read_text(encoding="utf-8")
    assert drawn != original
    key(qtbot, panel, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert read_labels(label) == read_labels_text(original, label)
    key(qtbot, panel, Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert label.read_text(encoding="utf-8") == drawn
    # walk away (D) and back (A): the history of the first image is still there
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_D)
    assert panel.editor.current_record.key != record.key
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_A)
    assert panel.editor.current_record.key == record.key
    key(qtbot, panel, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert read_labels(label) == read_labels_text(original, label)


def read_labels_text(text: str, label: Path) -> list[Box]:
    tmp = label.with_name("expected.txt.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        return read_labels(tmp)
    finally:
        tmp.unlink()


def test_number_keys_set_the_class_of_the_selected_box(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    label.write_text("0 0.5 0.5 0.3 0.3\n", encoding="utf-8")
    panel.editor._reload_document()
    canvas = panel.editor.canvas
    w, h = canvas.image_size
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=canvas.image_to_view(0.5 * w, 0.5 * h))
    key(qtbot, panel, Qt.Key.Key_2)
    assert read_labels(label)[0].cls == 1
    key(qtbot, panel, Qt.Key.Key_9)  # no class 9 in a 2-class dataset: nothing changes
    assert read_labels(label)[0].cls == 1
    key(qtbot, panel, Qt.Key.Key_1)
    assert read_labels(label)[0].cls == 0


def test_copy_boxes_from_previous_image(qtbot, panel: DatasetPanel) -> None:
    first = open_in_editor(qtbot, panel, row=0)
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_D)
    second = panel.editor.current_record
    label = label_path_for(second.path)
    label.write_text("", encoding="utf-8")
    panel.editor._reload_document()
    key(qtbot, panel, Qt.Key.Key_C)
    assert read_labels(label) == read_labels(label_path_for(first.path))


def test_unparsable_label_file_is_never_overwritten(qtbot, panel: DatasetPanel) -> None:
    record = panel.browser.model.record_at(1)
    label = label_path_for(record.path)
    broken = "0 0.5 0.5 0.2\nthis is not a label\n"
    label.write_text(broken, encoding="utf-8")
    open_in_editor(qtbot, panel, row=1)
    editor, canvas = panel.editor, panel.editor.canvas
    assert editor.parse_banner.isVisible()
    assert "line 1" in editor.parse_banner.label.text()
    refused = []
    canvas.edit_refused.connect(refused.append)
    key(qtbot, panel, Qt.Key.Key_W)
    assert not canvas.armed and refused
    drag(qtbot, canvas, (10, 10), (80, 80))
    key(qtbot, panel, Qt.Key.Key_C)
    key(qtbot, panel, Qt.Key.Key_Delete)
    assert label.read_text(encoding="utf-8") == broken
    # the explicit reset keeps the broken file as .bak and starts empty
    editor.reset_document()
    assert label.read_text(encoding="utf-8") == ""
    assert label.with_name(label.name + ".bak").read_text(encoding="utf-8") == broken
    assert not editor.parse_banner.isVisible()


def test_failed_save_keeps_the_edit_and_says_so(qtbot, panel: DatasetPanel, monkeypatch) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    before = label.read_text(encoding="utf-8")

    def refuse(path, boxes):
        raise LabelWriteError(f"Cannot write in {Path(path).parent}: Read-only file system. "
                              "Check the folder is writable.")  # core's words: no editor

    monkeypatch.setattr("penguin_studio.ui.dataset.label_document.write_labels", refuse)
    canvas, editor = panel.editor.canvas, panel.editor
    key(qtbot, panel, Qt.Key.Key_W)
    drag(qtbot, canvas, (10, 10), (70, 70))
    assert editor.save_banner.isVisible()
    assert "Read-only" in editor.save_banner.label.text()
    assert "Your edit is kept" in editor.save_banner.label.text()  # the editor adds it
    assert label.read_text(encoding="utf-8") == before
    assert editor.doc.undo_stack.count() == 1  # the edit is kept
    monkeypatch.undo()
    editor.save_banner.buttons["Retry save"].click()
    assert not editor.save_banner.isVisible()
    assert len(read_labels(label)) == len(editor.doc.boxes)


def test_read_only_folder_is_announced_before_editing(qtbot, panel: DatasetPanel) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    record = panel.browser.model.record_at(0)
    folder = label_path_for(record.path).parent
    folder.chmod(0o555)
    try:
        open_in_editor(qtbot, panel)
        assert panel.editor.readonly_banner.isVisible()
        assert "read-only" in panel.editor.readonly_banner.label.text()
    finally:
        folder.chmod(0o755)


def test_next_previous_and_status_line(qtbot, panel: DatasetPanel) -> None:
    open_in_editor(qtbot, panel, row=0)
    editor = panel.editor
    total = len(editor.sequence)
    assert editor.status.text().startswith(f"1 / {total}")
    with qtbot.waitSignal(editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_D)
    assert editor.index == 1
    assert editor.status.text().startswith(f"2 / {total}")
    with qtbot.waitSignal(editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_A)
    assert editor.index == 0
    key(qtbot, panel, Qt.Key.Key_A)  # first image: stays
    assert editor.index == 0


def test_zoom_fit_and_actual_size(qtbot, panel: DatasetPanel) -> None:
    open_in_editor(qtbot, panel)
    canvas = panel.editor.canvas
    fit = canvas.zoom
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == pytest.approx(1.0)
    canvas.zoom_by(2.0)
    assert canvas.zoom == pytest.approx(2.0)
    key(qtbot, panel, Qt.Key.Key_F)
    assert canvas.zoom == pytest.approx(fit)


def test_edit_image_requested_opens_the_editor(qtbot, panel: DatasetPanel) -> None:
    record = panel.browser.model.record_at(3)
    panel.browser.filters.split.setCurrentIndex(panel.browser.filters.split.findData("val"))
    qtbot.waitUntil(lambda: panel.browser.model.filter.split == "val")
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.context.request_edit(record.path)
    assert panel.current_page == "editor"
    assert panel.editor.current_record.key == record.key


def test_wheel_zooms_and_middle_drag_pans(qtbot, panel: DatasetPanel) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    open_in_editor(qtbot, panel)
    canvas = panel.editor.canvas
    before = canvas.zoom
    centre = QPointF(canvas.viewport().rect().center())
    for _ in range(4):
        event = QWheelEvent(centre, canvas.viewport().mapToGlobal(centre), QPoint(0, 0),
                            QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.zoom == pytest.approx(before * 1.2 ** 4)
    bar = canvas.horizontalScrollBar()
    start = bar.value()
    viewport = canvas.viewport()
    a = viewport.rect().center()
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=a)
    qtbot.mouseMove(viewport, a + QPoint(-60, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=a + QPoint(-60, 0))
    assert bar.value() == min(bar.maximum(), start + 60)


def test_escape_goes_back_to_the_browser_on_the_same_image(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel, row=4)
    canvas = panel.editor.canvas
    key(qtbot, panel, Qt.Key.Key_W)
    key(qtbot, panel, Qt.Key.Key_Escape)  # first Esc only disarms drawing
    assert not canvas.armed and panel.current_page == "editor"
    key(qtbot, panel, Qt.Key.Key_Escape)
    assert panel.current_page == "images"
    assert panel.browser.current_record() is record


def test_read_only_banner_shows_before_the_first_edit(qtbot, panel: DatasetPanel,
                                                       monkeypatch) -> None:
    """Same as above where the test runs as root (which ignores permissions): the folder
    answers "not writable" to os.access, as a read-only mount does."""
    import os

    folder = label_path_for(panel.browser.model.record_at(0).path).parent
    real_access = os.access
    monkeypatch.setattr("penguin_studio.ui.dataset.label_document.os.access",
                        lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    open_in_editor(qtbot, panel)
    banner = panel.editor.readonly_banner
    assert banner.isVisible()
    assert str(folder) in banner.label.text() and "read-only" in banner.label.text()


def test_saving_in_the_editor_keeps_the_label_files_mode(qtbot, panel: DatasetPanel) -> None:
    """A 0644 (or 0640) label file stays so after an edit: not 0600 from the temp file."""
    import stat

    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    label.chmod(0o640)
    canvas = panel.editor.canvas
    key(qtbot, panel, Qt.Key.Key_W)
    drag(qtbot, canvas, (20, 30), (120, 110))
    assert len(read_labels(label)) >= 1
    assert stat.S_IMODE(label.stat().st_mode) == 0o640
