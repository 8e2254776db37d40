"""Live detection: a capture thread, an inference worker and newest-frame hand-offs.

::

    source ──CaptureThread──▶ FrameSlot (1 frame) ──inference worker──▶ latest result ──▶ display
                                                          └──▶ Recorder (annotated frames)

The worker predicts once per frame at ``conf=0.001, iou=1.0`` and keeps the raw candidates;
the live confidence/IoU sliders and class toggles are applied by :func:`filter_detections`,
so moving a slider on a paused frame re-filters it without running the model again. Measured
(benchmarks/bench_live.py): re-filtering costs about 0.1 ms per frame (2 ms for 1,000
candidates) and predicting raw candidates costs the same as predicting at the slider's
threshold, so there is no reason to re-run the model per slider position.

Nothing is queued: the capture keeps only the newest frame, the worker publishes only its
newest result, and the display paints whatever is newest when it gets to it. A file played
"as fast as possible" is read on demand instead: just in time while the model works when a
core is free for decoding, or strictly one frame at a time (read, infer, paint) when the
model uses every core, since any work beside torch's threads then stalls them. The torch
thread count itself is measured live (:class:`ThreadChooser`).

Qt-free: the GUI adapts the ``on_frame``/``on_state`` callbacks (called from the worker
thread) to signals and calls :meth:`LivePipeline.mark_displayed` when it paints.
"""

from __future__ import annotations

import collections
import os
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.video import (
    FOURCCS,
    OPEN_TIMEOUT_S,
    STALL_TIMEOUT_S,
    CaptureThread,
    Frame,
    FrameSlot,
    OpenedSource,
    SourceError,
    VideoSource,
    dropped_message,
    open_source,
)

#: Raw-candidate prediction settings shared with the detection viewer.
RAW_PREDICT = {"conf": 0.001, "iou": 1.0, "max_det": 10000}

#: Files played "as fast as possible": the next frame is asked to be ready this long before
#: the current one is done, so the model never waits and a frame waits only about this long.
PREFETCH_MARGIN_S = 0.002

#: How long a frame-at-a-time run waits for the display to paint a frame.
DISPLAY_ACK_TIMEOUT_S = 0.25

#: States reported through ``on_state``; the last four end a run.
ACTIVE_STATES = ("opening", "loading", "running", "paused")
FINAL_STATES = ("ended", "dropped", "failed", "stopped")


@dataclass(frozen=True)
class FilterSettings:
    """What the sliders and class toggles say; ``classes=None`` shows every class."""

    conf: float = 0.25
    iou: float = 0.7
    classes: frozenset[int] | None = None
    max_det: int = 300


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


