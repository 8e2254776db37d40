"""The editor's Smart box tool (S) driven like a person: real clicks, labels on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset import smart_box_tool
from penguin_studio.ui.panels.dataset import DatasetPanel


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    smart_box_tool.choose_weights("grabcut")
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


def biggest_penguin(record) -> tuple[float, float, float, float]:
    boxes = [b for b in read_labels(label_path_for(record.path)) if b.cls == 0]
    return max((b.xyxy for b in boxes), key=lambda xy: (xy[2] - xy[0]) * (xy[3] - xy[1]))


def click(qtbot, canvas, x: float, y: float,
          modifier=Qt.KeyboardModifier.NoModifier) -> None:
    pos = canvas.image_to_view(x, y)
    qtbot.mouseMove(canvas.viewport(), pos)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def centre_of(box, size) -> tuple[float, float]:
    w, h = size
    return (box[0] + box[2]) / 2 * w, (box[1] + box[3]) / 2 * h


def test_s_and_a_click_add_one_box_through_undo(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    editor, canvas = panel.editor, panel.editor.canvas
    tool = editor.smart_box
    label = label_path_for(record.path)
    before = read_labels(label)
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    assert tool.active and editor.actions_by_name["smart"].isChecked()
    with qtbot.waitSignal(tool.result_shown, timeout=20000) as shown:
        click(qtbot, canvas, *centre_of(biggest_penguin(record), canvas.image_size))
    assert shown.args[0].engine == "GrabCut" and shown.args[0].box is not None
    after = read_labels(label)
    assert len(after) == len(before) + 1
    assert after[-1].cls == canvas.current_class
    x0, y0, x1, y1 = after[-1].xyxy
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1  # inside the image
    assert tool.outline  # the mask's outline is drawn under the box
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert read_labels(label) == before


def test_escape_cancels_a_preview_without_auto_accept(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    canvas, tool = panel.editor.canvas, panel.editor.smart_box
    tool.auto_accept = False
    label = label_path_for(record.path)
    before = read_labels(label)
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    with qtbot.waitSignal(tool.result_shown, timeout=20000):
        click(qtbot, canvas, *centre_of(biggest_penguin(record), canvas.image_size))
    assert tool.preview is not None
    assert read_labels(label) == before  # only a preview so far
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert tool.preview is None and tool.active
    assert read_labels(label) == before
    with qtbot.waitSignal(tool.result_shown, timeout=20000):
        click(qtbot, canvas, *centre_of(biggest_penguin(record), canvas.image_size))
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert len(read_labels(label)) == len(before) + 1  # Enter accepts
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not tool.active  # Esc with nothing previewed leaves the tool


def test_a_click_outside_the_image_does_nothing(qtbot, panel: DatasetPanel) -> None:
    record = open_in_editor(qtbot, panel)
    canvas, tool = panel.editor.canvas, panel.editor.smart_box
    before = read_labels(label_path_for(record.path))
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    latest = tool._latest
    corner = canvas.image_to_view(0, 0) - QPoint(6, 6)  # in the margin around the image
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=corner)
    assert tool._latest == latest  # no request was made
    qtbot.wait(50)
    assert read_labels(label_path_for(record.path)) == before
    assert tool.preview is None


def test_a_click_on_a_proposal_accepts_and_tightens_it(qtbot, open_dataset_panel,
                                                      tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset.labels import Box, atomic_write_text
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.inference import prelabel as pl

    smart_box_tool.choose_weights("grabcut")
    image = open_dataset(tiny_dataset).images("val")[0]
    label = label_path_for(image)
    boxes = [b for b in read_labels(label) if b.cls == 0]
    gt = max((b.xyxy for b in boxes), key=lambda xy: (xy[2] - xy[0]) * (xy[3] - xy[1]))
    label.unlink()
    pad = 0.25 * max(gt[2] - gt[0], gt[3] - gt[1])
    loose = Box.from_xyxy(0, max(0.0, gt[0] - pad), max(0.0, gt[1] - pad),
                          min(1.0, gt[2] + pad), min(1.0, gt[3] + pad))
    root = tiny_dataset.parent
    props = pl.ImageProposals(image, pl.proposals_path(image, root), "crafted.pt", 0.25, "",
                              [pl.Proposal(0, loose.cx, loose.cy, loose.w, loose.h, 0.5)])
    atomic_write_text(props.path, props.to_json())
    panel = open_dataset_panel(tiny_dataset)
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.edit_image(image)
    panel.activateWindow()
    canvas, tool = panel.editor.canvas, panel.editor.smart_box
    canvas.setFocus()
    qtbot.waitUntil(lambda: canvas.hasFocus())
    assert canvas.proposals
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    with qtbot.waitSignal(tool.result_shown, timeout=20000):
        click(qtbot, canvas, *centre_of(gt, canvas.image_size))
    (stored,) = read_labels(label)  # accepted in one act
    assert stored.w * stored.h < loose.w * loose.h  # and tightened
    assert pl.load_proposals(image, root).proposals[0].status == "adjusted"


def test_undecodable_image_disables_the_tool_with_the_reason(qtbot, panel: DatasetPanel
                                                            ) -> None:
    open_in_editor(qtbot, panel)
    tool = panel.editor.smart_box
    with qtbot.waitSignal(tool.worker.signals.failed, timeout=10000) as failed:
        tool.worker.propose(99, "/nonexistent/broken.jpg", smart_box_tool.Prompt(
            positive=((5.0, 5.0),)))
        tool.worker.open("grabcut")
    assert "broken.jpg" in failed.args[1]
    assert "broken.jpg" in tool.disabled["/nonexistent/broken.jpg"]
