"""Video sources for live detection: cameras, video files and network streams.

Three promises shape this module:

* **Nothing hangs.** A camera or URL is opened in a helper thread with a deadline (and with
  OpenCV's own open/read timeouts), so a dead address costs a few seconds, never the window.
  A source that stops sending mid-run is noticed by a read failure or by a stall watchdog.
* **Only the newest frame matters.** :class:`FrameSlot` holds one frame; a new one replaces
  the old (which is counted as dropped). There is no queue anywhere, so latency cannot grow.
* **Cheap probing.** Listing cameras on Linux reads ``/dev/video*`` and the names in sysfs
  without opening any device (opening one can take a second and turn its LED on).

Qt-free: the GUI and the benchmark drive the same :class:`CaptureThread`.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from penguin_studio.core.errors import Cancelled, UserError

#: Seconds a camera or URL may take to open before we give up on it.
OPEN_TIMEOUT_S = 6.0
#: Seconds one read may block inside OpenCV (network streams, cameras).
READ_TIMEOUT_S = 5.0
#: A live source silent for this long is declared dropped, even if OpenCV still waits.
STALL_TIMEOUT_S = 8.0

URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")
LINUX_DEV_DIR = Path("/dev")
LINUX_SYS_DIR = Path("/sys/class/video4linux")


class SourceError(UserError):
    """A camera, file or stream that cannot be opened or stopped delivering frames."""


# --------------------------------------------------------------------------------------
# What to open
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoSource:
    """A camera index, a video file path or a stream URL, with a label for people."""

    kind: str  # "camera" | "file" | "url"
    target: int | str
    label: str

    @classmethod
    def camera(cls, index: int, name: str = "") -> VideoSource:
        label = f"Camera {index}" + (f" ({name})" if name else "")
        return cls("camera", int(index), label)

    @classmethod
    def file(cls, path: str | Path) -> VideoSource:
        path = Path(path).expanduser()
        return cls("file", str(path), path.name)

    @classmethod
    def url(cls, url: str) -> VideoSource:
        return cls("url", url, _redact(url))

    @property
    def is_live(self) -> bool:
        """Cameras and streams run in real time; files can be paced or read on demand."""
        return self.kind != "file"


def _redact(url: str) -> str:
    """Hide a password in ``rtsp://user:pass@host`` before it is shown or logged."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def parse_source(text: str | int | Path) -> VideoSource:
    """What the user typed (``0``, ``/dev/video2``, a path, a URL) as a :class:`VideoSource`.

    Raises :class:`SourceError` for a file that is not there or a URL scheme OpenCV cannot
    read, so the mistake is reported before anything is opened.
    """
    if isinstance(text, int):
        return VideoSource.camera(text)
    value = str(text).strip()
    if not value:
        raise SourceError("No source given: pick a camera, a video file or type a stream URL.")
    if value.isdigit():
        return VideoSource.camera(int(value))
    match = re.fullmatch(r"/dev/video(\d+)", value)
    if match:
        return VideoSource.camera(int(match.group(1)))
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in URL_SCHEMES:
            raise SourceError(f"Cannot read '{scheme}://' streams; use one of "
                              f"{', '.join(s + '://' for s in URL_SCHEMES)}.")
        return VideoSource.url(value)
    path = Path(value).expanduser()
    if not path.exists():
        raise SourceError(f"Video file not found: {path}")
    if path.is_dir():
        raise SourceError(f"{path} is a folder: pick a video file inside it.")
    return VideoSource.file(path)


# --------------------------------------------------------------------------------------
# Cameras
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str
    device: str | None = None  # /dev/videoN on Linux

    @property
    def label(self) -> str:
        where = f" — {self.device}" if self.device else ""
        return f"Camera {self.index}: {self.name or 'unnamed'}{where}"

    def source(self) -> VideoSource:
        return VideoSource.camera(self.index, self.name)


@dataclass
class CameraProbe:
    """The cameras found and, in words, what was looked at (for "no camera" messages)."""

    cameras: list[CameraInfo] = field(default_factory=list)
    tried: str = ""

    def message(self) -> str:
        if self.cameras:
            return f"{len(self.cameras)} camera(s) found ({self.tried})."
        return (f"No camera found (tried {self.tried}). Plug one in and press Refresh, "
                "or pick a video file or a stream URL.")