class ThreadChooser:
    """Picks torch's thread count for live inference by measuring it, and keeps measuring.

    Measured on a 2-core machine shared with other work (benchmarks/bench_live.py): when it
    was quiet, every core was fastest (yolov8n at 640 px: 25-28 ms per frame instead of 48 ms
    with one thread, capture and display included); when other programs kept the cores busy,
    torch's OpenMP threads waited on each other and two threads took 70-260 ms per frame
    where one took 6-26 ms (64-320 px). Ultralytics always leaves one core idle; the project
    default is every core. Neither is right everywhere, so both are tried, the faster is
    used, and the other is tried again for a few frames now and then (after 30 frames, then
    ever more rarely while the choice holds, so a wrong early guess is soon corrected).
    """

    PROBE_FRAMES = 3  # frames per trial (plus one that only warms the thread pool)
    FIRST_PROBE = 30  # frames before the choice is checked again; doubles while it holds
    LONGEST_PROBE = 600
    SMOOTHING = 0.3

    def __init__(self, cores: int | None = None, fixed: int | None = None) -> None:
        cores = max(1, cores or os.cpu_count() or 1)
        self.options = [fixed] if fixed else sorted({cores, max(1, cores - 1)}, reverse=True)
        self.ms: dict[int, float] = {}
        self._samples = dict.fromkeys(self.options, 0)
        self._frames = 0
        self._last = 0
        self._probe_left = 0
        self._probe_against = 0
        self._interval = self.FIRST_PROBE
        self._next_probe = self.FIRST_PROBE

    def best(self) -> int:
        """The fastest count measured so far (all cores before anything was measured)."""
        known = [n for n in self.options if n in self.ms]
        return min(known, key=lambda n: self.ms[n]) if known else self.options[0]

    def next(self) -> int:
        """How many threads the next frame should use."""
        for option in self.options:
            if self._samples[option] < self.PROBE_FRAMES:
                return option
        if len(self.options) == 1:
            return self.options[0]
        if self._probe_left == 0 and self._frames >= self._next_probe:
            self._probe_left, self._probe_against = self.PROBE_FRAMES + 1, self.best()
            other = next(n for n in self.options if n != self._probe_against)
            self.ms.pop(other, None)  # an old figure says little about the load now
        if self._probe_left > 0:
            return next(n for n in self.options if n != self._probe_against)
        return self.best()

    def record(self, threads: int, ms: float) -> None:
        """One frame's time with ``threads`` (inference, or the frame-to-frame period when a
        file plays as fast as possible); the first frame after a change only warms the pool."""
        self._frames += 1
        changed, self._last = threads != self._last, threads
        if not (changed and len(self.options) > 1):
            old = self.ms.get(threads)
            self.ms[threads] = ms if old is None else old + self.SMOOTHING * (ms - old)
            self._samples[threads] += 1
        if self._probe_left > 0:
            self._probe_left -= 1
            if self._probe_left == 0:  # checked: wait longer next time if the choice held
                held = self.best() == self._probe_against
                self._interval = min(2 * self._interval, self.LONGEST_PROBE) if held \
                    else self.FIRST_PROBE
                self._next_probe = self._frames + self._interval


class Detector:
    """A loaded YOLO model that returns raw candidates for one frame."""

    def __init__(self, model: Any, imgsz: int | None = None, threads: int | None = None,
                 chooser: ThreadChooser | None = None) -> None:
        self.model = model
        self.imgsz = imgsz
        self.threads = chooser or ThreadChooser(fixed=threads)
        names = getattr(model, "names", None) or {}
        self.names = [str(names[k]) for k in sorted(names)] if isinstance(names, dict) \
            else [str(n) for n in names]
        self.nms = not bool(getattr(getattr(model, "model", None), "end2end", False))

    @staticmethod
    def _set_threads(count: int) -> None:
        """Torch's thread count is process-wide and other panels change it: set it per frame
        (about 0.1 µs when unchanged)."""
        import torch

        if torch.get_num_threads() != count:
            torch.set_num_threads(count)

    def raw(self, image: np.ndarray, threads: int | None = None) -> Detections:
        """Raw candidates of one frame, with ``threads`` torch threads (default: the best)."""
        kwargs: dict[str, Any] = dict(RAW_PREDICT, verbose=False)
        if self.imgsz:
            kwargs["imgsz"] = self.imgsz
        self._set_threads(threads or self.threads.best())
        boxes = self.model.predict(image, **kwargs)[0].boxes
        return Detections(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(),
                          boxes.cls.cpu().numpy())

    def warm_up(self, size: tuple[int, int]) -> None:
        """Throw-away predictions: the first builds the predictor (a second or more), which
        must not count as the first frame's inference time."""
        width, height = size if size[0] > 0 else (640, 480)
        self.raw(np.zeros((height, width, 3), dtype=np.uint8))


_MODELS: collections.OrderedDict[tuple[str, float], Any] = collections.OrderedDict()
_MODELS_LOCK = threading.Lock()
_CHOOSERS: dict[tuple[Any, ...], ThreadChooser] = {}


def load_detector(weights: str | Path, imgsz: int | None = None,
                  threads: int | None = None) -> Detector:
    """Load (or reuse) a model: restarting or reconnecting must not reload the weights."""
    path = engine.check_weights_file(weights)
    stamp = path.stat().st_mtime if path.exists() else 0.0
    key = (str(path), stamp)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = engine.load_model(path)
            _MODELS[key] = model
            while len(_MODELS) > 2:
                _MODELS.popitem(last=False)
        # what was learnt about threads carries over to the next run of the same model
        chooser = _CHOOSERS.setdefault((key, imgsz, threads), ThreadChooser(fixed=threads))
        return Detector(model, imgsz, threads, chooser)


