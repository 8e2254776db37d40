"""Effort accounting: counts per dataset and session, measured times, time saved, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from penguin_studio.core.labelling import effort as ef


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_counts_and_measured_seconds_persist_across_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    store = ef.EffortStore(tmp_path, clock)
    store.image_opened("a.jpg")
    clock.now = 20.0
    store.record(ef.DRAWN, "a.jpg")
    clock.now = 22.0
    store.record(ef.ACCEPTED, "a.jpg")
    clock.now = 500.0  # a long pause counts as IDLE_CAP_S at most
    store.record(ef.REJECTED, "a.jpg")
    assert store.session.counts[ef.DRAWN] == 1 and store.total.measured_s(ef.DRAWN) == 20.0
    assert store.total.image_seconds["a.jpg"] == pytest.approx(22.0 + ef.IDLE_CAP_S)
    again = ef.EffortStore(tmp_path)
    assert again.total.counts == store.total.counts
    assert again.session.counts[ef.DRAWN] == 0  # a new session starts at zero


def test_undo_takes_the_count_back(tmp_path: Path) -> None:
    store = ef.EffortStore(tmp_path)
    store.record(ef.ADJUSTED, "a.jpg")
    store.record(ef.ADJUSTED, "a.jpg", n=-1)
    assert store.total.counts[ef.ADJUSTED] == 0
    assert ef.EffortStore(tmp_path).total.counts[ef.ADJUSTED] == 0


def test_time_saved_uses_the_published_costs_and_the_measured_ones() -> None:
    effort = ef.Effort()
    effort.counts.update({ef.DRAWN: 2, ef.ACCEPTED: 10, ef.REJECTED: 5})
    # 12 boxes by hand = 420 s; spent 2·35 + 10·1.6 + 5·1.6 = 94 s
    assert effort.saved_s() == pytest.approx(12 * 35 - (70 + 16 + 8))
    effort.seconds[ef.DRAWN] = 2 * 10.0  # this user draws a box in 10 s
    assert effort.measured_costs()[ef.DRAWN] == 10.0
    assert effort.saved_s(effort.measured_costs()) == pytest.approx(12 * 10 - (20 + 16 + 8))
    assert ef.format_duration(3725) == "1 h 02 min" and ef.format_duration(75) == "1 min 15 s"


def test_a_read_only_dataset_keeps_effort_in_memory(tmp_path: Path, monkeypatch) -> None:
    def refuse(path, text):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ef, "atomic_write_text", refuse)
    store = ef.EffortStore(tmp_path)
    store.record(ef.DRAWN, "a.jpg")
    assert store.total.counts[ef.DRAWN] == 1 and "stay in memory" in store.note
