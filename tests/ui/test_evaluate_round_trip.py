"""Evaluate's results read right: the run named, ▼ on a descending sort, labels apart,
and after "Edit labels" a way back to the row the user came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from penguin_studio.ui.app import create_application
from penguin_studio.ui.evaluate.panel import model_title
from penguin_studio.ui.main_window import MainWindow
from penguin_studio.ui.widgets.box_canvas import BoxCanvas, DrawnBox


def test_a_run_s_model_is_named_by_its_run() -> None:
    assert model_title("/p/runs/penguins-freeze-3/weights/best.pt") == \
        "penguins-freeze-3 (best.pt)"
    assert model_title("/downloads/yolo11n.pt") == "yolo11n.pt"


def test_prediction_label_does_not_cover_the_ground_truth_label(qtbot) -> None:
    canvas = BoxCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show()
    canvas.set_image(np.full((200, 300, 3), 90, np.uint8))
    for dy in (0, 3, 6, 12):  # the model's box a little lower than the true one
        canvas.set_boxes([DrawnBox((50, 50, 150, 150), (235, 235, 235), "GT penguin",
                                   dashed=True),
                          DrawnBox((52, 50 + dy, 150, 150), (60, 200, 90), "penguin 0.91")])
        truth, prediction = canvas.label_rects()
        assert not truth.intersects(prediction), dy


def arrow_points_down(image: QImage, x0: int, x1: int) -> bool:
    """Of the dark pixels between x0 and x1, is the widest row above the narrowest one?"""
    rows = {}
    for y in range(image.height()):
        dark = [x for x in range(x0, x1) if image.pixelColor(x, y).lightness() < 110]
        if dark:
            rows[y] = len(dark)
    assert rows, "no arrow drawn"
    top, bottom = min(rows), max(rows)
    return rows[top] > rows[bottom]


@pytest.fixture
def window(qtbot, tiny_dataset: Path, tiny_weights: Path):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=30_000):
        win.context.open_path(tiny_dataset)
    panel = win.show_panel("evaluate")
    panel.weights.set_path(str(tiny_weights))
    panel.run()
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=120_000)
    assert panel.evaluation is not None
    yield win
    win.close()


@pytest.mark.slow
def test_headline_sort_arrow_and_the_way_back_from_the_editor(window: MainWindow, qtbot,
                                                              tiny_weights: Path) -> None:
    panel = window.panel("evaluate")
    assert "run (best.pt)" in panel.summary.text()  # the fixture's run is called "run"

    mistakes = panel.mistakes
    panel.tabs.setCurrentWidget(mistakes)
    header = mistakes.table.horizontalHeader()
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder  # most errors first
    qtbot.wait(20)
    shot = header.grab().toImage()
    section = header.sectionViewportPosition(header.sortIndicatorSection())
    right = section + header.sectionSize(header.sortIndicatorSection())
    assert arrow_points_down(shot, right - 22, right - 2)
    header.setSortIndicator(header.sortIndicatorSection(), Qt.SortOrder.AscendingOrder)
    qtbot.wait(20)
    assert not arrow_points_down(header.grab().toImage(), right - 22, right - 2)

    panel.conf.set_value(0.001)
    qtbot.waitUntil(lambda: mistakes.conf == pytest.approx(0.001), timeout=2000)
    mistakes.select_row(1)
    came_from = mistakes.selected_path()
    mistakes.edit_button.click()
    dataset = window.panel("dataset")
    qtbot.waitUntil(lambda: window.current_panel_key == "dataset", timeout=5000)
    assert dataset.current_page == "editor"
    assert dataset.editor.current_record.path == came_from
    back = dataset.editor.actions_by_name["return"]
    assert back.isVisible() and back.text() == "◀ Back to Evaluate"
    back.trigger()
    assert window.current_panel_key == "evaluate"
    assert panel.tabs.currentWidget() is mistakes
    assert mistakes.selected_path() == came_from

    dataset.browser.open_requested.emit(dataset.browser.model.record_at(0))
    assert not back.isVisible()  # opened from the browser: nothing to go back to
