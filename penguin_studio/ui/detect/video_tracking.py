"""Tracking in Detect's video mode: IDs, trails and a counting line over the cached frames.

The video was predicted once; tracking runs again over its cached candidates (no model)
whenever the sliders, class toggles, tracker, minimum frames or line change, in a
background job, with the same :class:`~penguin_studio.core.inference.tracking.TrackCounter`
as the CLI and Live. The frame shown then draws the tracks (``#id class``) and their
trails instead of the plain detections. Only videos are tracked: a folder of photos is not
a sequence (the box says so), the Counts tab counts it instead.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from penguin_studio.core.colors import class_rgb
from penguin_studio.core.inference import tracking
from penguin_studio.core.inference.tracking import TrackBox, TrackCounter
from penguin_studio.ui.widgets.box_canvas import BoxCanvas, DrawnBox
from penguin_studio.ui.widgets.track_controls import LineDrawer, TrackingBox, saved_zone

TRAIL_FRAMES = 30
NOT_A_SEQUENCE = ("Tracking needs a sequence: open a video. The Counts tab counts these "
                  "photos.")


def canvas_line_drawer(canvas: BoxCanvas) -> LineDrawer:
    """A :class:`LineDrawer` on Detect's canvas (scene coordinates are image pixels)."""

    def to_frame(pos: QPointF) -> tuple[float, float] | None:
        if not canvas.has_image():
            return None
        rect = canvas.scene().sceneRect()
        point = canvas.mapToScene(pos.toPoint())
        return (min(max(point.x(), 0.0), rect.width()), min(max(point.y(), 0.0), rect.height()))

    def to_widget(x: float, y: float) -> QPointF | None:
        return QPointF(canvas.mapFromScene(QPointF(x, y))) if canvas.has_image() else None

    return LineDrawer(canvas.viewport(), to_frame, to_widget)


