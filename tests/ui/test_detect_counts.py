"""Detect's Counts tab: a census of the folder that follows the sliders, chart, CSV export."""

from __future__ import annotations

from pathlib import Path

import pytest

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.core.inference import counting, predict
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def panel(qtbot, tiny_dataset, tiny_weights):
    from penguin_studio.ui.detect.panel import DetectPanel

    context = AppContext()
    context.dataset = open_dataset(tiny_dataset)
    widget = DetectPanel(context)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    widget.weights.set_path(str(tiny_weights))
    yield widget
    widget.shutdown()
    context.shutdown()


def test_counts_tab_recounts_the_folder_and_exports(panel, qtbot, tiny_dataset: Path,
                                                    tmp_path: Path, monkeypatch) -> None:
    folder = tiny_dataset.parent / "images" / "train"
    panel.set_source(str(folder))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    preds = panel.session.current
    panel.view_tabs.setCurrentWidget(panel.counts_tab)
    tab = panel.counts_tab
    assert tab.model.rowCount() == len(preds.items)
    assert tab.census.total == 0  # the 1-epoch model is never 25 % sure

    calls = []
    monkeypatch.setattr(predict.Predictor, "raw", lambda *a, **k: calls.append(a))
    panel.conf.set_value(0.0)
    qtbot.waitUntil(lambda: tab.census is not None and tab.census.conf == 0.0, timeout=5000)
    expected = counting.count_predictions(preds, 0.0, panel.session.iou)
    assert tab.census.totals == expected.totals and tab.census.total > 0
    assert "mean" in tab.totals.text()
    panel.classes.set_visible(0, False)
    qtbot.waitUntil(lambda: tab.census.totals["penguin"] == 0, timeout=5000)
    assert tab.census.totals["rock"] == expected.totals["rock"]
    assert calls == []  # re-counted without running the model
    x, y = tab.chart._curves[1].getData()
    assert len(x) == len(preds.items) and y.sum() == expected.totals["rock"]

    out = tmp_path / "counts.csv"
    tab.export_csv(out)
    qtbot.waitUntil(out.exists, timeout=5000)
    back = counting.read_census_csv(out)
    assert back.totals == tab.census.totals

    first = tab.model.index(2, 0)
    tab.table.doubleClicked.emit(first)
    assert panel.view_tabs.currentIndex() == 0
    assert preds.items[panel.session.index].label == tab.model.rows[2].label
    panel.grab().save(str(tmp_path / "counts.png"))


def test_video_tracking_follows_the_sliders_and_resets_on_another_source(
        panel, qtbot, tiny_dataset: Path, tmp_path: Path) -> None:
    from penguin_studio.core.inference.tracking import CountingLine
    from penguin_studio.core.sample_video import write_walk_video

    walk = write_walk_video(tmp_path / "walk.mp4", seconds=1.0)
    panel.set_source(str(walk.video))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    box = panel.video_tracking
    assert box.isEnabled()
    panel.conf.set_value(0.0)  # the tiny model is unsure of everything
    with qtbot.waitSignal(box.tracks_ready, timeout=30_000):
        box.track_check.setChecked(True)
    qtbot.waitUntil(lambda: box.counter is not None, timeout=30_000)
    first = box.counter
    assert first.frames == walk.frames and first.kind == "bytetrack"
    labels = [b.label for b in panel.canvas.drawn_boxes()]
    assert all(label.startswith("#") for label in labels)
    box.set_line(CountingLine(*walk.line))
    qtbot.waitUntil(lambda: box.counter is not first and box.counter.line is not None,
                    timeout=30_000)

    panel.set_source(str(tiny_dataset.parent / "images" / "train"))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    assert box.counter is None  # another source: counts start again
    assert not box.isEnabled() and "needs a sequence" in box.track_check.toolTip()
    assert "needs a sequence" in box.counts_label.text()
    assert all(not b.label.startswith("#") for b in panel.canvas.drawn_boxes())
