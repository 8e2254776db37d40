"""The *Counting* box of the Live panel: Track toggle, counting line, live counts and exports.

The counter (:class:`~penguin_studio.core.inference.tracking.TrackCounter`) runs in the
live worker thread; this box only reads it, four times a second, for the figures and the
counts-over-time plot. One counter per (source, model): starting another source or model
starts from zero; *Reconnect* to the same one continues the counts, with a gap in the plot.
The counting line is drawn by dragging on the video (:class:`LineDrawer`), its ends can be
dragged again, and it is remembered per source across restarts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.inference import tracking
from penguin_studio.core.inference.tracking import CountingLine, CountingZone, TrackCounter
from penguin_studio.ui.jobs import JobGroup
from penguin_studio.ui.settings import app_settings

LINES_KEY = "counting/lines"
ZONES_KEY = "counting/zones"
REFRESH_MS = 250
HANDLE_PX = 10
PointMap = Callable[[QPointF], "tuple[float, float] | None"]


def saved_line(source_key: str) -> CountingLine | None:
    """The counting line last drawn on this source (kept across restarts)."""
    text = _saved_lines().get(source_key)
    try:
        return CountingLine.parse(text) if text else None
    except Exception:  # noqa: BLE001 - a hand-edited settings file: no line
        return None


def save_line(source_key: str, line: CountingLine | None) -> None:
    lines = _saved_lines()
    if line is None:
        lines.pop(source_key, None)
    else:
        lines[source_key] = line.text()
    settings = app_settings()
    settings.setValue(LINES_KEY, json.dumps(lines))
    settings.sync()


def saved_zone(source_key: str) -> CountingZone | None:
    """The zone last drawn on this source."""
    points = _saved_lines(ZONES_KEY).get(source_key)
    try:
        return CountingZone(tuple((float(x), float(y)) for x, y in points)) if points else None
    except (TypeError, ValueError):
        return None


def save_zone(source_key: str, zone: CountingZone | None) -> None:
    zones = _saved_lines(ZONES_KEY)
    if zone is None:
        zones.pop(source_key, None)
    else:
        zones[source_key] = [list(p) for p in zone.points]
    settings = app_settings()
    settings.setValue(ZONES_KEY, json.dumps(zones))
    settings.sync()


def _saved_lines(key: str = LINES_KEY) -> dict:
    try:
        value = json.loads(str(app_settings().value(key, "{}") or "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class LineDrawer(QObject):
    """Drag on a view to draw a line in frame pixels; drag an end to move it.

    ``to_frame`` maps a widget point to frame pixels (None outside the picture) and
    ``to_widget`` back, so the same drawer serves Live's video view and Detect's canvas.
    A small transparent overlay paints the line being drawn and the two handles.
    """

    line_drawn = Signal(object)  # CountingLine, or None for a line too short to count
    zone_drawn = Signal(object)  # CountingZone, or None for one without area

    def __init__(self, widget: QWidget, to_frame: PointMap,
                 to_widget: Callable[[float, float], QPointF | None]) -> None:
        super().__init__(widget)
        self.widget, self.to_frame, self.to_widget = widget, to_frame, to_widget
        self.drawing = False
        self.line: CountingLine | None = None
        self._start: tuple[float, float] | None = None
        self._end: tuple[float, float] | None = None
        self._moving: int | None = None  # which end is dragged
        self.zone: CountingZone | None = None
        self.zone_mode = False
        self._zone_points: list[tuple[float, float]] = []
        self.overlay = _Overlay(widget, self)
        widget.installEventFilter(self)

    def set_drawing(self, on: bool) -> None:
        self.drawing = on
        self.widget.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def set_line(self, line: CountingLine | None) -> None:
        self.line = line
        self.overlay.update()

    def set_zone_drawing(self, on: bool) -> None:
        """Click the corners of a zone; click the first corner again (or double-click) to
        close it."""
        self.zone_mode, self._zone_points = on, []
        self.widget.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        self.overlay.update()

    def set_zone(self, zone: CountingZone | None) -> None:
        self.zone = zone
        self.overlay.update()

    def zone_points(self) -> list[tuple[float, float]]:
        if self.zone_mode:
            return list(self._zone_points)
        return list(self.zone.points) if self.zone is not None else []

    def _zone_event(self, kind: QEvent.Type, event) -> bool:
        if kind == QEvent.Type.MouseButtonDblClick:
            self._close_zone()
            return True
        if kind != QEvent.Type.MouseButtonPress or event.button() != Qt.MouseButton.LeftButton:
            return kind in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease)
        point = self.to_frame(event.position())
        if point is None:
            return True
        first = self.to_widget(*self._zone_points[0]) if self._zone_points else None
        pos = event.position()
        if first is not None and len(self._zone_points) >= 3 and \
                math.hypot(first.x() - pos.x(), first.y() - pos.y()) <= HANDLE_PX:
            self._close_zone()
        else:
            self._zone_points.append((round(point[0], 1), round(point[1], 1)))
            self.overlay.update()
        return True

    def _close_zone(self) -> None:
        points = tuple(self._zone_points)
        self.set_zone_drawing(False)
        zone = CountingZone(points) if len(points) >= 3 else None
        if zone is not None and zone.problem() is None:
            self.set_zone(zone)
            self.zone_drawn.emit(zone)
        else:
            self.zone_drawn.emit(None)

    def pending(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        if self._start is not None and self._end is not None:
            return self._start, self._end
        return self.line.points if self.line is not None else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.overlay.resize(self.widget.size())
        elif self.zone_mode:
            return self._zone_event(kind, event)
        elif kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            return self._press(event.position())
        elif kind == QEvent.Type.MouseMove and self._start is not None:
            point = self.to_frame(event.position())
            if point is not None:
                self._end = point
                self.overlay.update()
            return True
        elif kind == QEvent.Type.MouseButtonRelease and self._start is not None:
            self._release()
            return True
        return False

    def _press(self, pos: QPointF) -> bool:
        point = self.to_frame(pos)
        if point is None:
            return False
        if self.drawing:
            self._start = self._end = point
            self._moving = None
            return True
        end = self._near_end(pos)
        if end is None or self.line is None:
            return False
        a, b = self.line.points
        self._moving = end
        self._start, self._end = (b, a) if end == 0 else (a, b)  # the grabbed end moves
        return True

    def _near_end(self, pos: QPointF) -> int | None:
        if self.line is None:
            return None
        for i, (x, y) in enumerate(self.line.points):
            where = self.to_widget(x, y)
            if where is not None and math.hypot(where.x() - pos.x(),
                                                where.y() - pos.y()) <= HANDLE_PX:
                return i
        return None

    def _release(self) -> None:
        start, end = self._start, self._end
        self._start = self._end = None
        if self._moving == 0 and start and end:  # keep the drawn direction
            start, end = end, start
        self._moving = None
        self.set_drawing(False)
        line = CountingLine(*(round(v, 1) for v in (*start, *end))) if start and end else None
        if line is not None and line.problem() is None:
            self.set_line(line)
            self.line_drawn.emit(line)
        else:
            self.overlay.update()
            self.line_drawn.emit(None)


class _Overlay(QWidget):
    """Paints the pending line and the handles; lets every mouse event through."""

    def __init__(self, parent: QWidget, drawer: LineDrawer) -> None:
        super().__init__(parent)
        self.drawer = drawer
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.resize(parent.size())
        self.show()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        self._paint_zone()
        points = self.drawer.pending()
        if points is None:
            return
        ends = [self.drawer.to_widget(x, y) for x, y in points]
        if any(p is None for p in ends):
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 230, 0), 2, Qt.PenStyle.DashLine))
        painter.drawLine(ends[0], ends[1])
        painter.setBrush(QColor(255, 230, 0))
        for p in ends:
            painter.drawEllipse(p, 5, 5)
        painter.end()


    def _paint_zone(self) -> None:
        corners = [self.drawer.to_widget(x, y) for x, y in self.drawer.zone_points()]
        if not corners or any(p is None for p in corners):
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 230, 0), 2, Qt.PenStyle.DashLine))
        polygon = QPolygonF(corners)
        if self.drawer.zone_mode:
            painter.drawPolyline(polygon)
        else:
            painter.drawPolygon(polygon)
        painter.setBrush(QColor(255, 230, 0))
        for p in corners:
            painter.drawEllipse(p, 4, 4)
        painter.end()


class CountsPlot(pg.PlotWidget):
    """Unique seen, in and out over time (seconds); a gap where the source was away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumHeight(130)
        self.setMaximumHeight(200)
        self.showGrid(x=True, y=True, alpha=0.3)
        self.setLabel("bottom", "time", units="s")
        self.setLabel("left", "count")
        self.addLegend(offset=(5, 5))
        self.setMouseEnabled(x=False, y=False)
        self.curves = {
            "unique": self.plot([], [], name="seen", pen=pg.mkPen("#1971c2", width=2),
                                connect="finite"),
            "in": self.plot([], [], name="in", pen=pg.mkPen("#2f9e44", width=2),
                            connect="finite"),
            "out": self.plot([], [], name="out", pen=pg.mkPen("#e8590c", width=2),
                             connect="finite"),
        }

    def set_series(self, series: list[tuple[float, int, int, int]]) -> None:
        import numpy as np

        if not series:
            for curve in self.curves.values():
                curve.setData([], [])
            return
        data = np.asarray(series, dtype=float)
        data[data[:, 1] < 0, 1:] = np.nan  # the gap rows
        for column, key in ((1, "unique"), (2, "in"), (3, "out")):
            self.curves[key].setData(data[:, 0], data[:, column], connect="finite")


