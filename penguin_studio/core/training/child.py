"""The training process: ``python -m penguin_studio.core.training.child CONFIG [--resume]``.

``CONFIG`` is the ``penguin_config.yaml`` of a planned run (see ``plan.plan_run``). Events go
to the original stdout as JSON lines (and to ``penguin_events.jsonl`` in the run folder);
everything else that would print on stdout (ultralytics' progress bars, stray prints) is sent
to stderr, which the parent points at ``train.log``. A line ``stop`` on stdin, end of stdin
(the parent went away), SIGINT or SIGTERM ask for a graceful stop that keeps the run
resumable.

Exit status: 0 finished or stopped, 1 failed (an ``error`` event says why).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.events import EVENTS_FILE, Event, encode


class EventSink:
    """Writes events to the parent (a pipe) and to the run's events file; thread-safe."""

    def __init__(self, stream: IO[str], log_path: Path | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._file = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115

    def __call__(self, event: Event) -> None:
        line = encode(event) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the parent is gone; keep training and recording to the file
            if self._file is not None and event.get("type") != "log":
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        """Close the events file and the pipe: the parent reads its end of the stream now,
        not when this process exits (later events are dropped)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            with contextlib.suppress(OSError, ValueError):
                self._stream.close()


def _take_over_stdout() -> IO[str]:
    """Keep the real stdout for events only; send fd 1 (and ``print``) to stderr."""
    events_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(events_fd, "w", encoding="utf-8", buffering=1)


def watch_stdin_for_stop(request_stop: Callable[[], None]) -> None:
    """Call ``request_stop`` on each ``stop`` line of stdin, and once more when stdin ends
    (the parent closed it or died), from a daemon thread: the stop protocol every child
    (training, tuning) speaks with its parent."""

    def read_stdin() -> None:
        try:
            for line in sys.stdin:
                if line.strip().lower() == "stop":
                    request_stop()
        except (OSError, ValueError):
            pass
        request_stop()

    threading.Thread(target=read_stdin, name="stop-listener", daemon=True).start()


def _listen_for_stop(stop: threading.Event, interrupt: threading.Event) -> None:
    """Stop on a ``stop`` line, on end of stdin, on SIGINT (once) and on SIGTERM.

    Callbacks honour ``stop`` between batches. Multi-GPU training runs in ultralytics' DDP
    subprocesses where no callback of ours runs; there (``interrupt`` set) Stop interrupts
    the main thread instead, which ends the workers: last.pt of the last finished epoch,
    saved with its optimizer, stays resumable.
    """

    def request_stop() -> None:
        stop.set()
        if interrupt.is_set():
            import _thread

            _thread.interrupt_main()

    watch_stdin_for_stop(request_stop)

    def on_signal(signum: int, _frame: Any) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl+C: stop now
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def _skip_amp_download() -> None:
    """ultralytics' AMP check (CUDA only) downloads yolo26n.pt when it is missing, which
    waits on the network for minutes offline; without the file, assume AMP works (the
    check's own verdict when it cannot download)."""
    import ultralytics.engine.trainer as trainer_module
    from ultralytics.utils import LOGGER, WEIGHTS_DIR

    original = trainer_module.check_amp

    def check_amp(model: Any) -> bool:
        on_gpu = next(model.parameters()).device.type not in ("cpu", "mps")
        if on_gpu and not (Path(WEIGHTS_DIR) / "yolo26n.pt").is_file():
            LOGGER.warning("AMP checks skipped (yolo26n.pt is not on this computer); using AMP.")
            return True
        return original(model)

    trainer_module.check_amp = check_amp


def _watch_results(run_dir: Path, emit: Any, done: threading.Event) -> None:
    """Multi-GPU runs report no per-batch events: emit an ``epoch`` event per new row of
    results.csv instead (checked every few seconds)."""
    from penguin_studio.core.training.runs import read_results

    sent = 0
    while not done.wait(3.0):
        results = read_results(run_dir / "results.csv")
        rows = len(results.get("epoch", []))
        for i in range(sent, rows):
            metrics = {k: v[i] for k, v in results.items() if k not in ("epoch", "time")}
            emit({"type": "epoch", "epoch": int(results["epoch"][i]), "epochs": 0,
                  "metrics": metrics})
        sent = rows


def train(config_path: Path, resume: bool, emit: Any, stop: threading.Event,
          interrupt: threading.Event | None = None) -> Event:
    """Run (or resume) the configured training; returns the terminal event."""
    from penguin_studio.core import engine
    from penguin_studio.core.training.config import TrainConfig
    from penguin_studio.core.training.reporter import EventLogHandler, Reporter

    config = TrainConfig.load(config_path)
    run_dir = config_path.parent
    ul = engine.ultralytics_module()
    logging.getLogger("ultralytics").addHandler(EventLogHandler(emit))
    _skip_amp_download()
    reporter = Reporter(emit, stop)
    if "," in str(config.device or ""):  # several GPUs: ultralytics trains through DDP
        if interrupt is not None:
            interrupt.set()
        watching = threading.Event()
        threading.Thread(target=_watch_results, args=(run_dir, emit, watching),
                         daemon=True).start()
    if resume:
        last = _resumable_checkpoint(run_dir)
        model = ul.YOLO(str(last))
        reporter.attach(model)
        model.train(resume=str(last), data=config.data)
    else:
        model = engine.load_model(config.model_source())
        reporter.attach(model)
        model.train(**_train_kwargs(config, emit))
    trainer = model.trainer
    return {"type": "done", "best": str(trainer.best), "last": str(trainer.last),
            "epochs_done": int(trainer.epoch) + 1}


def _train_kwargs(config: Any, emit: Any) -> dict[str, Any]:
    """The config's kwargs, with a RAM cache turned down when the images would not fit."""
    from penguin_studio.core.training import startup

    kwargs = config.to_train_kwargs()
    kwargs["cache"], message = startup.safe_cache(kwargs.get("cache"), config.data,
                                                  int(kwargs.get("imgsz") or 640))
    if message:
        emit({"type": "log", "level": "warning", "message": message})
    return kwargs


def _plot_after_done(run_dir: Path) -> None:
    """results.png once "done" was reported and the event pipe closed: the parent does not
    wait for it (``TrainingProcess.events``), so it is off the path to the result."""
    from penguin_studio.core.training import startup

    try:
        startup.render_results_plot(run_dir)
    except (Exception, KeyboardInterrupt):  # a missing plot must never fail a finished run
        traceback.print_exc()


def _resumable_checkpoint(run_dir: Path) -> Path:
    """:func:`runs.resumable_last`, then the checkpoint's own word on its epochs."""
    from penguin_studio.core.training import runs
    from penguin_studio.core.training.weights import describe_checkpoint

    last = runs.resumable_last(run_dir)
    info = describe_checkpoint(last)
    epochs = int(info.train_args.get("epochs") or 0)
    if not info.resumable or (epochs and info.epoch + 1 >= epochs):
        raise runs.nothing_to_resume(run_dir, epochs)
    return last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m penguin_studio.core.training.child")
    parser.add_argument("config", type=Path, help="penguin_config.yaml of a planned run")
    parser.add_argument("--resume", action="store_true", help="continue the run's last.pt")
    args = parser.parse_args(argv)
    events_out = _take_over_stdout()
    config_path = args.config.resolve()
    emit = EventSink(events_out, config_path.parent / EVENTS_FILE)
    stop, interrupt = threading.Event(), threading.Event()
    _listen_for_stop(stop, interrupt)
    emit({"type": "setup", "run_dir": str(config_path.parent), "resume": args.resume,
          "pid": os.getpid()})
    from penguin_studio.core.training.reporter import TrainingStopped

    code = 0
    try:
        outcome = train(config_path, args.resume, emit, stop, interrupt)
    except TrainingStopped:
        outcome = _stopped(config_path.parent)
    except KeyboardInterrupt:
        if stop.is_set():  # a multi-GPU stop, or a second Ctrl+C
            outcome = _stopped(config_path.parent)
        else:
            outcome, code = {"type": "error", "message": "Interrupted.", "user": True}, 1
    except Exception as exc:  # UserError included: every failure ends as one error event
        outcome, code = error_event(exc), 1
    emit(outcome)
    emit.close()  # the parent has its outcome: results.png is drawn off its path
    if outcome.get("type") == "done":
        interrupt.clear()  # the parent closing stdin now must not interrupt the drawing
        _plot_after_done(config_path.parent)
    return code


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown of torch and ultralytics: every
    file is written and the parent has the terminal event, and the teardown took seconds
    after "done" (measured: 5 s under load, 0.4 s with this)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    mp = sys.modules.get("multiprocessing")
    if mp is not None:  # dataloader workers (GPU runs): what the skipped atexit would end
        for worker in mp.active_children():
            with contextlib.suppress(Exception):
                worker.terminate()
    os._exit(code)


def error_event(exc: Exception) -> Event:
    """The ``error`` event a child ends with: the message alone for a problem the user can
    fix (:class:`UserError`), else the exception with its traceback (also on stderr, in the
    log). The training and the tuning child both end on it."""
    from penguin_studio.core.engine import explain_ultralytics_error

    exc = explain_ultralytics_error(exc) or exc
    if isinstance(exc, UserError):
        return {"type": "error", "message": str(exc), "user": True}
    traceback.print_exc()
    return {"type": "error", "message": f"{type(exc).__name__}: {exc}", "user": False,
            "detail": traceback.format_exc(limit=8)}


def _stopped(run_dir: Path) -> Event:
    return {"type": "stopped", "resumable": (run_dir / "weights" / "last.pt").is_file(),
            "epochs_done": _epochs_done(run_dir)}


def _epochs_done(run_dir: Path) -> int:
    try:
        lines = (run_dir / "results.csv").read_text(encoding="utf-8").strip().splitlines()
    except OSError:
        return 0
    return max(0, len(lines) - 1)


if __name__ == "__main__":
    exit_now(main())
