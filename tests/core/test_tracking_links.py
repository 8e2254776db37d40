"""One animal, two tracker IDs: a track born where another just ended continues it; the
tracker's lost-track buffer follows the frame rate; only confident boxes start tracks."""

from __future__ import annotations

import numpy as np

from penguin_studio.core.inference import tracking
from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.inference.track_links import TrackEnd, continues


def _boxes(*items: tuple[float, float, float]) -> Detections:
    """(centre x, centre y, confidence) of 40 × 40 boxes."""
    xyxy = [[x - 20, y - 20, x + 20, y + 20] for x, y, _c in items]
    return Detections(np.array(xyxy, float).reshape(-1, 4), np.array([c for *_p, c in items]),
                      np.zeros(len(items), int))


def _run(counter: tracking.TrackCounter, frames: list[Detections], fps: float = 15.0) -> None:
    for index, dets in enumerate(frames):
        counter.update(dets, None, index, index / fps)


def _raw_ids(counter: tracking.TrackCounter) -> set[int]:
    return {r.track_id for r in counter.records}


def test_a_still_animal_found_again_a_little_off_is_one_animal() -> None:
    # seen 20 frames, missed 5, found again weaker 20 px (half a box) away: a new tracker ID
    frames = [_boxes((100, 100, 0.9))] * 20 + [_boxes()] * 5 + [_boxes((120, 100, 0.5))] * 20
    counter = tracking.TrackCounter(["penguin"])
    _run(counter, frames)
    assert len(_raw_ids(counter)) == 2
    assert counter.summary().per_class["penguin"].unique == 1
    assert len(counter.confirmed()) == 1
    assert {r.track_id for r in counter.confirmed_records()} == set(counter.confirmed())
    assert [b.track_id for b in counter.current] == counter.confirmed()  # shown under one ID
    assert len(counter.trails()[counter.confirmed()[0]]) >= 2


def test_the_gap_between_the_two_tracks_counts_its_crossing_once() -> None:
    line = tracking.CountingLine(110, 0, 110, 200)  # the 20 px jump goes over it
    frames = [_boxes((100, 100, 0.9))] * 20 + [_boxes()] * 5 + [_boxes((120, 100, 0.5))] * 20
    counter = tracking.TrackCounter(["penguin"], line=line)
    _run(counter, frames)
    summary = counter.summary()
    assert summary.total("crossed_in") + summary.total("crossed_out") == 1


def test_another_animal_entering_elsewhere_is_another_animal() -> None:
    walk_out = [_boxes((40 + 12 * i, 100, 0.9)) for i in range(20)]  # leaves on the right
    walk_in = [_boxes((20 + 12 * i, 160, 0.9)) for i in range(20)]  # another on the left
    counter = tracking.TrackCounter(["penguin"])
    _run(counter, walk_out + [_boxes()] * 3 + walk_in)
    assert counter.summary().per_class["penguin"].unique == 2


def test_a_track_thought_to_continue_another_is_split_off_when_that_one_returns() -> None:
    still = [_boxes((100, 100, 0.9))] * 20
    both = [_boxes((100, 100, 0.9), (120, 100, 0.5))] * 20
    counter = tracking.TrackCounter(["penguin"])
    # the first is missed while a second appears beside it, then both are seen
    _run(counter, still + [_boxes((120, 100, 0.5))] * 6 + both)
    assert counter.summary().per_class["penguin"].unique == 2


def test_a_flicker_is_not_continued() -> None:
    end = TrackEnd(1, 10, (80.0, 80.0, 120.0, 120.0), (0.0, 0.0))
    assert continues(end, 14, (84.0, 80.0, 124.0, 120.0), gap=30, overlap=5) is not None
    assert continues(end, 50, (84.0, 80.0, 124.0, 120.0), gap=30, overlap=5) is None  # too late
    assert continues(end, 14, (84.0, 80.0, 164.0, 160.0), gap=30, overlap=5) is None  # size
    moving = TrackEnd(1, 10, (80.0, 80.0, 120.0, 120.0), (8.0, 0.0))  # 8 px a frame
    assert continues(moving, 15, (120.0, 80.0, 160.0, 120.0), gap=30, overlap=5) is not None
    assert continues(moving, 15, (40.0, 80.0, 80.0, 120.0), gap=30, overlap=5) is None
    flicker = [_boxes((100, 100, 0.9))] * 3 + [_boxes()] * 3 + [_boxes((120, 100, 0.5))] * 3
    counter = tracking.TrackCounter(["penguin"], min_frames=5)
    _run(counter, flicker)
    assert counter.summary().per_class["penguin"].unique == 0  # 3 + 3 frames: no animal


def test_the_lost_track_buffer_is_two_seconds_at_the_rate_frames_come() -> None:
    for fps, frames in ((15.0, 30), (30.0, 60), (5.0, 10)):
        counter = tracking.TrackCounter(["penguin"])
        _run(counter, [_boxes((100, 100, 0.9))] * 8, fps)
        assert counter.buffer_frames == frames
        assert counter._tracker.args.track_buffer == frames
        assert counter._tracker.max_frames_lost == frames
    assert tracking.TrackCounter(["penguin"], fps=10).buffer_frames == 20


def test_only_boxes_clearly_above_the_slider_start_tracks() -> None:
    counter = tracking.TrackCounter(["penguin"], min_frames=1, conf=0.4)
    _run(counter, [_boxes((100, 100, 0.45))] * 10)  # shown at 0.4, never sure enough
    assert counter.summary().per_class["penguin"].unique == 0
    counter = tracking.TrackCounter(["penguin"], min_frames=1, conf=0.4)
    # sure at first, then weaker: the track goes on below the slider (ByteTrack's 2nd stage)
    _run(counter, [_boxes((100, 100, 0.6))] * 3 + [_boxes((100, 100, 0.2))] * 10)
    assert len(_raw_ids(counter)) == 1 and counter.frames == 13
    assert len([r for r in counter.records if r.conf < 0.4]) == 10


def test_bad_zones_are_refused_with_a_reason() -> None:
    assert "three corners" in tracking.CountingZone(((0, 0), (10, 10))).problem()
    assert "three corners" in tracking.CountingZone(((0, 0), (10, 10), (20, 20))).problem()
    outside = tracking.CountingZone(((400, 300), (500, 300), (500, 400)))
    assert "outside the 320×240 frame" in outside.problem((320, 240))
    inside = tracking.CountingZone(((10, 10), (100, 10), (100, 100)))
    assert inside.problem((320, 240)) is None
