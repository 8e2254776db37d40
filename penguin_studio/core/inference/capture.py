"""Capture threads for live detection: the newest-frame slot and the thread that fills it.

* **Only the newest frame matters.** :class:`FrameSlot` holds one frame; a new one replaces
  the old (which is counted as dropped). There is no queue anywhere, so latency cannot grow.
* A source that stops sending mid-run is noticed by a read failure or by a stall watchdog.

Qt-free: the GUI and the benchmark drive the same :class:`CaptureThread`; opening a source
is :mod:`penguin_studio.core.inference.sources`'.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from penguin_studio.core.inference.sources import OpenedSource, VideoSource

#: A live source silent for this long is declared dropped, even if OpenCV still waits.
STALL_TIMEOUT_S = 8.0


# --------------------------------------------------------------------------------------
# The newest-frame slot and the capture thread
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame as read: the BGR image and when/where it was captured."""

    image: np.ndarray
    index: int  # 0-based count of frames read from the source
    media_s: float  # position in the file, or seconds since the live source started
    captured: float  # time.perf_counter() when the read returned


class FrameSlot:
    """Room for exactly one frame: a newer frame replaces an unread one (counted as dropped).

    In on-demand mode (files played "as fast as possible") the reader asks for the next
    frame with :meth:`request`, saying when it will want it; the capture thread starts
    reading just in time, so decoding overlaps the model's work and no frame waits long.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._requested_at: float | None = None
        self.dropped = 0
        self.delivered = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout: float) -> Frame | None:
        """The newest frame (removing it), or None after ``timeout`` seconds."""
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            if frame is not None:
                self.delivered += 1
            return frame

    def request(self, at: float = 0.0) -> None:
        """Ask for one more frame, to be ready at ``time.perf_counter()`` ``at`` (0: now)."""
        with self._cond:
            self._requested_at = at
            self._cond.notify_all()

    def wait_for_request(self, timeout: float) -> float | None:
        """When the next frame is wanted, or None if nobody asked within ``timeout``."""
        with self._cond:
            if self._requested_at is None:
                self._cond.wait(timeout)
            at, self._requested_at = self._requested_at, None
            return at

    def wake(self) -> None:
        """Wake any waiter (stop, pause, settings changed)."""
        with self._cond:
            self._cond.notify_all()


class CaptureThread(threading.Thread):
    """Reads frames from an open source into a :class:`FrameSlot` until told to stop.

    ``pace="source"`` plays files at their frame rate (skipping frames when it falls behind)
    and reads live sources as they come; ``pace="fast"`` reads a file's next frame only when
    the consumer asks for it. When it finishes, ``outcome`` says why: ``"ended"`` (a file's
    end), ``"dropped"`` (a live source stopped delivering), ``"stopped"`` or ``"error"``,
    with ``message`` in words. The capture is released in this thread, never elsewhere.
    """

    def __init__(self, opened: OpenedSource, slot: FrameSlot, pace: str = "source",
                 loop: bool = False) -> None:
        super().__init__(name=f"live-capture:{opened.source.label}", daemon=True)
        self.opened, self.slot, self.loop = opened, slot, loop
        self.on_demand = pace == "fast" and not opened.source.is_live
        self.outcome = ""
        self.message = ""
        self.read_s = 0.0  # how long one read takes (moving average), for just-in-time reads
        self.frames_read = 0  # frames delivered to the slot
        self.position = 0  # frames consumed from the source, skipped ones included
        self.last_frame_at = time.perf_counter()
        self.finished = threading.Event()
        self._stop_event = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._fps = opened.fps or 30.0
        self._started_at = time.perf_counter()

    # ----- control (any thread) -----------------------------------------------------------
    def stop(self) -> None:
        self._stop_event.set()
        self._resume.set()
        self.slot.wake()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()
        self.slot.wake()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    # ----- the thread -------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._read_loop()
            if not self.outcome:
                self.outcome, self.message = "stopped", "Stopped."
        except Exception as exc:  # noqa: BLE001 - reported as the outcome, never raised
            self.outcome = "error"
            self.message = f"Reading {self.opened.source.label} failed: {exc}"
        finally:
            self.opened.release()
            self.finished.set()
            self.slot.wake()

    def _read_loop(self) -> None:
        cap, live = self.opened.capture, self.opened.source.is_live
        clock = _Pacer(self._fps) if not live and not self.on_demand else None
        while not self._stop_event.is_set():
            if self.paused:
                self._wait_paused(cap, live, clock)
                continue
            if self.on_demand and not self._wait_request():
                continue
            if clock is not None and not self._wait_turn(cap, clock):
                continue
            started = time.perf_counter()
            ok, image = cap.read()
            now = time.perf_counter()
            self.read_s += 0.2 * ((now - started) - self.read_s)
            if self._stop_event.is_set():
                return
            if not ok or image is None:
                if live:
                    self._set_dropped()
                    return
                if self.loop and self.frames_read and self._rewind(cap, clock):
                    continue
                self._set_ended()
                return
            self._deliver(cap, image, now, live)

    def _deliver(self, cap: cv2.VideoCapture, image: np.ndarray, now: float, live: bool) -> None:
        media = now - self._started_at if live else cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        self.slot.put(Frame(image, self.frames_read, media, now))
        self.frames_read += 1
        self.position += 1
        self.last_frame_at = now

    def _wait_request(self) -> bool:
        """On demand: wait for a request, then until just before the frame is wanted."""
        at = self.slot.wait_for_request(0.1)
        if at is None:
            return False
        delay = at - self.read_s - time.perf_counter()
        if delay > 0:
            self._stop_event.wait(delay)
        return not self._stop_event.is_set()

    def _wait_paused(self, cap: cv2.VideoCapture, live: bool, clock: _Pacer | None) -> None:
        """Files stand still; live sources keep draining so resuming shows the present."""
        if live:
            if cap.grab():
                self.last_frame_at = time.perf_counter()
            else:
                self._resume.wait(0.05)
        else:
            self._resume.wait(0.1)
        if clock is not None:
            clock.restart()

    def _wait_turn(self, cap: cv2.VideoCapture, clock: _Pacer) -> bool:
        """Sleep until the next frame is due; skip (grab without decoding) when behind."""
        delay = clock.delay()
        if delay > 0:  # wait in short steps so stop and pause stay prompt
            self._stop_event.wait(min(delay, 0.1))
            return False
        while clock.behind() and cap.grab():  # fell behind: catch up on the timeline
            clock.advance()
            self.position += 1
        clock.advance()
        return True

    def _rewind(self, cap: cv2.VideoCapture, clock: _Pacer | None) -> bool:
        if not cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            return False
        self.position = 0
        if clock is not None:
            clock.restart()
        return True

    def _set_ended(self) -> None:
        total = self.opened.frame_count
        self.outcome = "ended"
        label = self.opened.source.label
        if self.frames_read == 0:
            self.message = f"No frame could be read from {label}."
        elif total and self.position < 0.9 * total:
            self.message = (f"{label} ended early at frame {self.position} of {total} "
                            "(is the file truncated?).")
        else:
            self.message = f"End of {label} ({self.position} frames)."

    def _set_dropped(self) -> None:
        self.outcome = "dropped"
        self.message = dropped_message(self.opened.source)


def dropped_message(source: VideoSource) -> str:
    if source.kind == "camera":
        return f"{source.label} stopped sending frames (unplugged?). Reconnect when it is back."
    return f"The stream {source.label} dropped. Reconnect when it is back."


class _Pacer:
    """The timeline of a file played at its own speed: when is the next frame due?"""

    def __init__(self, fps: float) -> None:
        self.interval = 1.0 / fps
        self.restart()

    def restart(self) -> None:
        self._t0 = time.perf_counter()
        self._n = 0

    def _due(self) -> float:
        return self._t0 + self._n * self.interval

    def delay(self) -> float:
        return self._due() - time.perf_counter()

    def behind(self) -> bool:
        """More than one whole frame late: the next frame should be skipped."""
        return time.perf_counter() - self._due() > self.interval

    def advance(self) -> None:
        self._n += 1