def probe_cameras(max_index: int = 4, timeout_s: float = 2.0,
                  dev_dir: Path | None = None, sys_dir: Path | None = None) -> CameraProbe:
    """List cameras cheaply: sysfs on Linux, a few bounded open attempts elsewhere."""
    if sys.platform.startswith("linux") or dev_dir is not None:
        return _probe_linux(dev_dir or LINUX_DEV_DIR, sys_dir or LINUX_SYS_DIR)
    return _probe_by_index(max_index, timeout_s)


def _probe_linux(dev_dir: Path, sys_dir: Path) -> CameraProbe:
    """``/dev/videoN`` nodes with their sysfs names; metadata nodes (index ≠ 0) are skipped."""
    nodes = sorted((p for p in dev_dir.glob("video*") if re.fullmatch(r"video\d+", p.name)),
                   key=lambda p: int(p.name[5:]))
    cameras = []
    for node in nodes:
        info = sys_dir / node.name
        if _read_text(info / "index") not in ("", "0"):
            continue  # a second node of the same device (UVC metadata), not a camera
        cameras.append(CameraInfo(int(node.name[5:]), _read_text(info / "name"), str(node)))
    listed = ", ".join(str(n) for n in nodes) or "none present"
    return CameraProbe(cameras, f"{dev_dir}/video*: {listed}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _probe_by_index(max_index: int, timeout_s: float) -> CameraProbe:
    """Windows/macOS give no cheap list: try indices 0…max_index-1, each with a deadline."""
    cameras = []
    for index in range(max_index):
        try:
            opened = open_source(VideoSource.camera(index), timeout_s=timeout_s)
        except SourceError:
            continue
        opened.release()
        cameras.append(CameraInfo(index, ""))
    return CameraProbe(cameras, f"camera indices 0-{max_index - 1}")


# --------------------------------------------------------------------------------------
# Opening with a deadline
# --------------------------------------------------------------------------------------


@dataclass
class OpenedSource:
    """An open capture plus what the source says about itself."""

    source: VideoSource
    capture: cv2.VideoCapture
    fps: float  # nominal frames per second; 0 when the source does not say
    frame_count: int  # 0 when unknown (cameras, streams)
    size: tuple[int, int]  # (width, height), (0, 0) when unknown

    def release(self) -> None:
        self.capture.release()


class _OpenAttempt:
    """Opens a capture in its own thread; if the caller gave up, the late capture is released."""

    def __init__(self, source: VideoSource, timeout_s: float) -> None:
        self.source, self.timeout_s = source, timeout_s
        self.done = threading.Event()
        self.result: cv2.VideoCapture | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._abandoned = False

    def run(self) -> None:
        try:
            cap = _create_capture(self.source, self.timeout_s)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            cap, self.error = None, exc
        with self._lock:
            if self._abandoned:
                if cap is not None:
                    cap.release()
                return
            self.result = cap
            self.done.set()

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            if self.result is not None:  # finished just now: not abandoned after all
                self._abandoned = False


def _create_capture(source: VideoSource, timeout_s: float) -> cv2.VideoCapture:
    timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(timeout_s * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(READ_TIMEOUT_S * 1000)]
    if source.kind == "camera":
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        return cv2.VideoCapture(int(source.target), backend, timeouts)
    if source.kind == "url":
        return cv2.VideoCapture(str(source.target), cv2.CAP_FFMPEG, timeouts)
    return cv2.VideoCapture(str(source.target))


def open_source(source: VideoSource, timeout_s: float = OPEN_TIMEOUT_S,
                cancel: threading.Event | None = None) -> OpenedSource:
    """Open ``source`` within about ``timeout_s`` seconds or raise :class:`SourceError`.

    The open runs in a daemon thread: if OpenCV ignores its own timeout, we stop waiting and
    the thread releases whatever it opens later, so the caller never blocks past the deadline.
    Setting ``cancel`` gives up at once (raising :class:`~penguin_studio.core.errors.Cancelled`).
    """
    if source.kind == "file" and not Path(str(source.target)).is_file():
        raise SourceError(f"Video file not found: {source.target}")
    attempt = _OpenAttempt(source, timeout_s)
    threading.Thread(target=attempt.run, name="live-open", daemon=True).start()
    if not _wait(attempt.done, timeout_s + 1.0, cancel):
        attempt.abandon()
        if attempt.result is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            raise SourceError(_timeout_message(source, timeout_s))
    if attempt.error is not None:
        raise SourceError(f"Cannot open {source.label}: {attempt.error}") from attempt.error
    cap = attempt.result
    if cap is None or not cap.isOpened():
        if cap is not None:
            cap.release()
        raise SourceError(_open_failed_message(source, timeout_s))
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT) if source.kind == "file" else 0
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    fps = fps if 0.5 < fps < 1000 else 0.0  # some streams report 0 or absurd values
    return OpenedSource(source, cap, fps, max(0, int(count)), size)


