"""The thread chooser: measures both counts, keeps the faster, re-checks now and then, and
gives up on a count at once when it is hopelessly slower."""

from __future__ import annotations

from penguin_studio.core.inference.thread_chooser import ThreadChooser


def play(chooser: ThreadChooser, speed: dict[int, float], frames: int) -> list[int]:
    used = []
    for _ in range(frames):
        threads = chooser.next()
        chooser.record(threads, speed[threads])
        used.append(threads)
    return used


def test_thread_chooser_measures_both_counts_and_keeps_the_faster() -> None:
    chooser = ThreadChooser(cores=4)
    assert chooser.options == [4, 3]
    speed = {4: 30.0, 3: 50.0}  # an idle machine: every core helps
    first = play(chooser, speed, 20)
    assert set(first[:10]) == {3, 4}, "both counts are tried first"
    assert first[-5:] == [4] * 5
    speed[4] = 400.0  # other programs now keep the cores busy: all cores collapses
    later = play(chooser, speed, 4 * ThreadChooser.LONGEST_PROBE)
    assert later[-5:] == [3] * 5, "the collapse was noticed"
    assert 4 in later[100:], "the slow count is still checked now and then"
    assert later.count(4) < 0.02 * len(later), "…but rarely"
    speed[4] = 10.0  # quiet again: a check finds all cores faster and goes back to it
    assert play(chooser, speed, ThreadChooser.LONGEST_PROBE + 20)[-5:] == [4] * 5


def test_thread_chooser_respects_a_fixed_count() -> None:
    chooser = ThreadChooser(cores=8, fixed=2)
    for _ in range(5):
        assert chooser.next() == 2
        chooser.record(2, 10.0)


def test_a_collapsing_count_costs_two_frames_per_check_not_four() -> None:
    chooser = ThreadChooser(cores=2)
    speed = {1: 150.0, 2: 4000.0}  # a loaded machine: two threads wait on each other
    first = play(chooser, speed, 12)
    assert first[:4] == [1, 1, 1, 1], "the fewest threads are measured first"
    assert first.count(2) == 2, "one warm-up frame and one measured frame, then given up"
    assert first[-3:] == [1, 1, 1]
    later = play(chooser, speed, 3 * ThreadChooser.LONGEST_PROBE)
    checks = sum(1 for a, b in zip([1, *later], later, strict=False) if (a, b) == (1, 2))
    assert checks >= 2 and later.count(2) == 2 * checks


def test_a_count_that_is_only_a_bit_slower_gets_its_full_trial() -> None:
    chooser = ThreadChooser(cores=2)
    used = play(chooser, {1: 100.0, 2: 120.0}, 12)
    assert used.count(2) == ThreadChooser.PROBE_FRAMES + 1
    assert used[-3:] == [1, 1, 1]
