"""The editor's Smart box tool (S) driven like a person: real clicks, labels on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset import smart_box_tool
from penguin_studio.ui.dataset.panel import DatasetPanel
from penguin_studio.ui.widgets import smart_box_weights


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    smart_box_weights.choose_weights("grabcut")
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
    counted: list[tuple[str, int]] = []
    editor.effort_sink = lambda action, _image, n: counted.append((action, n))
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
    assert counted == [("smartbox", 1)]  # in the effort figures as a smart-box click
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert read_labels(label) == before
    assert counted == [("smartbox", 1), ("smartbox", -1)]


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

    smart_box_weights.choose_weights("grabcut")
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


@pytest.mark.slow
def test_sam_in_the_editor_embeds_a_huge_image_once_at_model_size(qtbot, open_dataset_panel,
                                                                   tmp_path: Path,
                                                                   monkeypatch) -> None:
    """MobileSAM with random weights (ultralytics' own builder): the mechanics and the
    latency are checked, not the quality of the box."""
    import time

    import cv2
    import numpy as np
    import torch
    from PySide6.QtCore import QTimer
    from torch_guard import torch_forbidden_on_gui_thread

    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.sam import build

    weights = tmp_path / "mobile_sam.pt"
    torch.save(build.build_mobile_sam().state_dict(), weights)
    root = tmp_path / "huge"
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    image = np.full((6000, 8000, 3), 200, np.uint8)
    cv2.ellipse(image, (4000, 3000), (600, 900), 0, 0, 360, (20, 20, 20), -1)
    cv2.imwrite(str(root / "images" / "train" / "huge.jpg"), image)
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames:\n"
                                    "  0: penguin\n", encoding="utf-8")
    smart_box_weights.choose_weights(str(weights))
    panel = open_dataset_panel(root / "data.yaml")
    tool = panel.editor.smart_box
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    canvas = panel.editor.canvas
    seconds = []
    with torch_forbidden_on_gui_thread(monkeypatch) as gui_torch:
        with qtbot.waitSignal(tool.worker.signals.embedded, timeout=180_000) as embedded:
            record = panel.browser.model.record_at(0)
            with qtbot.waitSignal(panel.editor.image_shown, timeout=60_000):
                panel.browser.open_requested.emit(record)
            last[0] = time.perf_counter()
            timer.start(10)  # the GUI thread keeps ticking while the image is embedded
        timer.stop()
        assert embedded.args[0] == str(record.path)
        sam = tool.worker._engine
        assert sam.name.startswith("MobileSAM") and sam.encoder_calls == 1
        panel.activateWindow()
        canvas.setFocus()
        qtbot.waitUntil(lambda: canvas.hasFocus())
        qtbot.keyClick(canvas, Qt.Key.Key_S)
        assert tool.active
        for xy in ((4000, 3000), (3900, 2800)):
            with qtbot.waitSignal(tool.result_shown, timeout=30_000) as shown:
                click(qtbot, canvas, *xy)
            assert shown.args[0].engine.startswith("MobileSAM")
            seconds.append(shown.args[0].seconds)
    assert gui_torch == []  # every torch call ran in the worker, none on the GUI thread
    # wall-clock gaps also count other processes on this shared 2-core machine: only a
    # freeze is asserted here; bench_smart_box.py reports the figure on an idle machine
    assert max(gaps, default=0) < 2.0, f"GUI thread blocked {max(gaps):.3f} s"
    assert sam.encoder_calls == 1  # the clicks reused the embedding of the 48-megapixel photo
    # a click costs the prompt decoder only: far less than embedding (both slowed alike by a
    # busy machine; bench_smart_box.py gives the absolute figures)
    assert max(seconds) < embedded.args[1] / 2, (seconds, embedded.args[1])
    smart_box_weights.choose_weights("grabcut")


def test_foreign_weights_fall_back_to_grabcut_and_say_so(qtbot, open_dataset_panel,
                                                         tiny_dataset: Path,
                                                         tmp_path: Path) -> None:
    notes = tmp_path / "notes.pt"
    notes.write_text("not weights", encoding="utf-8")
    smart_box_weights.choose_weights(str(notes))
    panel = open_dataset_panel(tiny_dataset)
    messages: list[str] = []
    panel.editor.status_message.connect(lambda text, _ms: messages.append(text))
    tool = panel.editor.smart_box
    with qtbot.waitSignal(tool.engine_changed, timeout=20000) as changed:
        open_in_editor(qtbot, panel)
        qtbot.keyClick(panel.editor.canvas, Qt.Key.Key_S)
    assert changed.args[0] == "GrabCut"
    qtbot.waitUntil(lambda: any("Using GrabCut instead" in m for m in messages))
    assert any("notes.pt is not a PyTorch checkpoint" in m for m in messages)
    smart_box_weights.choose_weights("grabcut")


def test_a_click_on_a_featureless_area_gives_no_box_and_a_one_line_hint(
        qtbot, open_dataset_panel, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from penguin_studio.core.smartbox.grabcut import HINT_NOTHING

    root = tmp_path / "flat"
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "fog.png"), np.full((240, 320, 3), 128,
                                                                   np.uint8))
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames:\n"
                                    "  0: penguin\n", encoding="utf-8")
    smart_box_weights.choose_weights("grabcut")
    panel = open_dataset_panel(root / "data.yaml")
    record = open_in_editor(qtbot, panel)
    canvas, tool = panel.editor.canvas, panel.editor.smart_box
    messages: list[str] = []
    panel.editor.status_message.connect(lambda text, _ms: messages.append(text))
    qtbot.keyClick(canvas, Qt.Key.Key_S)
    with qtbot.waitSignal(tool.result_shown, timeout=20000) as shown:
        click(qtbot, canvas, 160, 120)
    assert shown.args[0].box is None and tool.preview is None
    assert messages[-1] == HINT_NOTHING and "\n" not in HINT_NOTHING
    assert read_labels(label_path_for(record.path)) == []
