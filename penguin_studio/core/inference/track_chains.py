"""The counts per animal, kept up to date as tracks change instead of recounted every frame.

One animal is a chain of tracks (a track that continues an ended one is linked to it, see
``track_links``); the counter shows, on every frame, how many animals of each class were
seen and how many crossed the line. Recounting every chain on every frame costs time in
proportion to all the tracks ever seen: after 20 minutes of a busy camera (1,000 tracks)
that was 16 ms a frame, more than detection itself. Here only the chains whose tracks
changed on a frame (seen, linked, unlinked, crossed) are recounted, so a frame costs the
same after an hour as after a minute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

EVENT_KINDS = ("in", "out", "enter", "exit")


class ChainTrack(Protocol):
    """What a chain needs of a track (``tracking._Track``)."""

    track_id: int
    frames: int
    votes: Counter
    parent: int | None
    child: int | None


class ChainEvent(Protocol):
    track_id: int
    kind: str


@dataclass
class ChainTotal:
    """One animal: frames seen by all its tracks, its class (-1 until confirmed), events."""

    frames: int = 0
    cls: int = -1
    events: Counter = field(default_factory=Counter)


class ChainCounts:
    """Per-class totals over confirmed animals, refreshed only for touched chains."""

    def __init__(self) -> None:
        self._dirty: set[int] = set()
        self._everything = False
        self.last_recounted = 0  # chains walked by the last refresh (what a frame cost)
        self._clear()

    def _clear(self) -> None:
        self.chains: dict[int, ChainTotal] = {}  # root track ID -> its animal
        self.unique: Counter = Counter()  # class -> confirmed animals
        self.events: dict[str, Counter] = {k: Counter() for k in EVENT_KINDS}

    def touch(self, track_id: int) -> None:
        """This track's chain changed (seen, linked, unlinked, an event added or removed)."""
        self._dirty.add(track_id)

    def invalidate(self) -> None:
        """Recount everything on the next refresh (a new line, zone or minimum of frames)."""
        self._everything = True

    def refresh(self, tracks: Mapping[int, ChainTrack],
                events_of: Mapping[int, list[ChainEvent]], min_frames: int) -> None:
        """Bring the totals up to date with ``tracks`` and their events."""
        if self._everything:
            self._clear()
            self._dirty, self._everything = set(tracks), False
        roots = set()
        for track_id in self._dirty:
            root = chain_root(tracks, track_id)
            if root != track_id and track_id in self.chains:  # now continues another track
                self._add(self.chains.pop(track_id), -1)
            roots.add(root)
        for root in roots:
            if root in self.chains:
                self._add(self.chains[root], -1)
            total = _count_chain(tracks, events_of, root, min_frames)
            self.chains[root] = total
            self._add(total, +1)
        self.last_recounted = len(roots)
        self._dirty.clear()

    def confirmed(self) -> list[int]:
        return [root for root, total in self.chains.items() if total.cls >= 0]

    def _add(self, total: ChainTotal, sign: int) -> None:
        if total.cls < 0:
            return
        self.unique[total.cls] += sign
        for kind, n in total.events.items():
            self.events[kind][total.cls] += sign * n


def chain_root(tracks: Mapping[int, ChainTrack], track_id: int) -> int:
    """The first track of the chain ``track_id`` belongs to (the animal's ID)."""
    track = tracks.get(track_id)
    while track is not None and track.parent is not None:
        track = tracks[track.parent]
    return track.track_id if track is not None else track_id


def _count_chain(tracks: Mapping[int, ChainTrack], events_of: Mapping[int, list[ChainEvent]],
                 root: int, min_frames: int) -> ChainTotal:
    """Walk one chain from its first track: frames, class votes and events of all tracks."""
    frames, votes, events = 0, Counter(), Counter()
    track = tracks.get(root)
    while track is not None:
        frames += track.frames
        votes.update(track.votes)
        events.update(e.kind for e in events_of.get(track.track_id, ()))
        track = tracks.get(track.child) if track.child is not None else None
    confirmed = frames >= min_frames and votes
    return ChainTotal(frames, votes.most_common(1)[0][0] if confirmed else -1, events)
