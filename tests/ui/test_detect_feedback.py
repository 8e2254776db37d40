"""Detect's list says how many boxes each image shows; its info text is never cut off."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def detect(qtbot, tiny_dataset: Path, tiny_weights: Path):
    from penguin_studio.ui.detect.panel import DetectPanel

    context = AppContext()
    context.dataset = open_dataset(tiny_dataset)
    widget = DetectPanel(context)
    qtbot.addWidget(widget)
    widget.resize(1130, 640)  # the Detect panel inside a 1280×720 window
    widget.show()
    widget.weights.set_path(str(tiny_weights))
    widget.set_source(str(tiny_dataset.parent / "images" / "train"))
    qtbot.waitUntil(lambda: not widget.job.busy, timeout=60_000)
    yield widget
    widget.shutdown()
    context.shutdown()


def listed_counts(panel) -> list[int]:
    return [int(panel.items.item(r).text().rsplit("·", 1)[1]) for r in range(panel.items.count())]


def test_each_image_in_the_list_shows_its_box_count(qtbot, detect) -> None:
    preds = detect.session.current
    assert listed_counts(detect) == [0] * len(preds.items)  # the junk model: nothing ≥ 0.25
    detect.conf.set_value(0.0)
    expected = [detect.session.shown_count(i) for i in range(len(preds.items))]
    assert sum(expected) > 0
    qtbot.waitUntil(lambda: listed_counts(detect) == expected, timeout=2000)
    row = detect.items.currentRow()
    assert expected[row] == len(detect.canvas.drawn_boxes())
    assert detect.items.item(0).text().startswith(preds.items[0].label)
    for box in range(detect.classes.count()):  # hiding every class: every count is 0
        detect.classes.item(box).setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: listed_counts(detect) == [0] * len(preds.items), timeout=2000)


def test_info_text_is_not_clipped_with_both_timings(qtbot, detect) -> None:
    detect.tta.setChecked(True)  # a second run: the info grows to four lines
    qtbot.waitUntil(lambda: not detect.job.busy and "with TTA" in detect.info.text(),
                    timeout=60_000)
    qtbot.wait(50)
    info = detect.info
    assert info.height() >= info.heightForWidth(info.width())
    assert info.visibleRegion().boundingRect().height() >= info.heightForWidth(info.width())
