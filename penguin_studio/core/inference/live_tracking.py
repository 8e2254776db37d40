"""Live detection with tracking: the live pipeline, each new frame also fed to a counter.

:class:`TrackingPipeline` is a :class:`~.live.LivePipeline` whose frames go through a
:class:`~.tracking.TrackCounter` when one is attached (the *Track* toggle): IDs, trails,
the counting line and its counts are drawn into the frame, so the display and a recording
show them. A paused frame re-filtered by the sliders is redrawn but not tracked twice.
The counter can be attached, swapped or removed while the run goes on.
"""

from __future__ import annotations

from typing import Any

from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.live import FilterSettings, LivePipeline, LiveResult
from penguin_studio.core.inference.track_drawing import draw_tracks
from penguin_studio.core.inference.tracking import TrackCounter
from penguin_studio.core.inference.video import Frame


class TrackingPipeline(LivePipeline):
    """A live pipeline that also tracks and counts (see the module docstring)."""

    def __init__(self, *args: Any, counter: TrackCounter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counter = counter
        self._tracked: Frame | None = None

    def _finish(self, frame: Frame, raw: Detections, infer_ms: float,
                settings: FilterSettings) -> LiveResult:
        counter = self.counter
        if counter is None or self.detector is None:
            return super()._finish(frame, raw, infer_ms, settings)
        if not counter.names:
            counter.set_names(self.names)
        nms = self.detector.nms
        shown = filter_detections(raw, settings.conf, settings.iou, settings.max_det,
                                  settings.classes, nms=nms)
        if frame is not self._tracked:
            counter.set_conf(settings.conf)
            counter.update_raw(raw, frame.image, frame.index, frame.media_s, settings.iou,
                               settings.classes, nms, settings.max_det)
            self._tracked = frame
        return LiveResult(frame, raw, shown, draw_tracks(frame.image, counter), infer_ms,
                          settings)
