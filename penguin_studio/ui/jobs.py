"""The one front-end for background jobs in the UI: start, progress, cancel, done / failed.

A core job is a plain ``fn(ctx: JobContext, *args)`` (``core/jobs.py``). :func:`start_job`
runs it off the GUI thread through the app context's :class:`~penguin_studio.ui.workers.
JobRunner` (which stops every job when the window closes) and reports to the status bar:
"Title…" while it runs, "Title… 3/10" as it progresses, a done text, "Title failed." plus the
error dialog, "Title cancelled." Optionally a :class:`~penguin_studio.ui.dataset.job_strip.
JobStrip` shows the progress bar and the Cancel button. Panels pass their own callbacks for
what the result means to them; they never repeat the status-bar wording.

A widget whose jobs must stop when it closes (the Live panel, the Counting box) starts
them through a :class:`JobGroup`: the same :func:`start_job`, plus ``shutdown()`` and an
``idle`` signal to wait on. :func:`wait_until` is the one way to wait for work off the
GUI thread (screenshots, benchmarks): a local event loop woken by a signal, never a loop
that spins ``processEvents``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal, SignalInstance

DONE_MS = 8000  # how long a job's done / cancelled line stays in the status bar
FAILED_MS = 5000  # "Title failed." next to the error dialog, which holds the details
FAILED_LINE_MS = 10000  # a background failure without a dialog: long enough to read

log = logging.getLogger("penguin_studio.jobs")  # every failure, after its line is gone


@dataclass(eq=False)  # one handle per job: hashable by identity
class JobHandle:
    """A started job: ``cancel()`` it, ask whether it is ``running``."""

    title: str
    thread: Any = None
    running: bool = True

    def cancel(self) -> None:
        if self.running and self.thread is not None:
            self.thread.cancel()


def wait_until(condition: Callable[[], bool], *signals: SignalInstance,
               timeout_s: float = 10.0) -> bool:
    """Run a local event loop until ``condition()`` holds, looking again each time one of
    ``signals`` fires; False when ``timeout_s`` passed first. For screenshots and
    benchmarks that must wait for a job: the GUI stays live and nothing spins."""
    if condition():
        return True
    loop = QEventLoop()

    def check(*_args: Any) -> None:
        if condition():
            loop.quit()

    for signal in signals:
        signal.connect(check)
    timer = QTimer(singleShot=True, interval=max(1, int(timeout_s * 1000)))
    timer.timeout.connect(loop.quit)
    timer.start()
    try:
        if not condition():  # it may have come true while connecting
            loop.exec()
    finally:
        timer.stop()
        for signal in signals:
            signal.disconnect(check)
    return condition()


def start_job(context, title: str, fn: Callable[..., Any], *args: Any,
              on_done: Callable[[Any], None] | None = None,
              on_failed: Callable[[str], None] | None = None,
              on_cancelled: Callable[[], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              progress_text: str = "", done_text: Callable[[Any], str] | str | None = None,
              cancelled_text: str | None = "", strip=None, error_dialog: bool = True,
              quiet: bool = False,
              on_ended: Callable[[JobHandle], None] | None = None,
              owner: QObject | None = None) -> JobHandle:
    """Run ``fn(ctx, *args)`` off the GUI thread; every outcome reaches the status bar.

    ``done_text`` (a text, or a function of the result) is shown when it succeeds;
    ``error_dialog`` False keeps a failure to one status-bar line for ``FAILED_LINE_MS``
    (background work the user did not ask for, such as auto-train); every failure is also
    logged to ``penguin_studio.jobs``. ``quiet`` shows nothing while it runs;
    ``cancelled_text`` None says nothing when it is cancelled (a newer job replaced it).
    ``on_ended(handle)`` runs once the job's thread has ended, after the outcome.
    ``owner``: the object the callbacks belong to; once it is deleted (a panel closed while
    its cancelled job still had results on the way) they are no longer called.
    """
    handle = JobHandle(title)
    on_done, on_failed, on_cancelled, on_progress = (
        _while_alive(owner, f) for f in (on_done, on_failed, on_cancelled, on_progress))
    say = context.status_message.emit
    if not quiet:
        say(progress_text or f"{title}…", 0)
    if strip is not None:
        strip.start(progress_text or f"{title}…", handle.cancel)

    def finish() -> None:
        handle.running = False
        if strip is not None:
            strip.finish()

    def done(result: Any) -> None:
        finish()
        text = done_text(result) if callable(done_text) else done_text
        if text:
            say(text, DONE_MS)
        if on_done is not None:
            on_done(result)

    def failed(message: str) -> None:
        finish()
        log.warning("%s failed: %s", title, message)
        if error_dialog:
            say(f"{title} failed.", FAILED_MS)
            context.error.emit(title, message)
        else:  # timed: a later job's success must not sit under an old failure
            say(f"{title} failed: {message}", FAILED_LINE_MS)
        if on_failed is not None:
            on_failed(message)

    def cancelled() -> None:
        finish()
        if cancelled_text is not None:  # None: a superseded job, cancelled by no one
            say(cancelled_text or f"{title} cancelled.", DONE_MS)
        if on_cancelled is not None:
            on_cancelled()

    def progressed(n: int, total: int, message: str) -> None:
        if strip is not None:
            strip.progress(n, total, message)
        elif total and not quiet:
            say(f"{message or title}… {n:,}/{total:,}", 0)
        if on_progress is not None:
            on_progress(n, total, message)

    ended = None if on_ended is None else (lambda: on_ended(handle))
    handle.thread = context.jobs.start(fn, *args, on_done=done, on_error=failed,
                                       on_progress=progressed, on_cancel=cancelled,
                                       on_finished=ended)
    return handle


def _while_alive(owner: QObject | None, fn: Callable[..., None] | None
                 ) -> Callable[..., None] | None:
    """``fn``, called only while ``owner`` (when given) has not been deleted."""
    if owner is None or fn is None:
        return fn
    import shiboken6

    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            fn(*args)
    return call


class JobGroup(QObject):
    """The jobs one widget started through :func:`start_job`, to stop them when it closes.

    Not a second runner: the jobs run on the context's runner like every other; the group
    only remembers its own until their threads end, so a panel closed before the window
    (or a test's panel) leaves no thread behind.
    """

    idle = Signal()  # the last job of the group has ended

    def __init__(self, context, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._handles: set[JobHandle] = set()

    def start(self, title: str, fn: Callable[..., Any], *args: Any,
              **options: Any) -> JobHandle:
        """:func:`start_job` with this group's context; the same options."""
        # the thread's end, not the result: shutdown() must also wait out its last lines
        handle = start_job(self.context, title, fn, *args, on_ended=self._ended, **options)
        self._handles.add(handle)
        return handle

    def _ended(self, handle: JobHandle) -> None:
        self._handles.discard(handle)
        if not self._handles:
            self.idle.emit()

    @property
    def busy(self) -> bool:
        return bool(self._handles)

    def wait_until_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait (an event loop, see :func:`wait_until`) until every job has ended."""
        return wait_until(lambda: not self.busy, self.idle, timeout_s=timeout_s)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel every job of the group and wait for its thread."""
        handles = list(self._handles)
        for handle in handles:
            handle.cancel()
        for handle in handles:
            handle.thread.wait(timeout_ms)
        self._handles.clear()
