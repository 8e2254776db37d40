"""Tracking and counting: IDs across frames, unique animals seen, line and zone crossings.

Detections of each frame go to ultralytics' own ByteTrack or BoT-SORT (built by
:func:`make_tracker` from their cfg yamls after the engine's offline set-up), fed with the same
filtered candidates the viewer shows, so the confidence/IoU sliders and class toggles act on
tracking too. :class:`TrackCounter` adds what a person counting animals needs on top:

* **unique seen** per class: tracks confirmed for at least ``min_frames`` frames, so a box
  that flickers for a frame or two does not add an animal; a track's class is the one it
  had most often;
* **line crossings**: a :class:`CountingLine` counts each crossing of a track's box centre,
  *in* or *out* by direction (with a pixel of hysteresis, so jitter on the line counts
  nothing);
* **a zone**: a :class:`CountingZone` polygon counts entries and exits and how many are
  inside now;
* the **history** of every confirmed track (CSV, MOTChallenge text) and counts over time.

Feeding the tracker: the candidates are filtered at ``min(conf, 0.1)`` and the tracker's
``track_high_thresh`` is set to the slider's confidence, ``new_track_thresh`` 0.1 above it
(ByteTrack's own rule). Its second stage then keeps an animal's ID through a dip in
confidence (partly hidden, turning), while only detections clearly above the slider start a
track: a box that flickers just above it while two animals overlap starts none. NMS keeps a
box only against higher-scoring boxes, so the boxes above the slider are exactly those
``predict(conf, iou)`` gives. ``track_buffer`` (how long a lost track may be found again) is
:data:`TRACK_BUFFER_S` seconds at the rate frames are fed, measured from their times.

One animal, two IDs: a track born where a confirmed one ended within that buffer (or a few
frames before it ended: a duplicate box) continues it (:mod:`.track_links`): the two count
once, a crossing made in the gap counts, and both are exported and shown under the first
ID. If the old track is seen again, they are two animals after all. On the walking-penguin
benchmark this and the threshold took the unique count from +27 % to exact.

A source that restarts (a camera reconnects) continues the same counts: :meth:`new_segment`
resets the tracker but keeps the counts, shifts the IDs past those used, and leaves a gap in
the counts-over-time series. Changing source or model means a new :class:`TrackCounter`.

Qt-free: one code path for ``penguin-studio count``, the Detect panel and Live. Thread-safe:
the Live worker updates while the GUI thread reads the summary.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.counting import write_text_atomic
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.track_chains import ChainCounts, chain_root
from penguin_studio.core.inference.track_links import TrackEnd, find_predecessor

#: ultralytics' multi-object trackers offered to users (cfg yamls in ultralytics/cfg/trackers).
TRACKERS = ("bytetrack", "botsort")
DEFAULT_TRACKER = "bytetrack"
#: A track must be seen this many frames to count as an animal (settable everywhere).
DEFAULT_MIN_FRAMES = 5
#: ByteTrack's second-stage threshold (its yaml default): weaker boxes may continue a track.
LOW_CONF = 0.1
#: How long a lost track waits to be found again, in seconds of the source: ultralytics'
#: ``track_buffer`` counts frames (30, meant for 30 fps); the counter converts this with the
#: frame rate it is fed at (a camera that drops frames feeds fewer per second).
TRACK_BUFFER_S = 2.0
#: A new track needs this much more confidence than the slider (ByteTrack's own rule,
#: ``det_thresh = track_thresh + 0.1``): a box that flickers just above the slider during an
#: occlusion must not start a second animal, while the slider's boxes keep tracks going.
NEW_TRACK_MARGIN = 0.1
#: A track is checked for continuing an ended one while it has been seen this few frames.
LINK_FRAMES = 5
#: Points of the trail drawn behind each animal.
TRAIL_POINTS = 30
#: A centre closer to the line than this (pixels) keeps its previous side.
HYSTERESIS_PX = 1.0
#: Changes to ultralytics' tracker yamls. BoT-SORT's camera-motion compensation assumes a
#: moving camera; on a still one (camera traps, belts) it only adds noise: on the sample
#: walking video with perfect boxes, sparseOptFlow gave the two still rocks 5 IDs, "none" 2.
TRACKER_OVERRIDES: dict[str, dict[str, Any]] = {"botsort": {"gmc_method": "none"}}
#: Points kept of the counts over time; beyond, every other older point is dropped (hours of
#: live video stay a few MB and plot fast; gaps are kept).
MAX_SERIES = 20_000
#: Records kept for the tracks export (about 100 MB); later frames are still counted.
MAX_RECORDS = 2_000_000


def make_tracker(kind: str, **overrides: Any) -> Any:
    """Ultralytics' own ByteTrack or BoT-SORT, built from its cfg yaml as ``track`` mode does.

    Reached after :func:`engine.ultralytics_module` (offline set-up first). ``overrides``
    replace keys of the yaml; BoT-SORT's ReID stays off (it would need another model). The
    assignment solver ``lap`` is a declared dependency: with ``YOLO_AUTOINSTALL=0``
    ultralytics would otherwise fail on first use, so its absence is said plainly here.
    """
    if kind not in TRACKERS:
        raise UserError(f"Unknown tracker '{kind}': use one of {', '.join(TRACKERS)}.")
    engine.ultralytics_module()
    try:
        import lap  # noqa: F401 - ultralytics' trackers need it; check before they pip-install
    except ImportError as exc:
        raise UserError("Tracking needs the 'lap' package, which is missing: reinstall "
                        "Penguin Studio (pip install lap).") from exc
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    cfg = dict(YAML.load(check_yaml(f"{kind}.yaml")))
    cfg.update(overrides, with_reid=False)
    return TRACKER_MAP[kind](args=IterableSimpleNamespace(**cfg))


# ----- line and zone -----------------------------------------------------------------------
@dataclass(frozen=True)
class CountingLine:
    """A segment drawn across the picture, in frame pixels.

    *in* counts crossings from the left to the right of the segment's direction as drawn:
    for a line drawn top to bottom, left → right; drawing it the other way swaps in and out.
    """

    x1: float
    y1: float
    x2: float
    y2: float

    @classmethod
    def parse(cls, text: str) -> CountingLine:
        """``X1,Y1,X2,Y2`` in pixels (the CLI's ``--line``)."""
        parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise UserError(f"--line wants four numbers X1,Y1,X2,Y2 in pixels, not '{text}'.")
        return cls(*values)

    @property
    def points(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (self.x1, self.y1), (self.x2, self.y2)

    @property
    def length(self) -> float:
        return math.hypot(self.x2 - self.x1, self.y2 - self.y1)

    def problem(self, size: tuple[int, int] | None = None) -> str | None:
        """Why this line cannot count (zero length, outside a ``(width, height)`` frame)."""
        if self.length < 2.0:
            return "The counting line has no length: drag from one point to another."
        if size is not None and size[0] > 0:
            w, h = size
            if not _segment_meets_box(self.points, w, h):
                return (f"The counting line ({self.text()}) is outside the {w}×{h} frame: "
                        "draw it across the picture.")
        return None

    def text(self) -> str:
        return ",".join(f"{v:g}" for v in (self.x1, self.y1, self.x2, self.y2))

    def side(self, x: float, y: float) -> float:
        """Signed distance in pixels: positive on the left of the direction drawn."""
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        return (dx * (y - self.y1) - dy * (x - self.x1)) / max(self.length, 1e-9)

    def within(self, p0: tuple[float, float], p1: tuple[float, float]) -> bool:
        """Whether the move p0 → p1 passes the line between its two ends (not beyond)."""
        s0, s1 = self.side(*p0), self.side(*p1)
        if s0 == s1:
            return False
        t = s0 / (s0 - s1)
        x, y = p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1])
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        u = ((x - self.x1) * dx + (y - self.y1) * dy) / max(self.length ** 2, 1e-9)
        return -1e-6 <= u <= 1 + 1e-6


