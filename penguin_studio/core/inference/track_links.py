"""Re-identification by position: a track born where another one just ended continues it.

ByteTrack keeps a lost track for ``track_buffer`` frames, but it can re-find it only with a
detection above ``track_high_thresh`` whose box overlaps the track's Kalman prediction
well. On the walking-penguin benchmark two failures remained that this does not cover:

* a **duplicate box**: NMS at the slider's IoU lets a second, nested box of one animal
  through for a frame or two; it starts a new track while the old one dies a frame later,
  and the animal is counted twice;
* a **weak re-appearance**: a still animal (a rock, a sitting penguin) fades below the
  tracker's thresholds and comes back as a new track at the same place.

:func:`find_predecessor` looks, for a young track, for a track of the same source segment
that ended no more than ``gap`` frames before it was born (or a few frames after: the
duplicate case), whose motion extrapolated to the birth frame lands on the new box, with a
similar size, and that no other track continues. The counter then counts the two as one
animal and exports them under one ID. Qt-free and tracker-agnostic: plain numbers in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: How far (in box sizes, the larger side) the new box's centre may be from where the old
#: track's motion puts it at the birth frame.
LINK_RADIUS = 0.6
#: Of the old track's speed, the share of the gap's travel added to that radius (speed is
#: measured over a few frames and drifts).
SPEED_SLACK = 0.5
#: The new box's area within this factor of the old one's.
AREA_RATIO = 2.0


@dataclass(frozen=True)
class TrackEnd:
    """Where a track was last seen: its frame, box and velocity (pixels per frame)."""

    track_id: int
    frame: int
    xyxy: tuple[float, float, float, float]
    velocity: tuple[float, float]


def _centre(xyxy: tuple[float, float, float, float]) -> tuple[float, float]:
    return (xyxy[0] + xyxy[2]) / 2, (xyxy[1] + xyxy[3]) / 2


def _area(xyxy: tuple[float, float, float, float]) -> float:
    return max(0.0, xyxy[2] - xyxy[0]) * max(0.0, xyxy[3] - xyxy[1])


def continues(end: TrackEnd, birth_frame: int, birth_box: tuple[float, float, float, float],
              gap: int, overlap: int) -> float | None:
    """How far (pixels) a track born on ``birth_frame`` at ``birth_box`` lies from the
    ended track's extrapolated position, or None if it cannot continue it."""
    frames = birth_frame - end.frame
    if frames > gap or frames < -overlap:
        return None
    a0, a1 = _area(end.xyxy), _area(birth_box)
    if a0 <= 0 or a1 <= 0 or max(a0, a1) / min(a0, a1) > AREA_RATIO:
        return None
    (x0, y0), (x1, y1) = _centre(end.xyxy), _centre(birth_box)
    vx, vy = end.velocity
    px, py = x0 + vx * frames, y0 + vy * frames
    size = max(end.xyxy[2] - end.xyxy[0], end.xyxy[3] - end.xyxy[1])
    radius = LINK_RADIUS * size + SPEED_SLACK * math.hypot(vx, vy) * abs(frames)
    distance = math.hypot(x1 - px, y1 - py)
    return distance if distance <= radius else None


def find_predecessor(ends: Iterable[TrackEnd], birth_frame: int,
                     birth_box: tuple[float, float, float, float], gap: int,
                     overlap: int) -> int | None:
    """The ID of the ended track the new one most likely continues (nearest), or None."""
    best, best_distance = None, math.inf
    for end in ends:
        distance = continues(end, birth_frame, birth_box, gap, overlap)
        if distance is not None and distance < best_distance:
            best, best_distance = end.track_id, distance
    return best
