"""ui/jobs.py: every background job reports progress, done, failure and cancel the same way."""

from __future__ import annotations

import threading

from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.jobs import start_job


def _messages(context: AppContext) -> list[str]:
    seen: list[str] = []
    context.status_message.connect(lambda text, _ms: seen.append(text))
    return seen


def test_progress_and_done_reach_the_status_bar(qtbot) -> None:
    context = AppContext()
    seen = _messages(context)
    results = []

    def job(ctx: JobContext, n: int) -> int:
        for i in range(n):
            ctx.step(i + 1, n, "Counting")
        return n * 2

    handle = start_job(context, "Count", job, 3, on_done=results.append,
                       done_text=lambda r: f"Counted {r}.")
    qtbot.waitUntil(lambda: not handle.running)
    assert results == [6]
    assert seen[0] == "Count…" and "Counting… 3/3" in seen and seen[-1] == "Counted 6."
    context.shutdown()


def test_a_failure_is_one_line_and_the_dialog_unless_background(qtbot) -> None:
    context = AppContext()
    seen = _messages(context)
    errors = []
    context.error.connect(lambda title, text: errors.append((title, text)))

    def job(_ctx: JobContext) -> None:
        raise UserError("The model file is gone.")

    handle = start_job(context, "Pre-label", job)
    qtbot.waitUntil(lambda: not handle.running)
    assert errors == [("Pre-label", "The model file is gone.")] and seen[-1] == "Pre-label failed."
    handle = start_job(context, "Auto-train", job, error_dialog=False)
    qtbot.waitUntil(lambda: not handle.running)
    assert len(errors) == 1 and seen[-1] == "Auto-train failed: The model file is gone."
    context.shutdown()


def _cancelled_messages(qtbot, title: str, **options) -> list[str]:
    """Start a job that runs until cancelled, cancel it once it runs: what the bar said."""
    context = AppContext()
    seen = _messages(context)
    started = threading.Event()

    def job(ctx: JobContext) -> None:
        started.set()
        while True:
            ctx.step(0, 0)
            ctx.token._event.wait(0.01)

    handle = start_job(context, title, job, **options)
    assert started.wait(5)
    handle.cancel()
    qtbot.waitUntil(lambda: not handle.running)
    context.shutdown()
    return seen


def test_cancel_stops_the_job_and_says_so(qtbot) -> None:
    assert _cancelled_messages(qtbot, "Index")[-1] == "Index cancelled."


def test_a_superseded_job_is_cancelled_unsaid(qtbot) -> None:
    """cancelled_text=None: a job a newer one replaced (a rescan) says nothing."""
    assert _cancelled_messages(qtbot, "Scan", quiet=True, cancelled_text=None) == []


def test_a_group_waits_for_its_jobs_and_stops_them_on_shutdown(qtbot) -> None:
    """JobGroup: what a widget needs to stop its own jobs, on the context's one runner."""
    from penguin_studio.ui.jobs import JobGroup, wait_until

    context = AppContext()
    group = JobGroup(context)
    release = threading.Event()
    handle = group.start("Wait", lambda _ctx: release.wait(5) and "done", quiet=True)
    assert group.busy and len(context.jobs._threads) == 1  # the context's runner runs it
    assert not wait_until(lambda: not group.busy, group.idle, timeout_s=0.05)  # timed out
    release.set()
    assert group.wait_until_idle(5) and not handle.running

    started = threading.Event()

    def until_cancelled(ctx: JobContext) -> None:
        started.set()
        while True:
            ctx.step(0, 0)
            ctx.token._event.wait(0.01)

    handle = group.start("Loop", until_cancelled)
    assert started.wait(5)
    group.shutdown()  # returns once the thread has ended
    assert not handle.thread.isRunning() and not group.busy
    qtbot.waitUntil(lambda: not handle.running)  # its 'cancelled' still reaches the GUI
    context.shutdown()


def test_a_background_failure_leaves_the_status_bar_in_time(qtbot, monkeypatch, caplog) -> None:
    """The main window's bar shows the failure, then clears it by itself (a later quiet
    job's success must not sit under it forever); the failure stays in the log."""
    from penguin_studio.ui import jobs
    from penguin_studio.ui.app import create_application
    from penguin_studio.ui.main_window import MainWindow

    assert jobs.FAILED_LINE_MS == 10_000
    monkeypatch.setattr(jobs, "FAILED_LINE_MS", 300)  # the same timer, shorter to wait for
    create_application()
    window = MainWindow()
    qtbot.addWidget(window)
    bar = window.statusBar()

    def job(_ctx: JobContext) -> None:
        raise UserError("The model file is gone.")

    handle = start_job(window.context, "Auto-train", job, error_dialog=False)
    qtbot.waitUntil(lambda: not handle.running, timeout=10_000)
    assert bar.currentMessage() == "Auto-train failed: The model file is gone."
    quiet = start_job(window.context, "Index", lambda _ctx: None, quiet=True)
    qtbot.waitUntil(lambda: not quiet.running, timeout=10_000)
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=10_000)
    assert "Auto-train failed: The model file is gone." in caplog.text
    window.close()


def test_results_for_a_deleted_owner_are_dropped(qtbot) -> None:
    """A panel deleted while its job's results are on the way (a cancelled job that ends
    anyway): its callbacks are not called, so nothing writes to deleted widgets; the status
    bar, which outlives it, still hears the end."""
    import shiboken6
    from PySide6.QtCore import QObject

    context = AppContext()
    seen = _messages(context)
    owner = QObject()
    release = threading.Event()
    calls = []

    def job(ctx: JobContext) -> int:
        release.wait(10)
        ctx.step(1, 1, "Reading")
        return 1

    handle = start_job(context, "Read", job, owner=owner, done_text="Read.",
                       on_done=calls.append, on_progress=lambda *a: calls.append(a))
    shiboken6.delete(owner)
    release.set()
    qtbot.waitUntil(lambda: not handle.running)
    assert calls == [] and seen[-1] == "Read."
    context.shutdown()