@dataclass(frozen=True)
class CountingZone:
    """A polygon (three points or more, frame pixels): entries, exits and who is inside."""

    points: tuple[tuple[float, float], ...]

    def problem(self, size: tuple[int, int] | None = None) -> str | None:
        if len(self.points) < 3 or abs(self.area) < 4.0:
            return "The zone needs at least three corners around some area."
        if size is not None and size[0] > 0:
            xs, ys = zip(*self.points, strict=True)
            if max(xs) < 0 or max(ys) < 0 or min(xs) > size[0] or min(ys) > size[1]:
                return f"The zone is outside the {size[0]}×{size[1]} frame."
        return None

    @property
    def area(self) -> float:
        pts = self.points
        return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:] + pts[:1],
                                                                    strict=True))

    def contains(self, x: float, y: float) -> bool:
        """Even-odd rule (ray casting)."""
        inside = False
        pts = self.points
        for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside


def checked_line(line: CountingLine | None,
                 size: tuple[int, int]) -> tuple[CountingLine | None, str]:
    """The line if it can count on a ``size`` frame, else None and the message saying why
    it is ignored (bad lines never stop a run)."""
    if line is None:
        return None, ""
    problem = line.problem(size)
    return (None, f"{problem} Ignoring it.") if problem else (line, "")


