"""Live statistics: inference time, capture-to-display latency and display rate.

Kept out of the pipeline because these counters are read from the GUI thread and written
from the worker: their locking is easier to check on its own.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass

from penguin_studio.core.inference.video import Frame


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
