"""Run a hyperparameter search in a child process, exactly as a training runs.

:class:`TuningProcess` is a :class:`~penguin_studio.core.training.job.TrainingProcess`
launching ``tune_child`` instead of ``child``: the same stop line, crash report, status
file and event pipe, so the CLI and the Tune page supervise it with the code they already
trust for training.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from penguin_studio.core.jobs import JobContext
from penguin_studio.core.training.events import Event
from penguin_studio.core.training.job import Outcome, TrainingProcess, follow
from penguin_studio.core.training.tuning import TUNE_CONFIG, TuneConfig, plan_tune

TUNE_CHILD = "penguin_studio.core.training.tune_child"


class TuningProcess(TrainingProcess):
    """One child process running one search folder."""

    def __init__(self, tune_dir: Path, config: TuneConfig) -> None:
        super().__init__(tune_dir, config.train)
        self.tune = config
        self.best_hyp: Path | None = None
        self.iterations_done = 0

    @classmethod
    def start(cls, config: TuneConfig, background: bool = False) -> TuningProcess:  # type: ignore[override]
        """Check and plan the search (clear errors, in seconds), then launch the child."""
        plan = plan_tune(config)
        job = cls(Path(plan.tune_dir or "."), plan)
        job._launch(background)
        return job

    @property
    def user_error(self) -> bool:
        """The search failed on something the user can fix (no traceback worth showing)."""
        return bool(self._terminal and self._terminal.get("user"))

    def _command(self) -> list[str]:
        return [sys.executable, "-m", TUNE_CHILD, str(self.run_dir / TUNE_CONFIG)]

    def events(self):  # noqa: ANN201 - same iterator as the training's
        for event in super().events():
            if event["type"] in ("done", "stopped"):
                self.best_hyp = Path(event["best_hyp"]) if event.get("best_hyp") else None
                self.iterations_done = int(event.get("iterations_done") or 0)
            yield event

    def progress(self, event: Event) -> tuple[int, int, str] | None:
        """A search steps once per finished iteration."""
        if event["type"] != "iteration":
            return None
        return (int(event["iteration"]), int(event["iterations"]),
                f"iteration {event['iteration']}/{event['iterations']}")


def run_tuning(config: TuneConfig, *, on_event: Callable[[Event], None] | None = None,
               ctx: JobContext | None = None,
               on_started: Callable[[TuningProcess], None] | None = None) -> Outcome:
    """Run a search to its end, blocking (the CLI's job), watched by training's own loop
    (:func:`~penguin_studio.core.training.job.follow`); cancelling ``ctx`` stops it."""
    proc = TuningProcess.start(config)
    if on_started is not None:
        on_started(proc)
    return follow(proc, on_event, ctx)