def find_latest_weights(root: str | Path) -> Path | None:
    """The newest ``runs/**/weights/best.pt`` under a dataset root, if training made one."""
    runs = Path(root) / "runs"
    if not runs.is_dir():
        return None
    found = [p for p in runs.glob("**/weights/best.pt") if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


# --------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------

#: BGR colours per class id (ultralytics' palette order, so boxes look familiar).
PALETTE = ((56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255), (49, 210, 207),
           (10, 249, 72), (23, 204, 146), (134, 219, 61), (52, 147, 26), (187, 212, 0),
           (168, 153, 44), (255, 194, 0), (147, 69, 52), (255, 115, 100), (236, 24, 0),
           (255, 56, 132), (133, 0, 82), (255, 56, 203), (200, 149, 255), (199, 55, 255))


def class_color(cls: int) -> tuple[int, int, int]:
    return PALETTE[int(cls) % len(PALETTE)]


def draw_detections(image: np.ndarray, dets: Detections, names: list[str]) -> np.ndarray:
    """A copy of ``image`` with boxes and "name 0.87" labels (the frame itself is kept clean)."""
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 320))
    scale = max(0.4, min(h, w) / 800)
    for (x1, y1, x2, y2), conf, cls in zip(dets.xyxy.astype(int), dets.conf, dets.cls,
                                           strict=True):
        color = class_color(cls)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thick)
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        _draw_label(out, f"{name} {conf:.2f}", (x1, y1), color, scale)
    return out


def _draw_label(out: np.ndarray, text: str, corner: tuple[int, int],
                color: tuple[int, int, int], scale: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    x, y = min(max(0, corner[0]), max(0, out.shape[1] - tw - 4)), corner[1]  # keep it inside
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(out, (x, top), (x + tw + 4, top + th + base + 2), color, -1)
    ink = (0, 0, 0) if sum(color) > 450 else (255, 255, 255)
    cv2.putText(out, text, (x + 2, top + th + 1), font, scale, ink, 1, cv2.LINE_AA)


# --------------------------------------------------------------------------------------
# Results and statistics
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveResult:
    """One processed frame: what the model saw, what the filter kept, what to paint."""

    frame: Frame
    raw: Detections
    shown: Detections
    annotated: np.ndarray
    infer_ms: float
    settings: FilterSettings


@dataclass(frozen=True)
class StatsSnapshot:
    """Rolling figures for the overlay, plus run totals for the benchmark."""

    display_fps: float = 0.0
    infer_ms: float = 0.0
    latency_ms: float = 0.0
    processed: int = 0
    displayed: int = 0
    dropped: int = 0
    mean_infer_ms: float = 0.0
    mean_latency_ms: float = 0.0


class LiveStats:
    """Thread-safe counters: inference time, capture-to-display latency and display rate."""

    WINDOW = 30
    FPS_SPAN_S = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._infer: collections.deque[float] = collections.deque(maxlen=self.WINDOW)
        self._latency: collections.deque[float] = collections.deque(maxlen=self.WINDOW)
        self._shown_at: collections.deque[float] = collections.deque(maxlen=240)
        self._totals = {"processed": 0, "displayed": 0, "infer": 0.0, "latency": 0.0}
        self._last_frame: Frame | None = None

    def add_inference(self, ms: float) -> None:
        with self._lock:
            self._infer.append(ms)
            self._totals["processed"] += 1
            self._totals["infer"] += ms

    def add_display(self, frame: Frame, now: float | None = None) -> bool:
        """Count ``frame`` as shown (once: a repaint or a re-filter is not a new frame)."""
        now = time.perf_counter() if now is None else now
        with self._lock:
            if frame is self._last_frame:
                return False
            self._last_frame = frame
            latency = (now - frame.captured) * 1000.0
            self._latency.append(latency)
            self._shown_at.append(now)
            self._totals["displayed"] += 1
            self._totals["latency"] += latency
            return True

    def snapshot(self, dropped: int = 0, now: float | None = None) -> StatsSnapshot:
        now = time.perf_counter() if now is None else now
        with self._lock:
            t = self._totals
            return StatsSnapshot(
                display_fps=self._display_fps(now),
                infer_ms=_mean(self._infer), latency_ms=_mean(self._latency),
                processed=int(t["processed"]), displayed=int(t["displayed"]), dropped=dropped,
                mean_infer_ms=t["infer"] / t["processed"] if t["processed"] else 0.0,
                mean_latency_ms=t["latency"] / t["displayed"] if t["displayed"] else 0.0,
            )


    def _display_fps(self, now: float) -> float:
        """Frames shown per second over the last two seconds; 0 once nothing is shown."""
        recent = [t for t in self._shown_at if now - t <= self.FPS_SPAN_S]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)