def _segment_meets_box(points: tuple, w: int, h: int) -> bool:
    """Whether a segment touches the frame rectangle (clipped by sampling, plenty here)."""
    (x1, y1), (x2, y2) = points
    for t in np.linspace(0.0, 1.0, 257):
        x, y = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        if 0 <= x <= w and 0 <= y <= h:
            return True
    return False


# ----- what the counter reports -------------------------------------------------------------
@dataclass(frozen=True)
class TrackBox:
    """One track in one frame (what is drawn and exported)."""

    frame: int
    time_s: float
    track_id: int
    cls: int
    xyxy: tuple[float, float, float, float]
    conf: float

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.xyxy
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass(frozen=True)
class CountEvent:
    frame: int
    time_s: float
    track_id: int
    kind: str  # "in", "out" (line), "enter", "exit" (zone)


@dataclass(frozen=True)
class ClassCounts:
    unique: int = 0
    crossed_in: int = 0  # the line, by direction
    crossed_out: int = 0
    inside: int = 0  # the zone: in it on the last frame, entries and exits
    entered: int = 0
    exited: int = 0


@dataclass(frozen=True)
class CountSummary:
    """Counts per class name, plus the settings they were made with."""

    names: list[str]
    per_class: dict[str, ClassCounts]
    min_frames: int
    frames: int
    line: CountingLine | None = None
    zone: CountingZone | None = None

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.per_class.values())

    def to_json(self) -> dict:
        return {
            "min_frames": self.min_frames, "frames": self.frames,
            "line": self.line.text() if self.line else None,
            "zone": [list(p) for p in self.zone.points] if self.zone else None,
            "classes": {name: {"unique": c.unique, "in": c.crossed_in, "out": c.crossed_out,
                               **({"inside": c.inside, "entered": c.entered,
                                   "exited": c.exited} if self.zone else {})}
                        for name, c in self.per_class.items()},
            "unique": self.total("unique"), "in": self.total("crossed_in"),
            "out": self.total("crossed_out"),
        }


@dataclass
class _Track:
    track_id: int
    segment: int = 0
    frames: int = 0
    votes: Counter = field(default_factory=Counter)
    first_frame: int = -1
    first_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    last_frame: int = -1
    last_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    history: deque = field(default_factory=lambda: deque(maxlen=8))  # (frame, x, y)
    parent: int | None = None  # the track this one continues (same animal, one count)
    child: int | None = None  # the track that continues this one
    link_event: CountEvent | None = None  # a crossing made in the gap between the two
    side: float = 0.0  # last side of the line it was clearly on (0: not yet)
    side_point: tuple[float, float] | None = None
    inside: bool | None = None
    trail: deque = field(default_factory=lambda: deque(maxlen=TRAIL_POINTS))

    @property
    def cls(self) -> int:
        return self.votes.most_common(1)[0][0] if self.votes else -1

    def end(self) -> TrackEnd:
        """Where it was last seen and how fast it moved (pixels per frame)."""
        (f0, x0, y0), (f1, x1, y1) = self.history[0], self.history[-1]
        steps = max(1, f1 - f0)
        return TrackEnd(self.track_id, self.last_frame, self.last_box,
                        ((x1 - x0) / steps, (y1 - y0) / steps))