class TrackingBox(QGroupBox):
    """Track toggle, tracker, min frames, line tools, counts, plot and exports."""

    message = Signal(str)

    def __init__(self, context, drawer: LineDrawer, pipeline: Callable[[], object],
                 parent: QWidget | None = None) -> None:
        super().__init__("Counting", parent)
        self.drawer, self._pipeline = drawer, pipeline
        self.counter: TrackCounter | None = None
        self._key: tuple[str, str] | None = None
        self._jobs = JobGroup(context, self)  # exports (and Detect's re-tracking)
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        drawer.line_drawn.connect(self._line_drawn)
        drawer.zone_drawn.connect(self._zone_drawn)
        self._update_enabled()

    def _build(self) -> None:
        self.track_check = QCheckBox("Track and count")
        self.track_check.setToolTip("Give every object an ID that follows it from frame to "
                                    "frame, count the unique ones and the line crossings.")
        self.tracker_combo = QComboBox()
        for kind, title in (("bytetrack", "ByteTrack"), ("botsort", "BoT-SORT")):
            self.tracker_combo.addItem(title, kind)
        self.min_frames = QSpinBox()
        self.min_frames.setRange(1, 300)
        self.min_frames.setValue(tracking.DEFAULT_MIN_FRAMES)
        self.min_frames.setToolTip("An object counts once it was tracked for this many "
                                   "frames, so a box that flickers does not add one.")
        self.draw_button = QPushButton("Draw line")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Drag across the video to draw a counting line; drag "
                                    "its ends to move it. In = left to right of a line "
                                    "drawn top to bottom.")
        self.zone_button = QPushButton("Draw zone")
        self.zone_button.setCheckable(True)
        self.zone_button.setToolTip("Click the corners of a zone, then the first corner again "
                                    "(or double-click): counts entries, exits and who is "
                                    "inside now.")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove the counting line and zone.")
        self.counts_label = QLabel("Not tracking.")
        self.counts_label.setWordWrap(True)
        self.plot = CountsPlot()
        self.tracks_button = QPushButton("Export tracks…")
        self.summary_button = QPushButton("Export counts…")
        row1 = QHBoxLayout()
        row1.addWidget(self.track_check, 1)
        row1.addWidget(self.tracker_combo)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Count after"))
        row2.addWidget(self.min_frames)
        row2.addWidget(QLabel("frames"), 1)
        row3 = QHBoxLayout()  # two buttons a row: three are squeezed in a sidebar at 1280 px
        row3.addWidget(self.draw_button)
        row3.addWidget(self.zone_button)
        row3b = QHBoxLayout()
        row3b.addWidget(self.clear_button)
        row3b.addStretch(1)
        row4 = QHBoxLayout()
        row4.addWidget(self.tracks_button)
        row4.addWidget(self.summary_button)
        layout = QVBoxLayout(self)
        for row in (row1, row2, row3, row3b):
            layout.addLayout(row)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.plot)
        layout.addLayout(row4)
        self.track_check.toggled.connect(self._track_toggled)
        self.min_frames.valueChanged.connect(self._min_frames_changed)
        self.draw_button.toggled.connect(self.drawer.set_drawing)
        self.zone_button.toggled.connect(self.drawer.set_zone_drawing)
        self.clear_button.clicked.connect(self._clear_line_and_zone)
        self.tracks_button.clicked.connect(self._choose_tracks_file)
        self.summary_button.clicked.connect(self._choose_summary_file)

    # ----- the counter of a run -----------------------------------------------------------
    def counter_for(self, source_key: str, weights: str) -> TrackCounter | None:
        """The counter for a run about to start: the same (source, model) continues its
        counts (a reconnect), another one starts from zero."""
        key = (source_key, str(weights))
        if key != self._key:
            self._key = key
            self.counter = None
            self.drawer.set_line(saved_line(source_key))
            self.drawer.set_zone(saved_zone(source_key))
        if not self.track_check.isChecked():
            return None
        if self.counter is None:
            self.counter = self._new_counter()
        else:
            self.counter.new_segment()
        return self.counter

    def _new_counter(self) -> TrackCounter:
        return TrackCounter([], self.tracker_combo.currentData(), self.min_frames.value(),
                            line=self.drawer.line, zone=self.drawer.zone)

    def _track_toggled(self, on: bool) -> None:
        pipeline = self._pipeline()
        if on and self.counter is None and self._key is not None:
            self.counter = self._new_counter()
            names = list(getattr(pipeline, "names", []) or [])
            if names:
                self.counter.set_names(names)
        if pipeline is not None and hasattr(pipeline, "counter"):
            pipeline.counter = self.counter if on else None
        self._update_enabled()
        self.refresh()

    def _min_frames_changed(self, value: int) -> None:
        if self.counter is not None:
            self.counter.set_min_frames(value)
            self.refresh()

    # ----- the line -----------------------------------------------------------------------
    def set_line(self, line: CountingLine | None) -> None:
        """Use ``line`` from now on (None removes it) and remember it for this source."""
        self.drawer.set_line(line)
        if self.counter is not None:
            self.counter.set_line(line)
        if self._key is not None:
            save_line(self._key[0], line)
        self.refresh()

    def set_zone(self, zone: CountingZone | None) -> None:
        """Use ``zone`` from now on (None removes it) and remember it for this source."""
        self.drawer.set_zone(zone)
        if self.counter is not None:
            self.counter.set_zone(zone)
        if self._key is not None:
            save_zone(self._key[0], zone)
        self.refresh()

    def _clear_line_and_zone(self) -> None:
        self.set_line(None)
        self.set_zone(None)

    def _zone_drawn(self, zone: CountingZone | None) -> None:
        self.zone_button.setChecked(False)
        if zone is None:
            self.message.emit("That zone has no area: ignored. Click three corners or more.")
            return
        self.set_zone(zone)

    def _line_drawn(self, line: CountingLine | None) -> None:
        self.draw_button.setChecked(False)
        if line is None:
            self.message.emit("That line has no length: ignored. Drag from one point to "
                              "another across the picture.")
            return
        self.set_line(line)

    # ----- figures ------------------------------------------------------------------------
    def refresh(self) -> None:
        self._update_enabled()
        counter = self.counter
        if counter is None or not self.track_check.isChecked():
            self.counts_label.setText("Not tracking." if counter is None else
                                      self.counts_text(counter))
            return
        self.counts_label.setText(self.counts_text(counter))
        self.plot.set_series(counter.series)

    @staticmethod
    def counts_text(counter: TrackCounter) -> str:
        summary = counter.summary()
        parts = []
        for name, c in summary.per_class.items():
            text = f"<b>{c.unique}</b> {name} seen"
            if summary.line is not None:
                text += f" · in {c.crossed_in} · out {c.crossed_out}"
            if summary.zone is not None:
                text += f" · zone: {c.inside} inside, {c.entered} entered, {c.exited} left"
            parts.append(text)
        return "<br>".join(parts) or "Waiting for the first frame…"

    def _update_enabled(self) -> None:
        on = self.track_check.isChecked()
        self.tracker_combo.setEnabled(not on)
        for button in (self.tracks_button, self.summary_button):
            button.setEnabled(self.counter is not None)

    # ----- exports ------------------------------------------------------------------------
    def _choose_tracks_file(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export tracks", str(Path.home() / "tracks.csv"),
            "Tracks CSV (*.csv);;MOTChallenge text (*.txt)")
        if path:
            if "MOT" in chosen and not path.lower().endswith(".txt"):
                path += ".txt"
            self.export_tracks(path)

    def _choose_summary_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export counts",
                                              str(Path.home() / "counts.csv"), "CSV (*.csv)")
        if path:
            self.export_summary(path)

    def export_tracks(self, path: str | Path) -> None:
        self._export(tracking.write_tracks, path, "tracks")

    def export_summary(self, path: str | Path) -> None:
        self._export(tracking.write_summary, path, "counts")

    def _export(self, write, path: str | Path, what: str) -> None:
        from penguin_studio.core.outputs_guard import check_output_file

        counter = self.counter
        if counter is None:
            self.message.emit("Nothing counted yet: switch on Track and start the video.")
            return
        sources = [self._key[0]] if self._key else []

        def job(_ctx):
            check_output_file(path, sources=sources, what=f"the {what}")
            return write(counter, path)

        self._jobs.start(f"Export {what}", job, quiet=True, error_dialog=False,
                         on_done=lambda p: self.message.emit(f"Wrote the {what} to {p}."),
                         on_failed=self.message.emit)

    def shutdown(self) -> None:
        self._timer.stop()
        self._jobs.shutdown()


def video_line_drawer(view) -> LineDrawer:
    """A :class:`LineDrawer` on Live's :class:`~penguin_studio.ui.live.video_view.VideoView`
    (frame pixels ↔ the letterboxed picture)."""

    def frame_size() -> tuple[int, int] | None:
        pixels = view.source_pixels
        return None if pixels is None else (pixels.shape[1], pixels.shape[0])

    def to_frame(pos: QPointF) -> tuple[float, float] | None:
        size, rect = frame_size(), view.image_rect()
        if size is None or rect.width() <= 0:
            return None
        x = (pos.x() - rect.left()) * size[0] / rect.width()
        y = (pos.y() - rect.top()) * size[1] / rect.height()
        return min(max(x, 0.0), float(size[0])), min(max(y, 0.0), float(size[1]))

    def to_widget(x: float, y: float) -> QPointF | None:
        size, rect = frame_size(), view.image_rect()
        if size is None or rect.width() <= 0:
            return None
        return QPointF(rect.left() + x * rect.width() / size[0],
                       rect.top() + y * rect.height() / size[1])

    return LineDrawer(view, to_frame, to_widget)
