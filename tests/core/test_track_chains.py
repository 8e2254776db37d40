"""The counter's running totals equal a full recount, and a frame recounts only its animals."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from penguin_studio.core.inference import tracking
from penguin_studio.core.inference.filtering import Detections

IMAGE = np.zeros((240, 320, 3), np.uint8)


def full_recount(counter: tracking.TrackCounter) -> tuple[Counter, dict[str, Counter], Counter]:
    """Every chain recounted from scratch (what the counter did on every frame before)."""
    roots = {tid: counter._root(tid) for tid in counter._tracks}
    frames: Counter = Counter()
    votes: dict[int, Counter] = {}
    for tid, track in counter._tracks.items():
        frames[roots[tid]] += track.frames
        votes.setdefault(roots[tid], Counter()).update(track.votes)
    cls_of = {r: votes[r].most_common(1)[0][0] for r in votes
              if frames[r] >= counter.min_frames and votes[r]}
    events = {k: Counter() for k in ("in", "out", "enter", "exit")}
    for event in counter.events():
        root = counter._root(event.track_id)
        if root in cls_of:
            events[event.kind][cls_of[root]] += 1
    inside = Counter(cls_of[roots[tid]] for tid, t in counter._tracks.items()
                     if t.inside and t.last_frame == counter._last_frame and roots[tid] in cls_of)
    return Counter(cls_of.values()), events, inside


def walkers(frame: int, rng_gaps: set[int]) -> Detections:
    """Animals entering every 12 frames, walking right across a line at x=160, some
    vanishing for a few frames and coming back further on (the tracker starts a new track,
    which the counter links to the old one)."""
    boxes, classes = [], []
    for k in range(max(0, frame // 12 - 4), frame // 12 + 1):
        age = frame - k * 12
        if 0 <= age < 40 and not (k in rng_gaps and 18 <= age < 22):
            x, y = age * 8 + (30 if k in rng_gaps and age >= 22 else 0), (k * 29) % 180
            boxes.append([x, y, x + 24, y + 36])
            classes.append(k % 2)
    xyxy = np.array(boxes, np.float32).reshape(-1, 4)
    return Detections(xyxy, np.full(len(boxes), 0.9, np.float32), np.array(classes))


def test_running_totals_equal_a_full_recount_through_links_and_settings():
    rng = random.Random(0)
    gaps = {k for k in range(40) if rng.random() < 0.4}
    counter = tracking.TrackCounter(["penguin", "rock"], min_frames=5,
                                    line=tracking.CountingLine(160, 0, 160, 240))
    for frame in range(400):
        counter.update(walkers(frame, gaps), IMAGE, frame, frame / 25)
        if frame == 200:
            counter.set_min_frames(12)  # settings recount everything
        if frame == 300:
            counter.set_zone(tracking.CountingZone(((0, 0), (160, 0), (160, 240), (0, 240))))
        if frame % 25 == 0 or frame == 399:
            unique, events, inside = full_recount(counter)
            summary = counter.summary()
            for c, name in enumerate(counter.names):
                got = summary.per_class[name]
                assert got.unique == unique[c]
                assert (got.crossed_in, got.crossed_out) == (events["in"][c], events["out"][c])
                assert (got.entered, got.exited) == (events["enter"][c], events["exit"][c])
                assert got.inside == inside[c]
    assert summary.total("unique") > 20 and summary.total("crossed_in") > 10
    assert any(t.parent is not None for t in counter._tracks.values())  # links were made
    assert summary.total("exited") > 0  # the zone counted too


def test_a_frame_recounts_only_the_animals_on_it_not_all_seen_so_far():
    counter = tracking.TrackCounter(["penguin", "rock"], min_frames=5,
                                    line=tracking.CountingLine(160, 0, 160, 240))
    for frame in range(1200):
        counter.update(walkers(frame, set()), IMAGE, frame, frame / 25)
    assert counter.summary().total("unique") >= 90  # ~100 animals passed by
    assert counter._counts.last_recounted <= 6  # the few on screen, not 100
