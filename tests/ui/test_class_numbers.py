"""One class numbering everywhere a user picks a class, and number keys that change one thing.

The browser's class filter and the editor's class list show the same number for a class (the
key that picks it, from 1); a number key on a selected box re-labels that box only, and the
class of the next box drawn stays what it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset.panel import DatasetPanel
from tests.ui.test_dataset_editor import drag, key, open_in_editor


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    return open_dataset_panel(tiny_dataset)


def test_filter_and_editor_number_classes_alike(qtbot, panel: DatasetPanel) -> None:
    combo = panel.browser.filters.klass
    in_filter = [combo.itemText(i) for i in range(1, combo.count())]
    class_list = panel.editor.classes.list
    in_editor = [class_list.item(i).text().split("   (")[0] for i in range(class_list.count())]
    assert in_filter == in_editor == ["1  penguin", "2  rock"]
    tip = class_list.item(0).toolTip()
    assert "key 1" in tip and "written as 0" in tip
    assert combo.itemData(1, Qt.ItemDataRole.ToolTipRole) == tip
    assert combo.itemData(1) == 0  # what the filter matches: the id in the label files
    assert panel.editor.classes.key_hint.text() == "number = key"


def test_number_key_on_a_selected_box_changes_only_that_box(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    label.write_text("0 0.5 0.5 0.3 0.3\n", encoding="utf-8")
    panel.editor._reload_document()
    canvas = panel.editor.canvas
    w, h = canvas.image_size
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=canvas.image_to_view(0.5 * w, 0.5 * h))
    assert canvas.selected == 0
    key(qtbot, panel, Qt.Key.Key_2)
    assert read_labels(label)[0].cls == 1
    assert panel.editor.classes.current() == 1  # the list shows the selected box's class
    assert canvas.current_class == 0
    assert "new boxes: 1  penguin" in panel.editor.status.text()
    key(qtbot, panel, Qt.Key.Key_Escape)  # deselect
    assert canvas.selected is None
    assert panel.editor.classes.current() == 0  # … and now the next box's class
    key(qtbot, panel, Qt.Key.Key_W)
    drag(qtbot, canvas, (5, 5), (40, 40))
    assert [b.cls for b in read_labels(label)] == [1, 0]


def test_number_key_with_nothing_selected_sets_the_next_box(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    label = label_path_for(record.path)
    label.write_text("0 0.5 0.5 0.3 0.3\n", encoding="utf-8")
    panel.editor._reload_document()
    canvas = panel.editor.canvas
    assert canvas.selected is None
    key(qtbot, panel, Qt.Key.Key_2)
    assert canvas.current_class == 1
    assert read_labels(label)[0].cls == 0  # no box was selected: none changes
    key(qtbot, panel, Qt.Key.Key_W)
    drag(qtbot, canvas, (5, 5), (40, 40))
    assert [b.cls for b in read_labels(label)] == [0, 1]