def _wait(done: threading.Event, timeout_s: float, cancel: threading.Event | None) -> bool:
    """Wait for ``done`` in short steps so that ``cancel`` is noticed within 50 ms."""
    deadline = time.monotonic() + timeout_s
    while not done.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
        if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
            return False
    return True


def _timeout_message(source: VideoSource, timeout_s: float) -> str:
    return (f"{source.label} did not answer within {timeout_s:.0f} s. Check the address, "
            "that the camera or server is on, and that this computer can reach it.")


def _open_failed_message(source: VideoSource, timeout_s: float) -> str:
    if source.kind == "camera":
        device = f"/dev/video{source.target}" if sys.platform.startswith("linux") else ""
        tried = f" (tried {device})" if device else ""
        return (f"Camera {source.target} could not be opened{tried}. Is it plugged in and "
                "not used by another program?")
    if source.kind == "url":
        return (f"Cannot open the stream {source.label}: nothing answered, or it is not a "
                f"video stream (waited up to {timeout_s:.0f} s). Check the URL.")
    return (f"Cannot open {source.label}: OpenCV cannot decode this file. Is it a video "
            "(mp4, avi, mkv, mov…)?")


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


# --------------------------------------------------------------------------------------
# A sample video, so live detection can be tried without a camera
# --------------------------------------------------------------------------------------

#: Container suffix → fourcc that OpenCV's bundled FFmpeg writes everywhere.
FOURCCS = {".mp4": "mp4v", ".avi": "MJPG"}


def write_sample_video(path: str | Path, seconds: float = 6.0, fps: float = 15.0,
                       size: tuple[int, int] = (480, 360), seed: int = 0,
                       scene_s: float = 2.0) -> Path:
    """Write a video of the sample project's penguins: slow pans over a few rendered scenes.

    Used by the Live panel's "Sample video" source, by the tests and by the benchmark. The
    file appears atomically (written under a temporary name, then renamed).
    """
    from penguin_studio.core.sample import render_image

    path = Path(path)
    fourcc = FOURCCS.get(path.suffix.lower())
    if fourcc is None:
        raise UserError(f"Cannot write {path.name}: use .mp4 or .avi.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise UserError(f"Cannot write a video in {path.parent}.")
    total = max(1, round(seconds * fps))
    per_scene = max(1, round(scene_s * fps))
    try:
        for start in range(0, total, per_scene):
            scene = _scene(render_image(seed, start // per_scene, imgsz=size[0])[0], size)
            for i in range(min(per_scene, total - start)):
                writer.write(_pan(scene, size, i / max(1, per_scene - 1)))
    finally:
        writer.release()
    tmp.replace(path)
    return path


def _scene(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The rendered image scaled to 1.2× the frame, so a frame-sized window can pan over it."""
    return cv2.resize(image, (int(size[0] * 1.2), int(size[1] * 1.2)),
                      interpolation=cv2.INTER_AREA)


def _pan(scene: np.ndarray, size: tuple[int, int], t: float) -> np.ndarray:
    w, h = size
    x = round((scene.shape[1] - w) * t)
    y = round((scene.shape[0] - h) * (1 - t))
    return np.ascontiguousarray(scene[y:y + h, x:x + w])
