"""Video sources for live detection: what to open (cameras, video files, network streams),
listing cameras, and opening one with a deadline.

* **Nothing hangs.** A camera or URL is opened in a helper thread with a deadline (and with
  OpenCV's own open/read timeouts), so a dead address costs a few seconds, never the window.
* **Cheap probing.** Listing cameras on Linux reads ``/dev/video*`` and the names in sysfs
  without opening any device (opening one can take a second and turn its LED on).

Reading frames from an opened source is :mod:`penguin_studio.core.inference.capture`'s job.
Qt-free.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from penguin_studio.core.errors import Cancelled, UserError

#: Seconds a camera or URL may take to open before we give up on it.
OPEN_TIMEOUT_S = 6.0
#: Seconds one read may block inside OpenCV (network streams, cameras).
READ_TIMEOUT_S = 5.0

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
