"""The tuning process: ``python -m penguin_studio.core.training.tune_child TUNE_YAML``.

``TUNE_YAML`` is the ``penguin_tune.yaml`` of a planned search (``tuning.plan_tune``). It runs
ultralytics' ``model.tune()`` (or Ray Tune through it) with the same protocol as the
training child: JSON-line events on stdout (and in ``penguin_events.jsonl``), everything
else on stderr, a ``stop`` line / end of stdin / SIGTERM to stop.

ultralytics trains each iteration in a ``yolo train`` subprocess of this process. A stop
raises :class:`SearchStopped` in the main thread, which ends that subprocess; the finished
iterations are in ``tune_results.ndjson`` already, and ``best_hyp.yaml`` is rewritten from
them. Events (on top of ``setup``, ``log``, ``done``, ``stopped``, ``error``):

``tune_start``      ``iterations``, ``space`` ({key: [min, max]}), ``optimizer``, ``time``, ``ray``
``iteration_start`` ``iteration`` (1-based), ``iterations``, ``hyperparameters``, ``elapsed``
``tune_epoch``      ``iteration``, ``epoch``, ``epochs``, ``fitness`` of that epoch
``iteration``       ``iteration``, ``iterations``, ``fitness``, ``hyperparameters``,
                    ``metrics``, ``best_iteration``, ``best_fitness``, ``elapsed``
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from penguin_studio.core.errors import UserError
from penguin_studio.core.training import tuning
from penguin_studio.core.training.child import (
    EventSink,
    _take_over_stdout,
    error_event,
    exit_now,
    watch_stdin_for_stop,
)
from penguin_studio.core.training.events import EVENTS_FILE, Event

RAY_CONNECT_S = 3.0


class SearchStopped(BaseException):  # noqa: N818 - BaseException: ultralytics catches Exception
    """The user stopped the search, or its time budget is spent."""

    def __init__(self, reason: str = "stopped") -> None:
        super().__init__(reason)
        self.reason = reason


class Search:
    """One search in this process: its clock, its stop flag and its event stream."""

    def __init__(self, config: tuning.TuneConfig, emit: Any) -> None:
        self.config = config
        self.tune_dir = Path(config.tune_dir or ".")
        self.emit = emit
        self.t0 = time.monotonic()
        self.stop = threading.Event()
        self.sent = len(tuning.read_iterations(self.tune_dir))  # resumed searches
        self.durations: list[float] = []
        self._iteration_t0: float | None = None
        self.current = self.sent

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def budget_left(self) -> bool:
        """Room for one more iteration (judged by the mean of the finished ones)?"""
        if self.config.time is None:
            return True
        need = sum(self.durations) / len(self.durations) if self.durations else 0.0
        return self.elapsed + need <= self.config.time * 3600

    def before_iteration(self, hyperparameters: dict[str, Any]) -> None:
        """Called as each iteration starts training: report, check stop and budget."""
        self.flush()
        if self._iteration_t0 is not None:
            self.durations.append(time.monotonic() - self._iteration_t0)
        if self.stop.is_set():
            raise SearchStopped()
        if not self.budget_left():
            raise SearchStopped("time budget spent")
        self.current += 1
        self._iteration_t0 = time.monotonic()
        self.emit({"type": "iteration_start", "iteration": self.current,
                   "iterations": self.config.iterations, "hyperparameters": hyperparameters,
                   "elapsed": self.elapsed})

    def flush(self) -> None:
        """Emit an ``iteration`` event per new line of tune_results.ndjson."""
        found = tuning.read_iterations(self.tune_dir)
        for i, it in enumerate(found[self.sent:], start=self.sent):
            best = tuning.best_iteration(found[:i + 1])
            self.emit({"type": "iteration", "iteration": it.iteration,
                       "iterations": self.config.iterations, "fitness": it.fitness,
                       "hyperparameters": it.hyperparameters, "metrics": it.metrics,
                       "best_iteration": best.iteration if best else it.iteration,
                       "best_fitness": best.fitness if best else it.fitness,
                       "elapsed": self.elapsed})
        self.sent = max(self.sent, len(found))

    def watch_epochs(self, done: threading.Event) -> None:
        """Per-epoch progress of the running iteration, from its results.csv."""
        from penguin_studio.core.training.runs import read_results

        seen: dict[Path, int] = {}
        while not done.wait(2.0):
            for csv in self.tune_dir.glob("multitrain*/*/results.csv"):
                rows = read_results(csv)
                n = len(rows.get("epoch", []))
                if n > seen.get(csv, 0):
                    seen[csv] = n
                    fit = _fitness(rows, n - 1)
                    self.emit({"type": "tune_epoch", "iteration": self.current, "epoch": n,
                               "epochs": self.config.train.epochs, "fitness": fit})


def _fitness(rows: dict[str, list[float]], i: int) -> float:
    """ultralytics 8.4's detection fitness: mAP50-95 (it weighs P, R and mAP50 by 0)."""
    column = rows.get("metrics/mAP50-95(B)") or []
    return float(column[i]) if i < len(column) else 0.0