class VideoTracking(TrackingBox):
    """The Counting box for Detect's videos (see the module docstring)."""

    tracks_ready = Signal()

    def __init__(self, context, canvas: BoxCanvas, parent: QWidget | None = None) -> None:
        self.canvas = canvas
        self._session = None
        self._wanted: tuple | None = None
        self._running: tuple | None = None
        self._by_frame: dict[int, list[TrackBox]] = {}
        self._trail_items: list[QGraphicsPathItem] = []
        super().__init__(context, canvas_line_drawer(canvas), lambda: None, parent)
        self.setTitle("Tracking (videos)")
        self.plot.setMaximumHeight(150)

    # ----- what the panel calls -------------------------------------------------------------
    def render(self, session) -> list[DrawnBox] | None:
        """Tracks of the frame shown (None: show the plain detections), re-tracking in the
        background when something changed."""
        self._session = session
        preds = session.current
        video = preds is not None and preds.kind == "video"
        self.setEnabled(preds is None or video)
        refusal = "" if preds is None or video else NOT_A_SEQUENCE
        self.track_check.setToolTip(refusal)
        if refusal or not self.track_check.isChecked():
            self.counts_label.setText(refusal or "Not tracking.")
        self._clear_trails()
        if preds is not None and (str(preds.source), str(preds.model.weights)) != self._key:
            self._key = (str(preds.source), str(preds.model.weights))  # another video or
            self.counter, self._by_frame = None, {}                     # model: start afresh
            self.drawer.set_line(tracking_line_for(str(preds.source)))
            self.drawer.set_zone(saved_zone(str(preds.source)))
        if not video or not self.track_check.isChecked():
            return None
        key = self._key_of(session)
        if key != self._wanted:
            self._wanted = key
            self._start_retrack()
        return self._boxes(session.index, preds.model.names)

    def _key_of(self, session) -> tuple:
        return (id(session.current), session.conf, session.iou, tuple(sorted(session.hidden)),
                self.tracker_combo.currentData(), self.min_frames.value(), self.drawer.line,
                self.drawer.zone)

    # ----- re-tracking ----------------------------------------------------------------------
    def _start_retrack(self) -> None:
        if self._running is not None:
            return  # the finished job starts the next one
        session, key = self._session, self._wanted
        preds = session.current
        raws = [item.raw for item in preds.items]
        names, kind = list(preds.model.names), self.tracker_combo.currentData()
        conf, iou, classes = session.conf, session.iou, session.visible_classes()
        line, zone = self.drawer.line, self.drawer.zone
        frames, fps = self.min_frames.value(), preds.fps or 25.0
        nms = not preds.model.end2end
        self._running = key

        def job(_ctx) -> TrackCounter:
            counter = TrackCounter(names, kind, frames, line=line, zone=zone, conf=conf)
            images = None
            if kind == "botsort":  # its motion compensation looks at the pixels
                from penguin_studio.core.inference.predict import video_frames

                images = (image for _i, image in video_frames(preds.source))
            return tracking.retrack_cached(counter, raws, fps, iou, classes, nms, images)

        self._jobs.start("Tracking", job, quiet=True, error_dialog=False,
                         on_done=lambda c: self._retracked(key, c),
                         on_failed=lambda m: self._retracked(key, None, m))

    def _retracked(self, key: tuple, counter: TrackCounter | None, error: str = "") -> None:
        self._running = None
        if error:
            self.message.emit(error)
        if counter is not None and key == self._wanted:
            self.counter = counter
            self._by_frame = {}
            for record in counter.records:
                self._by_frame.setdefault(record.frame, []).append(record)
            self.refresh()
            self.plot.set_series(counter.series)
            self.tracks_ready.emit()
        elif self._wanted is not None and self._session is not None:
            self._start_retrack()

    def counter_for(self, source_key: str, weights: str) -> TrackCounter | None:
        return self.counter  # Detect makes a fresh counter per re-track

    def _track_toggled(self, on: bool) -> None:
        self._wanted = None
        self._update_enabled()
        self.tracks_ready.emit()

    def set_line(self, line) -> None:
        super().set_line(line)
        self._wanted = None
        self.tracks_ready.emit()

    def set_zone(self, zone) -> None:
        super().set_zone(zone)
        self._wanted = None
        self.tracks_ready.emit()

    def _min_frames_changed(self, value: int) -> None:
        self.tracks_ready.emit()

    def refresh(self) -> None:
        self._update_enabled()
        if self.counter is not None and self.track_check.isChecked():
            self.counts_label.setText(self.counts_text(self.counter))

    # ----- drawing ----------------------------------------------------------------------------
    def _boxes(self, index: int, names: list[str]) -> list[DrawnBox]:
        counter = self.counter
        if counter is None:
            return []
        confirmed = set(counter.confirmed())
        out = []
        for record in self._by_frame.get(index, []):
            if record.track_id not in confirmed:
                continue
            cls = counter.track_class(record.track_id)
            name = names[cls] if 0 <= cls < len(names) else str(cls)
            out.append(DrawnBox(record.xyxy, class_rgb(cls), f"#{record.track_id} {name}"))
            self._add_trail(record, index, cls)
        return out

    def _add_trail(self, record: TrackBox, index: int, cls: int) -> None:
        points = []
        for frame in range(max(0, index - TRAIL_FRAMES), index + 1):
            for r in self._by_frame.get(frame, []):
                if r.track_id == record.track_id:
                    points.append(r.center)
        if len(points) < 2:
            return
        path = QPainterPath(QPointF(*points[0]))
        for p in points[1:]:
            path.lineTo(QPointF(*p))
        item = QGraphicsPathItem(path)
        pen = QPen(QColor(*class_rgb(cls)), 2)
        pen.setCosmetic(True)
        item.setPen(pen)
        self.canvas.scene().addItem(item)
        self._trail_items.append(item)

    def _clear_trails(self) -> None:
        for item in self._trail_items:
            if item.scene() is not None:
                item.scene().removeItem(item)
        self._trail_items = []

    def _update_enabled(self) -> None:
        super()._update_enabled()
        self.tracker_combo.setEnabled(True)


def tracking_line_for(source: str):
    from penguin_studio.ui.widgets.track_controls import saved_line

    return saved_line(source)
