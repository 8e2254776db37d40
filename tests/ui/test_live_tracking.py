"""Live: Track toggle, a counting line drawn by dragging on the video, counts that continue
on reconnect and start again on another source or model, and a line that survives a restart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from live_panel import open_live_panel
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from threads import live_threads

from penguin_studio.core.sample_video import write_walk_video
from penguin_studio.ui.live.panel import LivePanel
from penguin_studio.ui.widgets import track_controls

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory):
    return write_walk_video(tmp_path_factory.mktemp("live-walk") / "walk.mp4", seconds=1.5)


def make_panel(qtbot, tiny_dataset: Path, tiny_weights: Path, monkeypatch) -> LivePanel:
    widget = open_live_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    widget.pace_combo.setCurrentIndex(1)  # as fast as possible
    widget.conf_slider.set_value(0.001)  # the tiny model is unsure of everything
    return widget


def run_to_end(qtbot, panel: LivePanel) -> None:
    with qtbot.waitSignal(panel.state_changed, timeout=60000,
                          check_params_cb=lambda s, _m: s == "ended"):
        panel.start()
    qtbot.waitUntil(lambda: not live_threads(), timeout=5000)


def drag(view, start: QPoint, end: QPoint) -> None:
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(view, end)
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_track_draw_a_line_reconnect_and_restart(qtbot, tiny_dataset: Path, tiny_weights: Path,
                                                 monkeypatch, walk, tmp_path: Path) -> None:
    panel = make_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    panel.set_source(walk.video)
    panel.tracking.track_check.setChecked(True)
    run_to_end(qtbot, panel)
    counter = panel.tracking.counter
    assert counter is not None and counter.frames == walk.frames
    assert counter.names == ["penguin", "rock"]

    # draw the counting line across the middle of the picture
    rect = panel.view.image_rect()
    panel.tracking.draw_button.click()
    drag(panel.view, QPoint(rect.center().x(), rect.top() + 2),
         QPoint(rect.center().x(), rect.bottom() - 2))
    line = panel.tracking.drawer.line
    assert line is not None and abs(line.x1 - walk.size[0] / 2) <= 2 and line.y2 > line.y1
    assert counter.line == line
    assert not panel.tracking.draw_button.isChecked()

    # a click without a drag is no line: ignored with a message
    panel.tracking.draw_button.click()
    drag(panel.view, rect.center(), rect.center())
    assert panel.tracking.drawer.line == line
    assert "ignored" in panel.capture_note.text()

    # reconnecting to the same source continues the counts, with a gap
    panel.reconnect()
    qtbot.waitUntil(lambda: panel.state == "ended", timeout=60000)
    qtbot.waitUntil(lambda: not live_threads(), timeout=5000)
    assert panel.tracking.counter is counter and counter.frames == 2 * walk.frames
    assert any(u < 0 for _t, u, _i, _o in counter.series)
    frame = panel.view.source_pixels
    yellow = (frame[..., 0] < 80) & (frame[..., 1] > 180) & (frame[..., 2] > 220)
    assert yellow[:, walk.size[0] // 2 - 3:walk.size[0] // 2 + 4].sum() > 50, "line drawn"

    # the counts export
    panel.tracking.export_summary(tmp_path / "counts.csv")
    qtbot.waitUntil(lambda: (tmp_path / "counts.csv").exists(), timeout=5000)
    assert (tmp_path / "counts.csv").read_text().startswith("class,unique,in,out")

    # another model: counts start again
    other = tmp_path / "other.pt"
    other.write_bytes(Path(tiny_weights).read_bytes())
    assert panel.tracking.counter_for(str(walk.video), str(other)) is not counter
    # another source: counts start again too
    assert panel.tracking.counter_for(str(tmp_path / "other.mp4"), str(tiny_weights)) \
        is not counter
    panel.shutdown()

    # a restart: the line drawn on this source is still there
    again = make_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    again.set_source(walk.video)
    again.tracking.track_check.setChecked(True)
    run_to_end(qtbot, again)
    assert again.tracking.drawer.line == line
    assert again.tracking.counter.line == line
    assert track_controls.saved_line(str(walk.video)) == line
    again.shutdown()


def test_counts_plot_has_a_gap_where_the_source_was_away(qtbot) -> None:
    plot = track_controls.CountsPlot()
    qtbot.addWidget(plot)
    plot.set_series([(0.0, 1, 0, 0), (1.0, 2, 1, 0), (1.0, -1, -1, -1), (2.0, 2, 1, 1)])
    _x, y = plot.curves["unique"].getData()
    assert np.isnan(y[2]) and y[3] == 2


def test_a_zone_clicked_on_the_video_counts_who_is_inside(qtbot, tiny_dataset: Path,
                                                          tiny_weights: Path, monkeypatch,
                                                          walk) -> None:
    panel = make_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    panel.set_source(walk.video)
    panel.tracking.track_check.setChecked(True)
    run_to_end(qtbot, panel)
    rect = panel.view.image_rect()
    corners = [QPoint(rect.left() + 5, rect.top() + 5), QPoint(rect.right() - 5, rect.top() + 5),
               QPoint(rect.right() - 5, rect.bottom() - 5)]
    panel.tracking.zone_button.click()
    for corner in [*corners, corners[0]]:  # the first corner again closes it
        QTest.mouseClick(panel.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         corner)
    zone = panel.tracking.drawer.zone
    assert zone is not None and len(zone.points) == 3
    assert panel.tracking.counter.zone == zone
    assert track_controls.saved_zone(str(walk.video)) == zone
    assert not panel.tracking.zone_button.isChecked()
    panel.tracking.refresh()
    assert "inside" in panel.tracking.counts_label.text()
    panel.tracking.clear_button.click()
    assert panel.tracking.counter.zone is None and panel.tracking.counter.line is None
    panel.shutdown()