def _mean(values: collections.deque[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingReport:
    path: Path
    frames_written: int
    frames_readable: int  # what OpenCV reads back: proof the file plays


class Recorder:
    """Annotated frames into a video file that plays in real time.

    Frames are placed on the source's timeline (file position, or wall-clock for cameras): a
    frame that took three source frames to process is written three times, so the recording
    neither races nor crawls. Pauses and loops restart the timeline instead of filling gaps.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.path = Path(path).expanduser()
        fourcc = FOURCCS.get(self.path.suffix.lower())
        if fourcc is None:
            raise UserError(f"Cannot record to {self.path.name}: choose a .mp4 or .avi file.")
        if not self.path.parent.is_dir():
            raise UserError(f"Cannot record to {self.path}: the folder does not exist.")
        self.fps, self.size = float(fps), (int(size[0]), int(size[1]))
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*fourcc),
                                       self.fps, self.size)
        if not self._writer.isOpened():
            raise UserError(f"Cannot record to {self.path}: the file cannot be created "
                            "(is the folder writable?).")
        self.frames = 0
        self._t0: float | None = None

    def write(self, image: np.ndarray, media_s: float) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if self._t0 is None:
            self._t0 = media_s
        copies = round((media_s - self._t0) * self.fps) - self.frames + 1
        if copies < 1 or copies > self.fps:  # a pause, a loop or a long stall: new timeline
            self._t0 = media_s - self.frames / self.fps
            copies = 1
        for _ in range(copies):
            self._writer.write(image)
        self.frames += copies

    def close(self) -> RecordingReport:
        self._writer.release()
        return RecordingReport(self.path, self.frames, verify_recording(self.path))


def verify_recording(path: str | Path, count_all: bool = True) -> int:
    """Reopen a recording and count its frames (or trust the header when ``count_all=False``).

    Returns 0 when the file cannot be opened or holds no readable frame.
    """
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return 0
        if not count_all:
            ok, _ = cap.read()
            return int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if ok else 0
        count = 0
        while cap.grab():
            count += 1
        return count
    finally:
        cap.release()


# --------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------

FrameCallback = Callable[[], None]
StateCallback = Callable[[str, str], None]


def _ignore(*_args: Any) -> None:
    return None


class LivePipeline:
    """Runs live detection on one source until it ends, drops, fails or is stopped.

    ``on_frame()`` is called (from the worker thread) whenever :meth:`latest` has a newer
    result; ``on_state(state, message)`` when the state changes: ``opening``, ``loading``,
    ``running``, ``paused``, then exactly one of ``ended``, ``dropped``, ``failed``,
    ``stopped``. Call :meth:`mark_displayed` when a result is actually painted: that is
    where capture-to-display latency and display FPS are measured. With ``display_ack``
    (a display is attached) a file played as fast as possible on every core waits for each
    frame to be painted before the model starts on the next one.
    """

    def __init__(self, source: VideoSource, weights: str | Path, *, pace: str = "source",
                 loop: bool = False, settings: FilterSettings | None = None,
                 imgsz: int | None = None, threads: int | None = None,
                 on_frame: FrameCallback | None = None,
                 on_state: StateCallback | None = None, open_timeout_s: float = OPEN_TIMEOUT_S,
                 stall_timeout_s: float = STALL_TIMEOUT_S, display_ack: bool = False) -> None:
        if pace not in ("source", "fast"):
            raise ValueError(f"pace must be 'source' or 'fast', not {pace!r}")
        self.source, self.weights, self.pace, self.loop = source, weights, pace, loop
        self.imgsz, self.threads = imgsz, threads
        self.open_timeout_s, self.stall_timeout_s = open_timeout_s, stall_timeout_s
        self._settings = settings or FilterSettings()
        self._on_frame = on_frame or _ignore
        self._on_state = on_state or _ignore
        self.stats = LiveStats()
        self.state, self.message = "idle", ""
        self.names: list[str] = []
        self.opened: OpenedSource | None = None
        self.detector: Detector | None = None
        self._slot = FrameSlot()
        self._capture: CaptureThread | None = None
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._lock = threading.Lock()
        self._latest: LiveResult | None = None
        self._recorder: Recorder | None = None
        self._last_recording: RecordingReport | None = None
        self._recording_error = ""
        self._busy_s = 0.0  # time to process one frame (moving average)
        self.display_ack = display_ack  # a display calls mark_displayed for each frame
        self._displayed = threading.Event()
        self._ack_missing = False
        self._cores = max(1, os.cpu_count() or 1)

    # ----- control --------------------------------------------------------------------------
    def start(self) -> None:
        if self._worker is not None:
            raise RuntimeError("a LivePipeline runs once; make a new one to restart")
        self._worker = threading.Thread(target=self._run, name="live-inference", daemon=True)
        self._worker.start()

    def pause(self) -> None:
        if self.state != "running":
            return
        self._paused.set()
        if self._capture is not None:
            self._capture.pause()
        self._set_state("paused", "Paused.")

    def resume(self) -> None:
        if self.state != "paused":
            return
        self._paused.clear()
        if self._capture is not None:
            self._capture.resume()
        self._set_state("running", f"Running on {self.source.label}.")

    def stop(self) -> None:
        """Ask every thread to finish; returns at once (see :meth:`join`)."""
        self._stop.set()
        self._paused.clear()
        self._displayed.set()
        if self._capture is not None:
            self._capture.stop()
        self._slot.wake()

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for the worker (which waits for the capture); True when all have ended."""
        deadline = time.monotonic() + timeout
        for thread in (self._worker, self._capture):
            if thread is not None and thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not self.alive

    @property
    def alive(self) -> bool:
        return any(t is not None and t.is_alive() for t in (self._worker, self._capture))

    @property
    def running(self) -> bool:
        return self.state in ACTIVE_STATES

    # ----- results -------------------------------------------------------------------------
    def latest(self) -> LiveResult | None:
        with self._lock:
            return self._latest

    def mark_displayed(self, result: LiveResult) -> None:
        """Called by the display when it painted ``result`` (latency and FPS are measured
        here; with ``display_ack`` it also lets a frame-at-a-time run go on)."""
        if self.stats.add_display(result.frame) and result is self.latest():
            self._ack_missing = False
            self._displayed.set()

    def stats_snapshot(self) -> StatsSnapshot:
        return self.stats.snapshot(self._slot.dropped)

    @property
    def settings(self) -> FilterSettings:
        return self._settings

    def set_filter(self, settings: FilterSettings) -> None:
        """Apply new thresholds: the next frame uses them; a paused or ended frame is redone."""
        self._settings = settings
        if self.state != "running":
            self._refilter_latest()

    def _refilter_latest(self) -> None:
        with self._lock:
            latest, settings = self._latest, self._settings
            if latest is None or latest.settings == settings or self.detector is None:
                return
            self._latest = self._finish(latest.frame, latest.raw, latest.infer_ms, settings)
        self._on_frame()

    # ----- recording ------------------------------------------------------------------------
    def start_recording(self, path: str | Path) -> Path:
        """Record annotated frames to ``path`` (.mp4 mp4v or .avi MJPG) from the next frame."""
        latest = self.latest()
        if latest is not None:
            size = (latest.frame.image.shape[1], latest.frame.image.shape[0])
        elif self.opened is not None and self.opened.size[0] > 0:
            size = self.opened.size
        else:
            raise UserError("Start the video first: the recording takes the frame size from it.")
        fps = (self.opened.fps if self.opened else 0.0) or 25.0
        recorder = Recorder(path, fps, size)
        with self._lock:
            old, self._recorder = self._recorder, recorder
            self._recording_error = ""
        if old is not None:
            old.close()
        return recorder.path

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def stop_recording(self) -> RecordingReport | None:
        """Close the file and check it plays; returns what was recorded (None if nothing)."""
        with self._lock:
            recorder, self._recorder = self._recorder, None
            report, self._last_recording = self._last_recording, None
        if recorder is not None:
            report = recorder.close()
        error, self._recording_error = self._recording_error, ""
        if error and report is None:
            raise UserError(error)
        return report

    # ----- the worker thread ------------------------------------------------------------------
    def _set_state(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self._on_state(state, message)

    def _run(self) -> None:
        outcome = ("stopped", "Stopped.")
        try:
            outcome = self._open_and_process()
        except UserError as exc:
            outcome = ("failed", str(exc))
        except Exception as exc:  # a bug: say so instead of dying silently
            traceback.print_exc()
            outcome = ("failed", f"Unexpected error: {type(exc).__name__}: {exc}")
        finally:
            self._finish_run(outcome)

    def _open_and_process(self) -> tuple[str, str]:
        self._set_state("opening", f"Opening {self.source.label}…")
        try:
            opened = open_source(self.source, self.open_timeout_s, cancel=self._stop)
        except Cancelled:
            return ("stopped", "Stopped.")
        self.opened = opened
        if self._stop.is_set():
            opened.release()
            return ("stopped", "Stopped.")
        try:
            self._set_state("loading", "Loading the model…")
            self.detector = load_detector(self.weights, self.imgsz, self.threads)
            self.detector.warm_up(opened.size)
        except BaseException:
            opened.release()
            raise
        self.names = self.detector.names
        self._capture = CaptureThread(opened, self._slot, self.pace, self.loop)
        if self._paused.is_set():
            self._capture.pause()
        self._capture.start()
        if self._stop.is_set():
            return ("stopped", "Stopped.")
        self._set_state("running", f"Running on {self.source.label}.")
        return self._process_loop(self._capture)

    def _process_loop(self, capture: CaptureThread) -> tuple[str, str]:
        fast = capture.on_demand
        asked = False  # on demand: the next frame has been asked for
        previous: tuple[float, int] | None = None  # on demand: when the last frame came, threads
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(0.05)
                previous = None
                continue
            if fast and not asked:
                self._slot.request()
                asked = True
            frame = self._slot.take(timeout=0.1)
            if frame is not None:
                previous = self._step(frame, fast, previous)
                continue
            if capture.finished.is_set():
                last = self._slot.take(timeout=0)
                if last is None:
                    return (capture.outcome or "stopped", capture.message or "Stopped.")
                self._process(last, self._threads.next())
            elif self._stalled(capture):
                return ("dropped", f"No frame from {self.source.label} for "
                                   f"{self.stall_timeout_s:.0f} s. {dropped_message(self.source)}")
        return ("stopped", "Stopped.")

    @property
    def _threads(self) -> ThreadChooser:
        assert self.detector is not None
        return self.detector.threads

    def _step(self, frame: Frame, fast: bool,
              previous: tuple[float, int] | None) -> tuple[float, int] | None:
        """Process one frame; on demand, also decide when to read the next one.

        With a core to spare, the next frame is decoded just in time while the model works.
        When the model has every core, anything running beside it stalls torch's threads, so
        frames go one at a time: read, infer, paint, then read the next. Either way the
        thread count is judged by frames per second, the figure this mode is about.
        """
        now = time.perf_counter()
        if fast and previous is not None:
            self._threads.record(previous[1], (now - previous[0]) * 1000.0)
        threads = self._threads.next()
        exclusive = threads >= self._cores
        if fast and not exclusive:
            self._slot.request(now + self._busy_s - PREFETCH_MARGIN_S)
        infer_ms = self._process(frame, threads)
        if not fast:
            self._threads.record(threads, infer_ms)
            return None
        if exclusive:  # decoding the next frame and painting this one do not disturb torch
            self._slot.request()
            self._wait_displayed()
        return (now, threads)

    def _wait_displayed(self) -> None:
        """Wait until the display painted the newest frame; a display that stops painting
        (a hidden panel) is not waited for again until it paints once more."""
        if not self.display_ack or self._ack_missing:
            return
        if not self._displayed.wait(DISPLAY_ACK_TIMEOUT_S):
            self._ack_missing = True

    def _stalled(self, capture: CaptureThread) -> bool:
        silent = time.perf_counter() - capture.last_frame_at
        return self.source.is_live and not capture.paused and silent > self.stall_timeout_s

    def _process(self, frame: Frame, threads: int) -> float:
        """Detect, filter, draw, publish and record one frame; returns the inference ms."""
        assert self.detector is not None
        t0 = time.perf_counter()
        raw = self.detector.raw(frame.image, threads)
        infer_ms = (time.perf_counter() - t0) * 1000.0
        result = self._finish(frame, raw, infer_ms, self._settings)
        self.stats.add_inference(infer_ms)
        self._displayed.clear()
        with self._lock:
            self._latest = result
            recorder = self._recorder
        if recorder is not None:
            self._record(recorder, result)
        self._on_frame()
        self._busy_s += 0.2 * ((time.perf_counter() - t0) - self._busy_s)
        return infer_ms

    def _finish(self, frame: Frame, raw: Detections, infer_ms: float,
                settings: FilterSettings) -> LiveResult:
        assert self.detector is not None
        shown = filter_detections(raw, settings.conf, settings.iou, settings.max_det,
                                  settings.classes, nms=self.detector.nms)
        annotated = draw_detections(frame.image, shown, self.names)
        return LiveResult(frame, raw, shown, annotated, infer_ms, settings)

    def _record(self, recorder: Recorder, result: LiveResult) -> None:
        try:
            recorder.write(result.annotated, result.frame.media_s)
        except cv2.error as exc:  # a full disk, a removed drive: stop recording, keep going
            with self._lock:
                if self._recorder is recorder:
                    self._recorder = None
            self._recording_error = f"Recording stopped: {exc}"

    def _finish_run(self, outcome: tuple[str, str]) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture.join(2.0)
        with self._lock:
            recorder, self._recorder = self._recorder, None
        if recorder is not None:
            try:
                self._last_recording = recorder.close()
            except Exception as exc:  # noqa: BLE001 - reported, the run is over anyway
                self._recording_error = f"Could not finish the recording: {exc}"
        self._set_state(*outcome)


# --------------------------------------------------------------------------------------
# Snapshots into the dataset
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotReport:
    image: Path
    proposals: Path | None = None
    boxes: int = 0
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        text = f"Saved {self.image.name} into {self.image.parent}"
        if self.proposals is not None:
            text += f" with {self.boxes} unreviewed proposal(s) in {self.proposals}"
        else:
            text += " (unlabelled)"
        return " ".join([text + ".", *self.notes])


def snapshot_folder(dataset: Any) -> Path:
    """The folder the dataset trains from (the yaml's ``train`` entry), created if needed."""
    folder = _yaml_train_folder(dataset) or _most_common_parent(dataset.images("train"))
    if folder is None:
        folder = dataset.root / "images" / "train" if dataset.yaml_path else dataset.root
    return Path(folder)


def _yaml_train_folder(dataset: Any) -> Path | None:
    if dataset.yaml_path is None:
        return None
    import yaml

    try:
        data = yaml.safe_load(Path(dataset.yaml_path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    entry = data.get("train") if isinstance(data, dict) else None
    entry = entry[0] if isinstance(entry, list) and entry else entry
    if not isinstance(entry, str):
        return None
    yaml_dir = Path(dataset.yaml_path).parent
    raw = Path(entry).expanduser()
    candidates = [raw] if raw.is_absolute() else [dataset.root / raw, yaml_dir / raw]
    if entry.startswith("../"):
        candidates.append(yaml_dir / entry[3:])
    return next((c.resolve() for c in candidates if c.is_dir()), None)


def _most_common_parent(images: list[Path]) -> Path | None:
    if not images:
        return None
    return collections.Counter(p.parent for p in images).most_common(1)[0][0]


def save_snapshot(dataset: Any, image: np.ndarray, detections: Detections | None = None,
                  names: list[str] | None = None, weights: str | Path = "",
                  conf: float = 0.0, prefix: str = "live") -> SnapshotReport:
    """Add ``image`` to the dataset's training images as a new, unlabelled picture.

    With ``detections``, they are saved as *unreviewed proposals*, never as ground truth:
    through ``core.inference.prelabel`` when that module offers ``save_proposals``, otherwise
    as YOLO lines under ``<dataset root>/.penguin-studio/live-proposals/`` (deletable).
    """
    if dataset is None:
        raise UserError("Open a dataset first: snapshots are added to its training images.")
    folder = snapshot_folder(dataset)
    path = _write_new_image(folder, image, prefix)
    if detections is None:
        return SnapshotReport(path)
    proposals, notes = _save_proposals(dataset, path, image.shape, detections, names or [],
                                       str(weights), conf)
    return SnapshotReport(path, proposals, len(detections), notes)


def _write_new_image(folder: Path, image: np.ndarray, prefix: str) -> Path:
    """Encode, write a temp file, fsync, then link it to a name nobody uses (no clobbering)."""
    from penguin_studio.core.dataset.project import label_path_for

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create {folder}: {exc.strerror}.") from exc
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise UserError("This frame could not be encoded as JPEG.")
    tmp = _write_temp(folder, buf.tobytes())
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
    try:
        for n in range(1000):
            path = folder / f"{prefix}_{stamp}{'' if n == 0 else f'_{n}'}.jpg"
            if label_path_for(path).exists():
                continue  # an old label would silently become this image's boxes
            if _link_exclusive(tmp, path):
                return path
        raise UserError(f"No free file name for a snapshot in {folder}.")
    finally:
        tmp.unlink(missing_ok=True)


def _write_temp(folder: Path, data: bytes) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=".snapshot.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise UserError(f"Cannot write a snapshot in {folder}: {exc.strerror}. "
                        "Check the folder is writable and the disk is not full.") from exc
    return Path(name)


def _link_exclusive(tmp: Path, path: Path) -> bool:
    """Give ``tmp`` the name ``path`` only if that name is free; False when it is taken."""
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # file systems without hard links: check, then rename
        if path.exists():
            return False
        os.replace(tmp, path)
        return True


def _save_proposals(dataset: Any, image_path: Path, shape: tuple[int, ...], dets: Detections,
                    names: list[str], weights: str = "",
                    conf: float = 0.0) -> tuple[Path, list[str]]:
    """Unreviewed proposals for a snapshot, reviewed in the annotation editor like any
    pre-labelling; no label file (ground truth) is written."""
    from penguin_studio.core.inference import prelabel

    props, note = prelabel.save_proposals(dataset, image_path, dets, shape, names,
                                          str(weights), conf)
    return props.path, [note] if note else []


def with_settings(settings: FilterSettings, **changes: Any) -> FilterSettings:
    """A copy of ``settings`` with some fields changed (for the GUI's sliders)."""
    return replace(settings, **changes)


__all__ = [
    "ACTIVE_STATES", "FINAL_STATES", "Detector", "FilterSettings", "LivePipeline", "LiveResult",
    "LiveStats", "RecordingReport", "Recorder", "SnapshotReport", "SourceError", "StatsSnapshot",
    "VideoSource", "draw_detections", "find_latest_weights", "load_detector", "save_snapshot",
    "snapshot_folder", "verify_recording", "with_settings",
]