def _listen_for_stop(search: Search) -> None:
    """A ``stop`` line, end of stdin or SIGTERM raise SearchStopped in the main thread.

    The main thread spends the search blocked in waiting for ``yolo train``; a signal aimed
    at it (not at the process, which may hand it to another thread) breaks that wait.
    """
    main_ident = threading.main_thread().ident

    def request_stop() -> None:
        if not search.stop.is_set():
            search.stop.set()
            signal.pthread_kill(main_ident, signal.SIGINT)  # type: ignore[arg-type]

    def on_signal(_signum: int, _frame: Any) -> None:
        search.stop.set()
        raise SearchStopped()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    watch_stdin_for_stop(request_stop)


def _hook_iterations(search: Search) -> None:
    """Wrap ultralytics' MultiTrainer (what the Tuner trains each iteration with)."""
    import ultralytics.engine.trainer as trainer_module

    original = trainer_module.MultiTrainer
    space = list(search.config.search_space())

    class ReportingMultiTrainer(original):  # type: ignore[misc, valid-type]
        def train(self):  # noqa: ANN202 - ultralytics' signature
            search.before_iteration({k: self.args.get(k) for k in space})
            return super().train()

    trainer_module.MultiTrainer = ReportingMultiTrainer


def _connect_ray(address: str | None, emit: Any, deadline: float = RAY_CONNECT_S) -> None:
    """``ray.init`` with a deadline: against something that is not a Ray head, Ray retries
    for 20 s and more; the user hears about it within seconds instead. ``ray.init`` must
    run in the main thread (Ray's driver ends the process later otherwise), so a watchdog
    thread reports and ends the process when the deadline passes."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network
    if not tuning.ray_installed():
        raise UserError(tuning.RAY_MISSING)
    import ray

    from penguin_studio.core import engine

    engine.configure()  # the YOLO_* settings go to Ray's workers with the environment
    env = {k: os.environ[k] for k in ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR",
                                      "RAY_USAGE_STATS_ENABLED") if k in os.environ}
    where = f"the Ray cluster at {address}" if address else "a local Ray instance"
    hint = "Check the address (ray status on the head node shows it) or leave out --ray-address."
    connected = threading.Event()

    def watchdog() -> None:
        if not connected.wait(deadline):
            emit({"type": "error", "message": f"Cannot connect to {where} within {deadline:g} "
                  f"s. {hint}", "user": True})
            os._exit(1)  # ray.init keeps retrying in native code: nothing else ends it

    if address:
        threading.Thread(target=watchdog, name="ray-connect", daemon=True).start()
    try:
        ray.init(address=address or None, include_dashboard=False,
                 runtime_env={"env_vars": env}, log_to_driver=False)
    except Exception as exc:  # ConnectionError, RuntimeError…: one line either way
        raise UserError(f"Cannot connect to {where}: {str(exc).splitlines()[0]}. "
                        f"{hint}") from None
    finally:
        connected.set()


def run_search(search: Search) -> None:
    from penguin_studio.core import engine

    config = search.config
    if config.ray:
        _connect_ray(config.ray_address, search.emit)  # first: a wrong address is told fast
    engine.ultralytics_module()
    search.emit({"type": "tune_start", "iterations": config.iterations,
                 "space": {k: list(v) for k, v in config.search_space().items()},
                 "optimizer": config.optimizer_settings()["optimizer"], "time": config.time,
                 "ray": config.ray, "tune_dir": str(search.tune_dir)})
    model = engine.load_model(config.train.model_source())
    if config.ray:
        _ray_search(search, model)
        return
    _hook_iterations(search)
    done = threading.Event()
    threading.Thread(target=search.watch_epochs, args=(done,), daemon=True).start()
    try:
        model.tune(**config.tune_kwargs())
    finally:
        done.set()


def _ray_search(search: Search, model: Any) -> None:
    """The same search on Ray Tune; each finished trial becomes one iteration line."""
    import ray
    from ray import tune

    config = search.config
    space = {k: tune.randint(int(v[0]), int(v[1]) + 1) if k == "close_mosaic"
             else tune.uniform(v[0], v[1]) for k, v in config.search_space().items()}
    try:
        grid = model.tune(use_ray=True, space=space, **config.ray_kwargs())
    finally:
        if ray.is_initialized():
            ray.shutdown()
    _record_ray_results(search, grid)


def _record_ray_results(search: Search, grid: Any) -> None:
    import json

    keys = list(search.config.search_space())
    lines = []
    for i, result in enumerate(grid, start=1):
        metrics = {k: float(v) for k, v in (result.metrics or {}).items()
                   if isinstance(v, (int, float)) and ("/" in k or k == "fitness")}
        hyp = {k: (result.config or {}).get(k) for k in keys}
        lines.append(json.dumps({"iteration": i, "fitness": metrics.get("fitness", 0.0),
                                 "hyperparameters": hyp, "datasets": {"ray": metrics}}))
    path = search.tune_dir / tuning.RESULTS_FILE
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in lines))
    search.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m penguin_studio.core.training.tune_child")
    parser.add_argument("config", type=Path, help="penguin_tune.yaml of a planned search")
    args = parser.parse_args(argv)
    events_out = _take_over_stdout()
    config_path = args.config.resolve()
    emit = EventSink(events_out, config_path.parent / EVENTS_FILE)
    emit({"type": "setup", "run_dir": str(config_path.parent), "resume": False,
          "pid": os.getpid()})
    code, search = 0, None
    try:
        config = tuning.TuneConfig.load(config_path)
        config.tune_dir = str(config_path.parent)
        search = Search(config, emit)
        _listen_for_stop(search)
        from penguin_studio.core.training.reporter import EventLogHandler

        logging.getLogger("ultralytics").addHandler(EventLogHandler(emit))
        run_search(search)
        outcome: Event = {"type": "done"}
    except SearchStopped as exc:
        kind = "done" if exc.reason == "time budget spent" else "stopped"
        outcome = {"type": kind, "reason": exc.reason}
    except Exception as exc:  # UserError included: every failure ends as one error event
        outcome, code = error_event(exc), 1
    if search is not None:
        outcome.update(_summary(search))
    emit(outcome)
    emit.close()
    return code


def _summary(search: Search) -> dict[str, Any]:
    """Report the iterations not yet sent, then what the search found."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # nothing may interrupt the summary
    search.flush()
    found = tuning.read_iterations(search.tune_dir)
    best = tuning.best_iteration(found)
    path = tuning.write_best_hyp(search.config, search.tune_dir)
    return {"iterations_done": len(found), "best_hyp": str(path) if path else None,
            "best_fitness": best.fitness if best else None,
            "best_iteration": best.iteration if best else None,
            "tune_dir": str(search.tune_dir)}


if __name__ == "__main__":
    exit_now(main())
