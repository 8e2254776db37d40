"""How many torch threads live inference uses, chosen by measuring.

Split out of :mod:`penguin_studio.core.inference.live` because the choice is a small,
self-contained policy (pure bookkeeping, no model) with tests of its own.
"""

from __future__ import annotations

import os


class ThreadChooser:
    """Picks torch's thread count for live inference by measuring it, and keeps measuring.

    Measured on a 2-core machine shared with other work (benchmarks/bench_live.py): when it
    was quiet, every core was fastest (yolov8n at 640 px: 25-28 ms per frame instead of 48 ms
    with one thread, capture and display included); when other programs kept the cores busy,
    torch's OpenMP threads waited on each other and two threads took 70-260 ms per frame
    where one took 6-26 ms (64-320 px). Ultralytics always leaves one core idle; the project
    default is every core. Neither is right everywhere, so both are tried, the faster is
    used, and the other is tried again for a few frames now and then (after 30 frames, then
    ever more rarely while the choice holds, so a wrong early guess is soon corrected).
    """

    PROBE_FRAMES = 3  # frames per trial (plus one that only warms the thread pool)
    #: a trial ends after one frame when it is this many times slower than the other count:
    #: on a loaded 2-core CPU two torch threads took 2-4 s per frame where one took 0.2 s
    #: (bench_backends.py), and three such frames froze the picture for ten seconds
    ABANDON = 2.0
    FIRST_PROBE = 30  # frames before the choice is checked again; doubles while it holds
    LONGEST_PROBE = 600
    SMOOTHING = 0.3

    def __init__(self, cores: int | None = None, fixed: int | None = None) -> None:
        cores = max(1, cores or os.cpu_count() or 1)
        self.options = [fixed] if fixed else sorted({cores, max(1, cores - 1)}, reverse=True)
        self.ms: dict[int, float] = {}
        self._samples = dict.fromkeys(self.options, 0)
        self._frames = 0
        self._last = 0
        self._probe_left = 0
        self._probe_against = 0
        self._interval = self.FIRST_PROBE
        self._next_probe = self.FIRST_PROBE

    def best(self) -> int:
        """The fastest count measured so far (all cores before anything was measured)."""
        known = [n for n in self.options if n in self.ms]
        return min(known, key=lambda n: self.ms[n]) if known else self.options[0]

    def next(self) -> int:
        """How many threads the next frame should use."""
        for option in sorted(self.options):  # fewest first: the cheap one to abandon for
            if self._samples[option] < self.PROBE_FRAMES:
                return option
        if len(self.options) == 1:
            return self.options[0]
        if self._probe_left == 0 and self._frames >= self._next_probe:
            self._probe_left, self._probe_against = self.PROBE_FRAMES + 1, self.best()
            other = next(n for n in self.options if n != self._probe_against)
            self.ms.pop(other, None)  # an old figure says little about the load now
        if self._probe_left > 0:
            return next(n for n in self.options if n != self._probe_against)
        return self.best()

    def record(self, threads: int, ms: float) -> None:
        """One frame's time with ``threads`` (inference, or the frame-to-frame period when a
        file plays as fast as possible); the first frame after a change only warms the pool."""
        self._frames += 1
        changed, self._last = threads != self._last, threads
        if not (changed and len(self.options) > 1):
            old = self.ms.get(threads)
            self.ms[threads] = ms if old is None else old + self.SMOOTHING * (ms - old)
            self._samples[threads] += 1
            if self._hopeless(threads):
                self._samples[threads] = max(self._samples[threads], self.PROBE_FRAMES)
                self._probe_left = min(self._probe_left, 1)
        if self._probe_left > 0:
            self._probe_left -= 1
            if self._probe_left == 0:  # checked: wait longer next time if the choice held
                held = self.best() == self._probe_against
                self._interval = min(2 * self._interval, self.LONGEST_PROBE) if held \
                    else self.FIRST_PROBE
                self._next_probe = self._frames + self._interval

    def _hopeless(self, threads: int) -> bool:
        """Whether ``threads`` just measured :attr:`ABANDON` times slower than another count."""
        others = [self.ms[n] for n in self.options if n != threads and n in self.ms]
        return bool(others) and self.ms[threads] > self.ABANDON * min(others)
