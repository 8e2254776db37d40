"""The Evaluate panel: background val(), instant re-counts, and the way to the editor."""

from __future__ import annotations

import numpy as np
import pytest

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def panel(qtbot, tiny_dataset, tiny_weights):
    from penguin_studio.ui.evaluate.panel import EvaluatePanel

    ctx = AppContext()
    ctx.dataset = open_dataset(tiny_dataset)
    widget = EvaluatePanel(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 760)
    widget.show()
    widget.weights.set_path(str(tiny_weights))
    yield widget
    widget.shutdown()
    ctx.shutdown()


def evaluate(panel, qtbot):
    panel.run()
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    assert panel.evaluation is not None


def test_evaluation_fills_every_view_and_thresholds_recount(panel, qtbot):
    assert panel.split.currentText() == "val"
    evaluate(panel, qtbot)
    ev = panel.evaluation
    assert panel.classes.rowCount() == 3
    assert panel.classes.cell_text(0, "Class") == "all"
    assert panel.classes.cell_text(1, "Instances") == str(ev.classes[0].instances)
    assert "mAP50" in panel.summary.text()

    assert np.array_equal(panel.confusion.shown_values(), ev.confusion(0.25, 0.45))
    panel.conf.set_value(0.001)  # re-counted from the cache: no new job
    assert not panel.job.busy
    at_low_conf = ev.confusion(0.001, 0.45)
    qtbot.waitUntil(lambda: np.array_equal(panel.confusion.shown_values(), at_low_conf),
                    timeout=2000)
    assert at_low_conf[:, -1].sum() > 0  # the junk model's boxes are background errors
    panel.confusion.normalized.setChecked(True)
    sums = panel.confusion.shown_values().sum(0)
    assert np.allclose(sums[at_low_conf.sum(0) > 0], 1.0)

    rows = panel.mistakes.model.rows
    assert sum(r.errors.fp for r in rows) == at_low_conf[:, -1].sum() + \
        at_low_conf[:-1, :-1].sum() - np.trace(at_low_conf[:-1, :-1])

    f1 = panel.curves.plots["f1"]
    assert "all: f1" in f1.hover_text(0.5) and "penguin" in f1.hover_text(0.5)
    assert f1.marker_line.value() == pytest.approx(0.001)


def test_selected_image_shows_both_box_sets_and_opens_the_editor(panel, qtbot):
    evaluate(panel, qtbot)
    panel.conf.set_value(0.001)
    qtbot.waitUntil(lambda: panel.mistakes.conf == pytest.approx(0.001), timeout=2000)
    panel.tabs.setCurrentWidget(panel.mistakes)
    panel.mistakes.select_row(0)
    path = panel.mistakes.selected_path()
    record = next(r for r in panel.evaluation.images if r.path == path)
    drawn = panel.mistakes.canvas.drawn_boxes()
    assert sum(b.dashed for b in drawn) == len(record.gt_cls)  # ground truth, dashed
    assert sum(not b.dashed for b in drawn) == int((record.pred_conf > 0.001).sum())
    with qtbot.waitSignal(panel.context.edit_image_requested, timeout=2000) as blocker:
        panel.mistakes.edit_button.click()
    assert blocker.args[0] == path


def test_cancel_keeps_the_panel_usable(panel, qtbot):
    cancelled = []
    panel.context.status_message.connect(lambda text, _ms: cancelled.append(text))
    panel.run()
    panel.run_button.click()  # now "Cancel"
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    assert "Evaluation cancelled." in cancelled and panel.evaluation is None
    assert panel.run_button.text() == "Evaluate"


def test_evaluate_panel_screenshot(panel, qtbot, tmp_path):
    evaluate(panel, qtbot)
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        shot = tmp_path / f"evaluate{index}.png"
        assert panel.grab().save(str(shot)) and shot.stat().st_size > 10_000
    # what a person sees on the Curves tab: each plot draws the "all classes" curve in its
    # pen colour and the confidence marker in orange, not an empty frame
    panel.tabs.setCurrentWidget(panel.curves)
    qtbot.wait(20)
    for key, plot in panel.curves.plots.items():
        pixels = _rgb_pixels(plot.grab().toImage())
        assert _count_near(pixels, (31, 60, 110)) > 100, f"no 'all classes' curve on {key}"
        assert _count_near(pixels, (240, 140, 30)) > 20, f"no confidence marker on {key}"


def _rgb_pixels(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


def _count_near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 30) -> int:
    return int((np.abs(pixels - np.array(rgb)).max(axis=2) <= tolerance).sum())
