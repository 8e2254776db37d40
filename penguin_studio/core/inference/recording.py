"""Recording annotated live frames to a video file, and checking the file plays.

Separate from the pipeline: the timeline arithmetic (repeating frames so the file plays in
real time) and the read-back check are independent of how frames are produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from penguin_studio.core.errors import UserError

#: Container suffix → fourcc that OpenCV's bundled FFmpeg writes everywhere (recordings and
#: the sample videos).
FOURCCS = {".mp4": "mp4v", ".avi": "MJPG"}


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
