"""Tracking and counting with ultralytics' own trackers, measured against the walking video's
ground truth; lines and zones; exports; reconnects keep the counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.errors import UserError
from penguin_studio.core.inference import tracking
from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.sample_video import make_walk_scene, render_walk_frame, write_walk_video

NAMES = ["penguin", "rock"]


@pytest.fixture(scope="module")
def walk_frames() -> tuple:
    scene = make_walk_scene(0)
    return scene, [render_walk_frame(scene, i) for i in range(scene.frames)]


def _truth_boxes(rows: list[tuple]) -> Detections:
    """The ground truth as a perfect detector would report it."""
    xyxy = np.array([r[2:6] for r in rows], float).reshape(-1, 4)
    return Detections(xyxy, np.full(len(rows), 0.9), np.array([r[1] for r in rows]))


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("kind", tracking.TRACKERS)
def test_perfect_boxes_give_the_true_counts_and_the_hidden_penguin_keeps_its_id(
        walk_frames, kind: str) -> None:
    scene, frames = walk_frames
    counter = tracking.TrackCounter(NAMES, kind, line=tracking.CountingLine(*scene.line))
    ids_of_hidden: set[int] = set()
    for index, (image, rows) in enumerate(frames):
        shown = counter.update(_truth_boxes(rows), image, index, index / scene.fps)
        for tid, _cls, *box, _vis in rows:
            if tid == 3:  # the penguin that walks behind the near one
                best = max(shown, key=lambda b: _iou(b.xyxy, box), default=None)
                if best is not None and _iou(best.xyxy, box) > 0.5:
                    ids_of_hidden.add(best.track_id)
    summary = counter.summary()
    assert {n: c.unique for n, c in summary.per_class.items()} == {"penguin": 5, "rock": 2}
    assert (summary.total("crossed_in"), summary.total("crossed_out")) == (3, 1)
    assert len(ids_of_hidden) == 1, f"the hidden penguin changed ID: {ids_of_hidden}"


def test_flicker_shorter_than_min_frames_is_not_an_animal(walk_frames) -> None:
    scene, frames = walk_frames
    counter = tracking.TrackCounter(NAMES, min_frames=5)
    for index, (image, rows) in enumerate(frames[:40]):
        dets = _truth_boxes(rows)
        if 10 <= index < 13:  # a false box for three frames
            dets = Detections(np.vstack([dets.xyxy, [[150, 20, 180, 60]]]),
                              np.append(dets.conf, 0.9), np.append(dets.cls, 0))
        counter.update(dets, image, index, index / scene.fps)
    walking = {tid for _image, rows in frames[:40] for tid, cls, *_ in rows if cls == 0}
    assert counter.summary().per_class["penguin"].unique == len(walking) == 3
    counter.set_min_frames(1)
    assert counter.summary().per_class["penguin"].unique == 4


def test_line_counts_by_direction_with_hysteresis() -> None:
    line = tracking.CountingLine(100, 0, 100, 200)  # drawn top to bottom: in = left to right
    counter = tracking.TrackCounter(["penguin"], min_frames=1, line=line)
    xs = [*range(40, 161, 8), 160, 152, 144, 136, 128, 120, 112, 104, 100, 99.5, 100.5, 96, 80]
    for i, x in enumerate(xs):
        box = Detections(np.array([[x - 10, 80, x + 10, 120]]), np.array([0.9]), np.array([0]))
        counter.update(box, None, i, i / 10)
    summary = counter.summary()
    assert (summary.total("crossed_in"), summary.total("crossed_out")) == (1, 1)
    assert [e.kind for e in counter.events()] == ["in", "out"]


def test_a_line_short_of_the_path_counts_nothing() -> None:
    counter = tracking.TrackCounter(["penguin"], min_frames=1,
                                    line=tracking.CountingLine(100, 0, 100, 50))
    for i, x in enumerate(range(40, 161, 8)):
        box = Detections(np.array([[x - 10, 80, x + 10, 120]]), np.array([0.9]), np.array([0]))
        counter.update(box, None, i, i / 10)
    assert counter.summary().total("crossed_in") == 0


def test_zone_counts_entries_exits_and_who_is_inside() -> None:
    zone = tracking.CountingZone(((80, 0), (200, 0), (200, 200), (80, 200)))
    counter = tracking.TrackCounter(["penguin"], min_frames=1, zone=zone)
    for i, x in enumerate(range(40, 141, 8)):
        box = Detections(np.array([[x - 10, 80, x + 10, 120]]), np.array([0.9]), np.array([0]))
        counter.update(box, None, i, i / 10)
    counts = counter.summary().per_class["penguin"]
    assert (counts.entered, counts.exited, counts.inside) == (1, 0, 1)
    assert (counts.crossed_in, counts.crossed_out) == (0, 0)  # no line: nothing crossed it


def test_bad_lines_are_ignored_with_a_message() -> None:
    line, message = tracking.checked_line(tracking.CountingLine(10, 10, 10, 10), (320, 240))
    assert line is None and "no length" in message and "Ignoring" in message
    line, message = tracking.checked_line(tracking.CountingLine(400, 0, 500, 300), (320, 240))
    assert line is None and "outside the 320×240 frame" in message
    good = tracking.CountingLine(0, 120, 320, 120)
    assert tracking.checked_line(good, (320, 240)) == (good, "")
    with pytest.raises(UserError, match="four numbers"):
        tracking.CountingLine.parse("1,2,3")
    assert tracking.CountingLine.parse("1, 2, 3, 4") == tracking.CountingLine(1, 2, 3, 4)


def test_new_segment_keeps_counts_shifts_ids_and_leaves_a_gap(walk_frames) -> None:
    scene, frames = walk_frames
    counter = tracking.TrackCounter(NAMES)
    for index, (image, rows) in enumerate(frames[:30]):
        counter.update(_truth_boxes(rows), image, index, index / scene.fps)
    before = counter.summary().per_class
    first_ids = set(counter.confirmed())
    counter.new_segment()  # the camera dropped and came back
    for index, (image, rows) in enumerate(frames[30:60]):
        counter.update(_truth_boxes(rows), image, index, index / scene.fps)
    after = counter.summary().per_class
    assert after["rock"].unique >= before["rock"].unique  # counts continue, never restart
    assert not (set(counter.confirmed()) - first_ids) & first_ids
    assert min(set(counter.confirmed()) - first_ids) > max(first_ids)
    assert any(u < 0 for _t, u, _i, _o in counter.series)  # the gap is visible
    times = [t for t, u, _i, _o in counter.series if u >= 0]
    assert times == sorted(times)


def test_exports_tracks_csv_mot_and_summary(walk_frames, tmp_path: Path) -> None:
    scene, frames = walk_frames
    counter = tracking.TrackCounter(NAMES, line=tracking.CountingLine(*scene.line))
    for index, (image, rows) in enumerate(frames):
        counter.update(_truth_boxes(rows), image, index, index / scene.fps)
    csv_path = tracking.write_tracks(counter, tmp_path / "tracks.csv")
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "frame,time_s,id,class,x1,y1,x2,y2,confidence"
    assert len(lines) - 1 == len(counter.confirmed_records())
    mot = tracking.write_tracks(counter, tmp_path / "tracks.txt").read_text().splitlines()
    first = mot[0].split(",")
    assert len(first) == 10 and int(first[0]) >= 1
    assert {int(r.split(",")[1]) for r in mot} == set(counter.confirmed())
    summary = tracking.write_summary(counter, tmp_path / "summary.csv").read_text()
    assert summary.splitlines() == ["class,unique,in,out", "penguin,5,3,1", "rock,2,0,0"]


def test_walk_video_writes_video_ground_truth_and_truth(tmp_path: Path) -> None:
    import json

    import cv2

    truth = write_walk_video(tmp_path / "walk.mp4", seconds=10)
    capture = cv2.VideoCapture(str(truth.video))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == truth.frames == 150
    capture.release()
    doc = json.loads(truth.truth.read_text())
    assert doc["unique"] == {"penguin": 5, "rock": 2}
    assert doc["crossings"] == {"in": 3, "out": 1}
    assert truth.hidden_frames.get(3, 0) >= 2  # occluded briefly
    rows = [line.split(",") for line in truth.gt.read_text().splitlines()]
    assert {len(r) for r in rows} == {9} and min(int(r[0]) for r in rows) == 1
    assert {int(r[7]) for r in rows} == {1, 2}  # MOT class ids start at 1


def test_counts_over_time_stay_bounded_and_keep_their_gaps(monkeypatch) -> None:
    monkeypatch.setattr(tracking, "MAX_SERIES", 100)
    counter = tracking.TrackCounter(["penguin"], min_frames=1)
    empty = Detections.empty()
    for i in range(120):
        counter.update(empty, None, i, i / 10)
    counter.new_segment()
    for i in range(150):
        counter.update(empty, None, i, i / 10)
    assert len(counter.series) <= 100
    times = [t for t, u, _i, _o in counter.series]
    assert times == sorted(times) and times[-1] == pytest.approx(11.9 + 14.9)
    assert any(u < 0 for _t, u, _i, _o in counter.series)