class _TrackerInput:
    """Detections shaped as ultralytics' trackers read them (``Boxes.cpu().numpy()``)."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xyxy, self.conf, self.cls = xyxy, conf, cls.astype(np.float32)

    @property
    def xywh(self) -> np.ndarray:
        x1, y1, x2, y2 = self.xyxy.T
        return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: Any) -> _TrackerInput:
        return _TrackerInput(self.xyxy[index], self.conf[index], self.cls[index])


# ----- the counter ---------------------------------------------------------------------------
class TrackCounter:
    """Follows the animals of one source and counts them (see the module docstring)."""

    def __init__(self, names: list[str], tracker: str = DEFAULT_TRACKER,
                 min_frames: int = DEFAULT_MIN_FRAMES, line: CountingLine | None = None,
                 zone: CountingZone | None = None, conf: float = 0.25,
                 keep_records: bool = True, fps: float | None = None) -> None:
        if min_frames < 1:
            raise UserError("--min-frames must be 1 or more.")
        if tracker not in TRACKERS:
            raise UserError(f"Unknown tracker '{tracker}': use one of {', '.join(TRACKERS)}.")
        self.names, self.kind = list(names), tracker
        self.min_frames = int(min_frames)
        self.line, self.zone = line, zone
        self.keep_records = keep_records
        self._lock = threading.RLock()
        self._tracker: Any = None  # made on the first frame: importing ultralytics takes
        self._conf = float(conf)   # seconds, and the GUI thread must not wait for it
        self._tracks: dict[int, _Track] = {}
        self._young: set[int] = set()  # may still turn out to continue an ended track
        self._recent: dict[int, _Track] = {}  # seen within the last buffer of frames
        self._segment = 0
        self._fps = float(fps) if fps else 0.0  # 0: measured from the frames' times
        self._steps: deque = deque(maxlen=31)  # seconds between recent frames
        self._events: list[CountEvent] = []
        self._track_events: dict[int, list[CountEvent]] = {}  # track ID -> its events
        self._counts = ChainCounts()  # the totals, recounted only where tracks changed
        self.records: list[TrackBox] = []
        self.series: list[tuple[float, int, int, int]] = []  # time, unique, in, out
        self.frames = 0
        self.dropped_records = 0
        self._id_base = 0
        self._frame_base = 0
        self._time_base = 0.0
        self._last_frame, self._last_time = -1, 0.0
        self.current: list[TrackBox] = []  # shown on the last frame, under the animal's ID
        self._shown: dict[int, int] = {}  # animal's ID -> the tracker's track shown now

    # ----- settings --------------------------------------------------------------------------
    def set_conf(self, conf: float) -> None:
        """The slider's confidence starts tracks; weaker boxes (> 0.1) only continue them."""
        with self._lock:
            self._conf = float(conf)
            if self._tracker is not None:
                self._apply_conf()

    def _apply_conf(self) -> None:
        args = self._tracker.args
        args.track_high_thresh = self._conf
        args.new_track_thresh = min(self._conf + NEW_TRACK_MARGIN, max(self._conf, 0.95))
        args.track_low_thresh = min(LOW_CONF, self._conf)

    @property
    def fps(self) -> float:
        """Frames fed per second: given, else measured from the frames' times (25 until
        two frames came)."""
        if self._fps > 0:
            return self._fps
        steps = sorted(self._steps)
        return 1.0 / steps[len(steps) // 2] if steps else 25.0

    @property
    def buffer_frames(self) -> int:
        """:data:`TRACK_BUFFER_S` in frames at the rate this counter is fed."""
        return max(1, round(TRACK_BUFFER_S * self.fps))

    def _apply_buffer(self) -> None:
        frames = self.buffer_frames
        self._tracker.args.track_buffer = frames
        for name in ("max_frames_lost", "max_time_lost"):  # ultralytics 8.4 / before
            if hasattr(self._tracker, name):
                setattr(self._tracker, name, frames)

    def _ensure_tracker(self) -> Any:
        if self._tracker is None:
            self._tracker = make_tracker(self.kind, **TRACKER_OVERRIDES.get(self.kind, {}))
            self._apply_conf()
            self._apply_buffer()
        return self._tracker

    def set_line(self, line: CountingLine | None) -> None:
        """A new line: crossings are counted from now on (earlier ones belonged to the old)."""
        with self._lock:
            self.line = line
            self._keep_events(("enter", "exit"))
            for track in self._tracks.values():
                track.side, track.side_point = 0.0, None

    def set_zone(self, zone: CountingZone | None) -> None:
        with self._lock:
            self.zone = zone
            self._keep_events(("in", "out"))
            for track in self._tracks.values():
                track.inside = None

    def _keep_events(self, kinds: tuple[str, ...]) -> None:
        self._events = [e for e in self._events if e.kind in kinds]
        self._track_events = {}
        for event in self._events:
            self._track_events.setdefault(event.track_id, []).append(event)
        self._counts.invalidate()

    def set_names(self, names: list[str]) -> None:
        """Class names, once the model is loaded (Live creates the counter before that)."""
        with self._lock:
            self.names = list(names)

    def set_min_frames(self, frames: int) -> None:
        with self._lock:
            self.min_frames = max(1, int(frames))
            self._counts.invalidate()

    @property
    def feed_conf(self) -> float:
        """The confidence candidates are filtered at before they reach the tracker."""
        return min(LOW_CONF, self._conf)

    # ----- per frame -------------------------------------------------------------------------
    def update_raw(self, raw: Detections, image: np.ndarray | None, frame: int, time_s: float,
                   iou: float, classes: Iterable[int] | None = None, nms: bool = True,
                   max_det: int = 300) -> list[TrackBox]:
        """Filter one frame's raw candidates as the viewer does, then :meth:`update`."""
        feed = filter_detections(raw, self.feed_conf, iou, max_det, classes, nms=nms)
        return self.update(feed, image, frame, time_s)

    def update(self, dets: Detections, image: np.ndarray | None, frame: int,
               time_s: float) -> list[TrackBox]:
        """Track one frame's detections; returns the tracks shown on it (confirmed by the
        tracker; IDs from 1, continuing across segments)."""
        with self._lock:
            if time_s + self._time_base < self._last_time:  # a looping file started again
                self._time_base = self._last_time - time_s
            if frame + self._frame_base <= self._last_frame:
                self._frame_base = self._last_frame + 1 - frame
            frame, time_s = frame + self._frame_base, time_s + self._time_base
            if self._last_frame >= 0 and time_s > self._last_time:
                self._steps.append(time_s - self._last_time)
            tracker = self._ensure_tracker()
            self._apply_buffer()
            out = tracker.update(_TrackerInput(dets.xyxy, dets.conf, dets.cls), image)
            boxes = [self._observe(row, frame, time_s) for row in np.asarray(out).reshape(-1, 8)]
            self._link_young(frame, time_s)
            self.frames += 1
            self._last_frame, self._last_time = frame, time_s
            self._shown = {self._root(b.track_id): b.track_id for b in boxes}
            self.current = [b if self._root(b.track_id) == b.track_id
                            else replace(b, track_id=self._root(b.track_id)) for b in boxes]
            summary = self._summary_locked()
            self.series.append((time_s, summary.total("unique"), summary.total("crossed_in"),
                                summary.total("crossed_out")))
            if len(self.series) > MAX_SERIES:
                self.series = _thinned(self.series)
            return boxes

    def _observe(self, row: np.ndarray, frame: int, time_s: float) -> TrackBox:
        x1, y1, x2, y2, tid, score, cls = (float(v) for v in row[:7])
        track_id = int(tid) + self._id_base
        box = TrackBox(frame, time_s, track_id, int(cls), (x1, y1, x2, y2), score)
        track = self._tracks.get(track_id)
        if track is None:
            track = self._tracks[track_id] = _Track(track_id, self._segment, first_frame=frame,
                                                    first_box=box.xyxy)
            self._young.add(track_id)
        if track.child is not None:  # seen again: the track thought to continue it did not
            self._unlink(self._tracks[track.child])
        track.frames += 1
        track.votes[box.cls] += 1
        self._counts.touch(track_id)
        track.last_frame, track.last_box = frame, box.xyxy
        self._recent[track_id] = track
        center = box.center
        track.trail.append(center)
        track.history.append((frame, *center))
        self._check_line(track, center, frame, time_s)
        self._check_zone(track, center, frame, time_s)
        if self.keep_records:
            if len(self.records) < MAX_RECORDS:
                self.records.append(box)
            else:
                self.dropped_records += 1
        return box

    def _check_line(self, track: _Track, point: tuple[float, float], frame: int,
                    time_s: float) -> None:
        if self.line is None:
            return
        side = self.line.side(*point)
        if abs(side) <= HYSTERESIS_PX:
            return
        if track.side and (side > 0) != (track.side > 0) and track.side_point is not None \
                and self.line.within(track.side_point, point):
            kind = "in" if track.side > 0 else "out"
            self._add_event(CountEvent(frame, time_s, track.track_id, kind))
        track.side, track.side_point = side, point

    def _check_zone(self, track: _Track, point: tuple[float, float], frame: int,
                    time_s: float) -> None:
        if self.zone is None:
            return
        inside = self.zone.contains(*point)
        if track.inside is not None and inside != track.inside:
            kind = "enter" if inside else "exit"
            self._add_event(CountEvent(frame, time_s, track.track_id, kind))
        track.inside = inside

    def _add_event(self, event: CountEvent) -> None:
        self._events.append(event)
        self._track_events.setdefault(event.track_id, []).append(event)
        self._counts.touch(event.track_id)

    # ----- one animal, two tracks ------------------------------------------------------------
    def _link_young(self, frame: int, time_s: float) -> None:
        """Young tracks born where an ended one was heading continue it (see track_links)."""
        horizon = frame - self.buffer_frames - LINK_FRAMES - 1
        self._recent = {k: t for k, t in self._recent.items() if t.last_frame >= horizon}
        for track_id in sorted(self._young):
            track = self._tracks[track_id]
            if track.frames > LINK_FRAMES:
                self._young.discard(track_id)
                continue
            ends = [t.end() for t in self._recent.values()
                    if t.last_frame < frame and t.child is None and t.segment == track.segment
                    and t.first_frame < track.first_frame
                    and self._frames_up_to(t) >= self.min_frames]
            parent = find_predecessor(ends, track.first_frame, track.first_box,
                                      self.buffer_frames, LINK_FRAMES)
            if parent is not None:
                self._link(self._tracks[parent], track, time_s)

    def _link(self, old: _Track, new: _Track, time_s: float) -> None:
        new.parent, old.child = old.track_id, new.track_id
        self._counts.touch(old.track_id)
        self._counts.touch(new.track_id)
        self._young.discard(new.track_id)
        _f, x, y = new.history[0]
        if self.line is not None and old.side and old.side_point is not None:
            side = self.line.side(x, y)
            if abs(side) > HYSTERESIS_PX and (side > 0) != (old.side > 0) \
                    and self.line.within(old.side_point, (x, y)):
                new.link_event = CountEvent(new.first_frame, time_s, new.track_id,
                                            "in" if old.side > 0 else "out")
                self._add_event(new.link_event)

    def _unlink(self, new: _Track) -> None:
        if new.parent is not None:
            self._tracks[new.parent].child = None
            self._counts.touch(new.parent)
        new.parent = None
        self._counts.touch(new.track_id)
        if new.link_event is not None and new.link_event in self._events:
            self._events.remove(new.link_event)
            self._track_events[new.track_id].remove(new.link_event)
        new.link_event = None

    def _frames_up_to(self, track: _Track) -> int:
        """Frames seen of an animal up to this track (a flicker is no animal to continue)."""
        frames = track.frames
        while track.parent is not None:
            track = self._tracks[track.parent]
            frames += track.frames
        return frames

    def _root(self, track_id: int) -> int:
        return chain_root(self._tracks, track_id)

    def _fresh_counts(self) -> ChainCounts:
        self._counts.refresh(self._tracks, self._track_events, self.min_frames)
        return self._counts

    def new_segment(self) -> None:
        """The source restarted (a reconnect): a fresh tracker, the same counts, a gap."""
        with self._lock:
            self._segment += 1
            self._young.clear()
            self._steps.clear()
            self._id_base = max([self._id_base, *self._tracks])
            self._frame_base = self._last_frame + 1
            self._time_base = self._last_time
            if self._tracker is not None:
                self._tracker.reset()
            self.current = []
            if self.series:
                self.series.append((self._last_time, -1, -1, -1))  # -1: a gap

    # ----- reading ---------------------------------------------------------------------------
    def confirmed(self) -> list[int]:
        """IDs of the animals counted (one per chain of tracks, see :meth:`_link`)."""
        with self._lock:
            return self._fresh_counts().confirmed()

    def summary(self) -> CountSummary:
        with self._lock:
            return self._summary_locked()

    def _summary_locked(self) -> CountSummary:
        counts = self._fresh_counts()
        unique, events = counts.unique, counts.events
        inside: Counter = Counter()
        if self.zone is not None:  # the tracks on the last frame were all seen recently
            for track in self._recent.values():
                chain = counts.chains.get(self._root(track.track_id))
                if track.inside and track.last_frame == self._last_frame and chain \
                        and chain.cls >= 0:
                    inside[chain.cls] += 1
        per_class = {}
        for c, name in enumerate(self.names):
            per_class[name] = ClassCounts(unique[c], events["in"][c], events["out"][c],
                                          inside[c], events["enter"][c], events["exit"][c])
        return CountSummary(self.names, per_class, self.min_frames, self.frames, self.line,
                            self.zone)

    def events(self) -> list[CountEvent]:
        with self._lock:
            return list(self._events)

    def trails(self) -> dict[int, list[tuple[float, float]]]:
        """Recent centre points of the tracks shown on the last frame."""
        with self._lock:
            return {shown: list(self._tracks[raw].trail) for shown, raw in self._shown.items()}

    def confirmed_records(self) -> list[TrackBox]:
        """Every frame of every confirmed animal, under its ID (the tracks export)."""
        with self._lock:
            keep = set(self.confirmed())
            roots = {tid: self._root(tid) for tid in self._tracks}
            return [r if roots[r.track_id] == r.track_id else replace(r, track_id=roots[r.track_id])
                    for r in self.records if roots[r.track_id] in keep]

    def track_class(self, track_id: int) -> int:
        with self._lock:
            root = self._root(track_id)
            if root not in self._tracks:
                return -1
            votes = self._chains_of(root)
            return votes.most_common(1)[0][0] if votes else -1

    def _chains_of(self, root: int) -> Counter:
        """Class votes of every track of one animal."""
        votes: Counter = Counter()
        track = self._tracks.get(root)
        while track is not None:
            votes += track.votes
            track = self._tracks.get(track.child) if track.child is not None else None
        return votes


def _thinned(series: list[tuple[float, int, int, int]]) -> list[tuple[float, int, int, int]]:
    """Every other point of the older half, keeping gap markers and the newest half whole."""
    half = len(series) // 2
    old = [p for i, p in enumerate(series[:half]) if i % 2 == 0 or p[1] < 0]
    return old + series[half:]


# ----- running over frames -------------------------------------------------------------------
@dataclass
class TrackingRun:
    """What a tracking run over a video or camera produced (the CLI and the benchmark)."""

    counter: TrackCounter
    frames: int = 0
    detect_s: float = 0.0  # model time
    track_s: float = 0.0  # tracker + counting time
    fps: float = 25.0
    size: tuple[int, int] = (0, 0)
    stopped: str = ""  # why it ended early ("" when the source ended)

    @property
    def overhead(self) -> float:
        """Tracking time as a fraction of detection time."""
        return self.track_s / self.detect_s if self.detect_s > 0 else 0.0


def track_frames(counter: TrackCounter, frames: Iterator[tuple[int, float, np.ndarray]],
                 detect: Any, iou: float, classes: Iterable[int] | None = None,
                 nms: bool = True, run: TrackingRun | None = None,
                 ctx: Any = None, total: int = 0) -> TrackingRun:
    """Detect (``detect(image) -> Detections`` raw candidates) and track every frame."""
    import time

    run = run or TrackingRun(counter)
    wanted = None if classes is None else list(classes)
    for index, time_s, image in frames:
        if ctx is not None:
            ctx.step(index, max(total, index + 1), f"Tracking frame {index + 1}")
        t0 = time.perf_counter()
        raw = detect(image)
        t1 = time.perf_counter()
        counter.update_raw(raw, image, index, time_s, iou, wanted, nms)
        run.track_s += time.perf_counter() - t1
        run.detect_s += t1 - t0
        run.frames += 1
        run.size = (image.shape[1], image.shape[0])
    return run


def retrack_cached(counter: TrackCounter, raws: list[Detections], fps: float, iou: float,
                   classes: Iterable[int] | None = None, nms: bool = True,
                   images: Iterator[np.ndarray] | None = None) -> TrackCounter:
    """Track a video's cached raw candidates again (new sliders) without the model.

    ``images`` are only needed by BoT-SORT's camera-motion compensation.
    """
    wanted = None if classes is None else list(classes)
    for index, raw in enumerate(raws):
        image = next(images, None) if images is not None else None
        counter.update_raw(raw, image, index, index / (fps or 25.0), iou, wanted, nms)
    return counter


# ----- exports -------------------------------------------------------------------------------
def tracks_csv_text(records: Iterable[TrackBox], names: list[str]) -> str:
    lines = ["frame,time_s,id,class,x1,y1,x2,y2,confidence"]
    for r in records:
        name = names[r.cls] if 0 <= r.cls < len(names) else str(r.cls)
        x1, y1, x2, y2 = r.xyxy
        lines.append(f"{r.frame},{r.time_s:.3f},{r.track_id},{_csv_field(name)},"
                     f"{x1:.1f},{y1:.1f},{x2:.1f},{y2:.1f},{r.conf:.4f}")
    return "\n".join(lines) + "\n"


def mot_text(records: Iterable[TrackBox]) -> str:
    """MOTChallenge results: ``frame,id,left,top,width,height,conf,-1,-1,-1``, frames from 1."""
    lines = []
    for r in sorted(records, key=lambda r: (r.frame, r.track_id)):
        x1, y1, x2, y2 = r.xyxy
        lines.append(f"{r.frame + 1},{r.track_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},"
                     f"{y2 - y1:.2f},{r.conf:.4f},-1,-1,-1")
    return "\n".join(lines) + ("\n" if lines else "")


def summary_csv_text(summary: CountSummary) -> str:
    zone = summary.zone is not None
    lines = ["class,unique,in,out" + (",inside,entered,exited" if zone else "")]
    for name, c in summary.per_class.items():
        lines.append(f"{_csv_field(name)},{c.unique},{c.crossed_in},{c.crossed_out}"
                     + (f",{c.inside},{c.entered},{c.exited}" if zone else ""))
    return "\n".join(lines) + "\n"


def write_tracks(counter: TrackCounter, path: str | Path) -> Path:
    """Confirmed tracks as CSV, or in MOTChallenge text when the name ends in ``.txt``."""
    records = counter.confirmed_records()
    path = Path(path)
    text = mot_text(records) if path.suffix.lower() == ".txt" \
        else tracks_csv_text(records, counter.names)
    return write_text_atomic(path, text)


def write_summary(counter: TrackCounter, path: str | Path) -> Path:
    return write_text_atomic(path, summary_csv_text(counter.summary()))


def _csv_field(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text
