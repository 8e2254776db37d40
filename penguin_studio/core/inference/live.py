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

The pieces around the pipeline live in their own modules and are re-exported here:
:mod:`.detector` (the model), :mod:`.thread_chooser`, :mod:`.live_drawing`,
:mod:`.live_stats`, :mod:`.recording` and :mod:`.snapshot`.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.inference.backends import LABELS as BACKEND_LABELS
from penguin_studio.core.inference.detector import RAW_PREDICT as RAW_PREDICT
from penguin_studio.core.inference.detector import (
    Detector,
    load_detector,
)
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.live_drawing import class_color as class_color
from penguin_studio.core.inference.live_drawing import draw_detections
from penguin_studio.core.inference.live_stats import LiveStats, StatsSnapshot
from penguin_studio.core.inference.recording import Recorder, RecordingReport, verify_recording
from penguin_studio.core.inference.snapshot import (
    SnapshotReport,
    save_snapshot,
    snapshot_folder,
)
from penguin_studio.core.inference.thread_chooser import ThreadChooser
from penguin_studio.core.inference.video import (
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
from penguin_studio.core.jobs import CancelToken, JobContext
from penguin_studio.core.outputs_guard import check_output_file

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


@dataclass(frozen=True)
class LiveResult:
    """One processed frame: what the model saw, what the filter kept, what to paint."""

    frame: Frame
    raw: Detections
    shown: Detections
    annotated: np.ndarray
    infer_ms: float
    settings: FilterSettings


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
                 stall_timeout_s: float = STALL_TIMEOUT_S, display_ack: bool = False,
                 backend: str = "torch") -> None:
        if pace not in ("source", "fast"):
            raise ValueError(f"pace must be 'source' or 'fast', not {pace!r}")
        self.source, self.weights, self.pace, self.loop = source, weights, pace, loop
        self.imgsz, self.threads = imgsz, threads
        self.backend = backend  # asked for; ``detector.backend`` is what really runs
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
    def start_recording(self, path: str | Path, dataset: Any = None) -> Path:
        """Record annotated frames to ``path`` (.mp4 mp4v or .avi MJPG) from the next frame.

        Refuses to write over the video being played, the model, or an input of ``dataset``.
        """
        sources = [str(self.weights)] + ([str(self.source.target)]
                                         if self.source.kind == "file" else [])
        check_output_file(path, dataset, sources, what="the recording")
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
            self.detector = load_detector(self.weights, self.imgsz, self.threads,
                                          backend=self.backend, ctx=self._loading_context())
            self.detector.warm_up(opened.size)
        except Cancelled:  # stopped while a backend was being exported or measured
            opened.release()
            return ("stopped", "Stopped.")
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
        self._set_state("running", self._running_message())
        return self._process_loop(self._capture)

    def _loading_context(self) -> JobContext:
        """Export and measuring progress (first use of a backend) as "loading" messages;
        Stop cancels them."""
        ctx = JobContext(progress=lambda _d, _t, text: self._set_state("loading", text))
        stop = self._stop

        class _StopToken(CancelToken):
            @property
            def cancelled(self) -> bool:
                return stop.is_set()

            def raise_if_cancelled(self) -> None:
                if stop.is_set():
                    raise Cancelled()

        ctx.token = _StopToken()
        return ctx

    def _running_message(self) -> str:
        """"Running on <source> (OpenVINO).", with the backend's note when it fell back."""
        assert self.detector is not None
        label = BACKEND_LABELS.get(self.detector.backend, self.detector.backend)
        note = f" {self.detector.backend_note}" if self.detector.backend_note else ""
        return f"Running on {self.source.label} ({label}).{note}"

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


__all__ = [
    "ACTIVE_STATES", "FINAL_STATES", "Detector", "FilterSettings", "LivePipeline", "LiveResult",
    "LiveStats", "RecordingReport", "Recorder", "SnapshotReport", "SourceError", "StatsSnapshot",
    "VideoSource", "draw_detections", "load_detector", "save_snapshot",
    "snapshot_folder", "verify_recording",
]
