"""Run a training in a child process and watch it: the CLI (through :func:`run_training`)
and the GUI's training supervisor both drive a :class:`TrainingProcess` and watch it with
:func:`follow`.

The child (``python -m penguin_studio.core.training.child``) does the training; this side
reads its JSON-line events, forwards them, asks it to stop (a ``stop`` line on its stdin)
and, if it dies without saying why (killed, out of memory, a crash in native code), reports
that with the last lines it logged. A crash in training can never take the caller down.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import penguin_studio
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.training import runs
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.core.training.events import Event, ProgressTracker, decode
from penguin_studio.core.training.plan import plan_run

LOG_FILE = "train.log"
CHILD_MODULE = "penguin_studio.core.training.child"


@dataclass
class Outcome:
    """How a training session ended."""

    status: str  # completed | stopped | failed
    run_dir: Path
    message: str = ""
    returncode: int | None = None
    resumable: bool = False
    log_tail: list[str] = field(default_factory=list)


class TrainingProcess:
    """One child process training (or resuming) one run folder."""

    def __init__(self, run_dir: Path, config: TrainConfig, resume: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.config = config
        self.resume = resume
        self.outcome: Outcome | None = None
        self.log_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._terminal: Event | None = None
        self.tracker = ProgressTracker()

    # ----- starting ---------------------------------------------------------------------------
    @classmethod
    def start(cls, config: TrainConfig, background: bool = False) -> TrainingProcess:
        """Check and plan ``config`` (fast, clear errors), then launch the child.

        ``background=True`` (the desktop app) lowers the child's CPU priority so the window
        always gets the CPU it needs first; training only yields what the GUI actually uses.
        """
        plan = plan_run(config)
        job = cls(Path(plan.project or "") / (plan.name or ""), plan)
        job._launch(background)
        return job

    @classmethod
    def resume_run(cls, run_dir: str | Path, background: bool = False) -> TrainingProcess:
        """Continue an interrupted run folder to its planned epochs."""
        run_dir = Path(run_dir).expanduser().resolve()
        runs.resumable_last(run_dir)  # a clear error now, before any process starts
        job = cls(run_dir, TrainConfig.load(run_dir / runs.CONFIG_FILE), resume=True)
        job._launch(background)
        return job

    def _command(self) -> list[str]:
        """The child's command line (the tuning job runs another module the same way)."""
        cmd = [sys.executable, "-m", CHILD_MODULE, str(self.run_dir / runs.CONFIG_FILE)]
        return cmd + ["--resume"] if self.resume else cmd

    def _launch(self, background: bool = False) -> None:
        cmd = self._command()
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        # torch's OpenMP threads spin while waiting for each other; on a machine that also
        # runs the window (and the user's other programs) spinning steals their CPU and, when
        # a core is taken, makes every parallel step wait for a descheduled thread. Measured
        # here under load: 2 threads took 8-9 s per run passive versus 9-25 s spinning.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        package_root = str(Path(penguin_studio.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        with open(self.run_dir / LOG_FILE, "ab") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=log, env=env, cwd=str(self.run_dir))
        if background:
            _lower_priority(self._proc.pid)
        status = runs.read_status(self.run_dir)
        sessions = status.get("sessions", []) + [{"started": runs.now_iso()}]
        runs.write_status(self.run_dir, status="running", pid=self._proc.pid,
                          recipe=self.config.mode, started=status.get("started", runs.now_iso()),
                          sessions=sessions, error="")

    # ----- control (any thread) -----------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        """Ask for a graceful stop: the current batch finishes, last.pt stays resumable."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                return
            try:
                proc.stdin.write(b"stop\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to be gone, also after "done" (while it draws results.png),
        e.g. so that benchmark runs never overlap; its exit status."""
        if self._proc is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self._proc.wait(timeout)
        return None

    def kill(self) -> None:
        """End the child at once (what the system does when memory runs out)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()

    # ----- watching ------------------------------------------------------------------------
    def progress(self, event: Event) -> tuple[int, int, str] | None:
        """Feed one event to the tracker; the (done, total, message) step it makes, if any.

        A training steps per batch; the tuning process steps per iteration instead.
        """
        self.tracker.feed(event)
        if event["type"] != "batch":
            return None
        return (self.tracker.done_steps, self.tracker.total_steps,
                f"epoch {event['epoch'] + 1}/{event['epochs']}")

    def events(self) -> Iterator[Event]:
        """Every event up to the terminal one (``done``, ``stopped``, ``error``), which it
        always ends with: a synthetic ``error`` when the child died without one."""
        assert self._proc is not None and self._proc.stdout is not None
        for raw in self._proc.stdout:
            event = decode(raw)
            if event is None:
                continue
            if event["type"] == "log":
                self.log_tail.append(str(event.get("message", "")))
            elif event["type"] in ("stopped", "done", "error"):
                self._terminal = event
            yield event
            if self._terminal is not None:
                break  # the last event: no need to wait for an end of the stream that
                # forked dataloader workers, holding the pipe too, may delay
        returncode = self._exit_code()
        with self._lock:
            if self._proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self._proc.stdin.close()
        crash = self._finish(returncode)
        if crash is not None:
            yield crash

    def _exit_code(self) -> int:
        """The child's exit status, once its event stream has ended. After "done" the child
        only draws results.png (``child._plot_after_done``): that is not waited for, the
        caller has its result now and the system reaps the child when it exits."""
        assert self._proc is not None
        if self._terminal is not None and self._terminal["type"] == "done":
            code = self._proc.poll()
            return 0 if code is None else code
        return self._proc.wait()

    def _finish(self, returncode: int) -> Event | None:
        """Record the outcome; returns a synthetic ``error`` event if the child died silently."""
        terminal, crash = self._terminal, None
        last = (self.run_dir / "weights" / "last.pt").is_file()
        if terminal is None:
            message = _death_message(returncode)
            crash = {"type": "error", "message": message, "user": False, "crashed": True,
                     "log_tail": self._tail_lines()}
            terminal = crash
        kind = terminal["type"]
        status = {"done": "completed", "stopped": "stopped"}.get(kind, "failed")
        message = str(terminal.get("message", ""))
        resumable = status != "completed" and last
        self.outcome = Outcome(status=status, run_dir=self.run_dir, message=message,
                               returncode=returncode, resumable=resumable,
                               log_tail=self._tail_lines())
        record = runs.read_status(self.run_dir)
        sessions = record.get("sessions", [{}])
        if sessions:
            sessions[-1]["ended"] = runs.now_iso()
        runs.write_status(self.run_dir, status=status, error=message, returncode=returncode,
                          resumable=resumable, sessions=sessions, pid=None)
        return crash

    def _tail_lines(self, n: int = 15) -> list[str]:
        """The last lines of train.log (tracebacks land there) or of the log events."""
        try:
            text = (self.run_dir / LOG_FILE).read_bytes()[-20000:].decode("utf-8", "replace")
        except OSError:
            text = ""
        lines = [ln.split("\r")[-1].rstrip() for ln in text.splitlines()]
        lines = [ln for ln in lines if ln.strip()]
        return lines[-n:] if lines else list(self.log_tail)[-n:]


def _lower_priority(pid: int, niceness: int = 5) -> None:
    """Nice the child right after spawning, before torch starts its threads (they inherit)."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


def _death_message(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGKILL:
            return (f"The training process was killed ({name}), often by the system when memory "
                    f"runs out: try a smaller batch or imgsz, or cache 'none'.")
        return f"The training process ended on {name}."
    return f"The training process ended unexpectedly (exit code {returncode})."


def run_training(config: TrainConfig | None = None, *, resume_dir: str | Path | None = None,
                 on_event: Callable[[Event], None] | None = None,
                 ctx: JobContext | None = None,
                 on_started: Callable[[TrainingProcess], None] | None = None,
                 background: bool = False) -> Outcome:
    """Train ``config`` (or resume ``resume_dir``) to the end, blocking; the CLI's job.

    ``ctx.progress`` gets (done batches, total batches, message); cancelling ``ctx.token``
    asks the child for a graceful stop. ``on_started`` receives the process (to stop or
    kill it from another thread). ``background`` lowers the child's priority (auto-train
    from the app: the window and the user's own work come first).
    """
    if (config is None) == (resume_dir is None):
        raise ValueError("give either config or resume_dir")
    proc = TrainingProcess.start(config, background) if config is not None else \
        TrainingProcess.resume_run(resume_dir, background)  # type: ignore[arg-type]
    if on_started is not None:
        on_started(proc)
    return follow(proc, on_event, ctx)


def follow(proc: TrainingProcess, on_event: Callable[[Event], None] | None = None,
           ctx: JobContext | None = None) -> Outcome:
    """Watch a launched child to its end, blocking: the one loop every front-end uses (the
    CLI and auto-train through :func:`run_training`, ``tune`` through ``run_tuning``, the
    app's supervisor threads directly).

    Each event goes to ``on_event``; ``ctx.progress`` gets the process's steps
    (:meth:`TrainingProcess.progress`: batches of a training, iterations of a search) and
    cancelling ``ctx.token`` asks the child for a graceful stop.
    """
    stop_sent = False
    for event in proc.events():
        step = proc.progress(event)
        if on_event is not None:
            on_event(event)
        if ctx is not None:
            if step is not None:
                ctx.progress(*step)
            if ctx.token.cancelled and not stop_sent:
                proc.stop()
                stop_sent = True
    assert proc.outcome is not None
    return proc.outcome
