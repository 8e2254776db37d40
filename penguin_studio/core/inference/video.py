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

The code lives by what it does: sources, camera probing and opening in
:mod:`~penguin_studio.core.inference.sources`, the frame slot and capture thread in
:mod:`~penguin_studio.core.inference.capture`, the sample video writer in
:mod:`penguin_studio.core.sample_video` (``FOURCCS`` in ``recording``). This module
re-exports every name it had, so existing imports keep working.
"""

from penguin_studio.core.inference.capture import (
    STALL_TIMEOUT_S,
    CaptureThread,
    Frame,
    FrameSlot,
    dropped_message,
)
from penguin_studio.core.inference.recording import FOURCCS
from penguin_studio.core.inference.sources import (
    LINUX_DEV_DIR,
    LINUX_SYS_DIR,
    OPEN_TIMEOUT_S,
    READ_TIMEOUT_S,
    URL_SCHEMES,
    CameraInfo,
    CameraProbe,
    OpenedSource,
    SourceError,
    VideoSource,
    open_source,
    parse_source,
    probe_cameras,
)
from penguin_studio.core.sample_video import write_sample_video

__all__ = ["FOURCCS", "LINUX_DEV_DIR", "LINUX_SYS_DIR", "OPEN_TIMEOUT_S", "READ_TIMEOUT_S",
           "STALL_TIMEOUT_S", "URL_SCHEMES", "CameraInfo", "CameraProbe", "CaptureThread",
           "Frame", "FrameSlot", "OpenedSource", "SourceError", "VideoSource",
           "dropped_message", "open_source", "parse_source", "probe_cameras",
           "write_sample_video"]
