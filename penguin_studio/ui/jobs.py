"""The one front-end for background jobs in the UI: start, progress, cancel, done / failed.

A core job is a plain ``fn(ctx: JobContext, *args)`` (``core/jobs.py``). :func:`start_job`
runs it off the GUI thread through the app context's :class:`~penguin_studio.ui.workers.
JobRunner` (which stops every job when the window closes) and reports to the status bar:
"Title…" while it runs, "Title… 3/10" as it progresses, a done text, "Title failed." plus the
error dialog, "Title cancelled." Optionally a :class:`~penguin_studio.ui.dataset.job_strip.
JobStrip` shows the progress bar and the Cancel button. Panels pass their own callbacks for
what the result means to them; they never repeat the status-bar wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DONE_MS = 8000  # how long a job's done / cancelled line stays in the status bar
FAILED_MS = 5000


@dataclass(eq=False)  # one handle per job: hashable by identity
class JobHandle:
    """A started job: ``cancel()`` it, ask whether it is ``running``."""

    title: str
    thread: Any = None
    running: bool = True

    def cancel(self) -> None:
        if self.running and self.thread is not None:
            self.thread.cancel()


def start_job(context, title: str, fn: Callable[..., Any], *args: Any,
              on_done: Callable[[Any], None] | None = None,
              on_failed: Callable[[str], None] | None = None,
              on_cancelled: Callable[[], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              progress_text: str = "", done_text: Callable[[Any], str] | str | None = None,
              cancelled_text: str = "", strip=None, error_dialog: bool = True,
              quiet: bool = False) -> JobHandle:
    """Run ``fn(ctx, *args)`` off the GUI thread; every outcome reaches the status bar.

    ``done_text`` (a text, or a function of the result) is shown when it succeeds;
    ``error_dialog`` False keeps a failure to one status-bar line (background work the user
    did not ask for, such as auto-train). ``quiet`` shows nothing while it runs.
    """
    handle = JobHandle(title)
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
        if error_dialog:
            say(f"{title} failed.", FAILED_MS)
            context.error.emit(title, message)
        else:
            say(f"{title} failed: {message}", 0)
        if on_failed is not None:
            on_failed(message)

    def cancelled() -> None:
        finish()
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

    handle.thread = context.jobs.start(fn, *args, on_done=done, on_error=failed,
                                       on_progress=progressed, on_cancel=cancelled)
    return handle
