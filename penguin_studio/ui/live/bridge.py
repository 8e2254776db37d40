"""Adapts the Qt-free live pipeline to Qt signals, delivered on the GUI thread.

The pipeline calls back from its worker thread. Frame notifications are *coalesced*: while
one is waiting to be handled by the GUI thread no other is emitted, so a slow GUI never
builds a backlog of events (it just paints the newest result when it gets to it).
Every signal carries the pipeline it came from, so late events of a stopped run are ignored.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from penguin_studio.core.inference.live import (
    FINAL_STATES,
    FilterSettings,
    LivePipeline,
    LiveResult,
)
from penguin_studio.core.inference.video import OPEN_TIMEOUT_S, VideoSource

#: GIL switch interval while a run is live. The GUI thread and the inference worker share the
#: GIL; with Python's default 5 ms the worker often waited out the GUI thread's slice: the
#: panel showed 0.65-0.72x the frames plain ultralytics predicts, 0.8-0.9x at 1 ms (2 cores,
#: 320 px, one torch thread; benchmarks/bench_live.py). Restored when the run ends.
LIVE_SWITCH_INTERVAL_S = 0.001


class _SwitchInterval:
    """Lowers ``sys.setswitchinterval`` while live runs go on, then puts it back."""

    def __init__(self) -> None:
        self._saved: float | None = None

    def lower(self) -> None:
        if self._saved is None:
            self._saved = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved, LIVE_SWITCH_INTERVAL_S))

    def restore(self) -> None:
        if self._saved is not None:
            sys.setswitchinterval(self._saved)
            self._saved = None


class LiveBridge(QObject):
    """Owns the current :class:`LivePipeline`; one run at a time."""

    frame_ready = Signal()
    state_changed = Signal(str, str)  # state, message (only from the current run)
    _frame_from = Signal(object)
    _state_from = Signal(object, str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pipeline: LivePipeline | None = None
        #: The pipeline made for each run (the Live panel uses the tracking one).
        self.pipeline_class: type[LivePipeline] = LivePipeline
        #: Extra LivePipeline options for every run (imgsz, threads, open_timeout_s…).
        self.options: dict[str, Any] = {"open_timeout_s": OPEN_TIMEOUT_S, "display_ack": True}
        self._pending = threading.Event()
        self._retired: list[LivePipeline] = []
        self._switch = _SwitchInterval()
        self._frame_from.connect(self._on_frame)
        self._state_from.connect(self._on_state)

    def start(self, source: VideoSource, weights: str | Path, *, pace: str, loop: bool,
              settings: FilterSettings) -> LivePipeline:
        """Stop any current run (without waiting) and start a new one."""
        self.stop()
        pipeline = self.pipeline_class(
            source, weights, pace=pace, loop=loop, settings=settings, **self.options,
            on_frame=lambda: self._notify(pipeline),
            on_state=lambda state, msg: self._state_from.emit(pipeline, state, msg))
        self.pipeline = pipeline
        self._pending.clear()
        self._switch.lower()
        pipeline.start()
        return pipeline

    def _notify(self, pipeline: LivePipeline) -> None:
        if not self._pending.is_set():
            self._pending.set()
            self._frame_from.emit(pipeline)

    def _on_frame(self, pipeline: LivePipeline) -> None:
        self._pending.clear()
        if pipeline is self.pipeline:
            self.frame_ready.emit()

    def _on_state(self, pipeline: LivePipeline, state: str, message: str) -> None:
        if pipeline is not self.pipeline:
            return
        if state in FINAL_STATES:
            self._switch.restore()
        self.state_changed.emit(state, message)

    def latest(self) -> LiveResult | None:
        return self.pipeline.latest() if self.pipeline is not None else None

    def stop(self) -> None:
        """Ask the current run to stop; its threads end on their own shortly after."""
        if self.pipeline is not None:
            self.pipeline.stop()
            self._retired.append(self.pipeline)
        self._retired = [p for p in self._retired if p.alive]

    def release(self) -> None:
        """Forget a run that has ended, so its last frame is no longer offered (for a
        snapshot) under another model, dataset or error. A recording keeps its run."""
        if self.pipeline is not None and not self.pipeline.recording:
            self.stop()
            self.pipeline = None

    def shutdown(self, timeout_s: float = 6.0) -> bool:
        """Stop the run and wait for every thread of every run; True when all ended."""
        current = self.pipeline
        self.stop()
        ok = True
        for pipeline in self._retired:
            ok = pipeline.join(timeout_s) and ok
        self._retired = []
        self._switch.restore()
        if current is not None and current.recording:
            current.stop_recording()
        return ok
