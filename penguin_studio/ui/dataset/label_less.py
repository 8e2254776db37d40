"""Label less in the Dataset panel: the label-next order, effort counts and auto-train.

* **Most informative first** (the browser's order box): the core's label-next queue
  (``core/labelling/queue.py``) is computed off the GUI thread with the current proposal
  model (else the dataset's newest model, else diversity only); the browser sorts by it and
  shows each image's place and score; the editor's D / A walk the browser's order, so they
  follow the queue. It is scored again when the proposal model changes.
* **Effort**: the editor's undo commands report every counted edit here
  (``editor.effort_sink``); the :class:`~penguin_studio.core.labelling.effort.EffortStore`
  keeps the dataset's totals and this session's, and the Statistics page shows them.
* **Auto-train** (the header's switch): after the first ``first`` labelled images and every
  ``every`` more, one proposal run of the one training path starts in the background (a core
  job through ``ui/jobs.py``); the line under the header says what it does and its last
  mAP50; switching it off pauses (stops the child; labels are never touched by it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QToolButton

from penguin_studio.core.dataset.project import Dataset, label_path_for
from penguin_studio.core.labelling import autotrain as at
from penguin_studio.core.labelling.effort import EffortStore
from penguin_studio.core.labelling.queue import build_queue
from penguin_studio.core.training import runs
from penguin_studio.ui.jobs import JobHandle, start_job


def _queue_job(ctx, dataset: Dataset, weights: Path | None):
    return build_queue(dataset, weights, ctx)


class LabelLess(QObject):
    """The panel's door to the label-next queue, effort accounting and auto-train."""

    effort_changed = Signal()
    queue_ready = Signal(object)  # QueueResult
    autotrain_finished = Signal(object)  # AutoTrainResult, or None (failed / stopped)

    def __init__(self, panel, context, browser, editor,
                 dataset_getter: Callable[[], Dataset | None],
                 on_proposals_refreshed: Callable[[], None] = lambda: None) -> None:
        super().__init__(panel)
        self.context, self.browser, self.editor = context, browser, editor
        self._dataset = dataset_getter
        self._refreshed = on_proposals_refreshed
        self.effort: EffortStore | None = None
        self.state = at.AutoTrainState()
        self.scheduler = at.AutoTrainScheduler(self.state)
        self.first, self.every = at.FIRST_AT, at.EVERY
        #: TrainConfig values for the proposal run (tests: 1 epoch at 64 px)
        self.config_overrides: dict[str, Any] = {}
        self.labelled: set[str] = set()
        self.train_job: JobHandle | None = None
        self._process = None  # the proposal run's training process (set from its thread)
        self._touched = False  # the user used the switch: keep its line in view
        self.queue_job: JobHandle | None = None
        self.switch = QToolButton()
        self.switch.setObjectName("autotrainSwitch")
        self.switch.setText("Auto-train")
        self.switch.setCheckable(True)
        self.switch.setToolTip("Train a proposal model in the background while you label "
                               f"(first after {self.first} labelled images, then every "
                               f"{self.every}); its boxes are proposed on the images still "
                               "to label. Click to pause.")
        self.switch.toggled.connect(self._switched)
        self.line = QLabel()
        self.line.setObjectName("autotrainLine")
        self.line.setStyleSheet("color: #a5d8ff;")
        self.line.setVisible(False)
        #: the status bar's copy of the line: short, one click pauses or resumes
        self.status_button = QToolButton()
        self.status_button.setObjectName("autotrainStatus")
        self.status_button.setAutoRaise(True)
        self.status_button.setVisible(False)
        self.status_button.clicked.connect(lambda: self.switch.setChecked(
            not self.switch.isChecked()))
        editor.effort_sink = self._count
        editor.current_changed.connect(self._image_opened)
        browser.filters.changed.connect(self._filter_changed)

    # ----- dataset --------------------------------------------------------------------------
    def dataset_opened(self, dataset: Dataset | None) -> None:
        self.stop()
        self.labelled = set()
        if dataset is None:
            self.effort, self.state = None, at.AutoTrainState()
            self.line.setVisible(False)
            self.switch.setEnabled(False)
            return
        self.effort = EffortStore(dataset.state_dir)
        self.state = at.AutoTrainState.load(dataset.state_dir)
        self.scheduler = at.AutoTrainScheduler(self.state, self.first, self.every)
        self.switch.setEnabled(True)
        self.effort_changed.emit()
        if self.browser.model.informative_first:
            self.score()

    def index_ready(self, labelled: set[str], total: int) -> None:
        """The label index is read: how many images are labelled decides the default."""
        self.labelled = set(labelled)
        dataset = self._dataset()
        if dataset is None:
            return
        if not (dataset.state_dir / at.STATE_FILE).is_file():  # first time: the default
            self.state.paused = not at.default_enabled(len(self.labelled), total)
        self.switch.blockSignals(True)
        self.switch.setChecked(not self.state.paused)
        self.switch.blockSignals(False)
        self._show_line()
        if not self.state.paused:
            self.maybe_train()  # enough labelled already: the first proposal run starts

    def labels_changed(self, image: Path) -> None:
        """An edit was saved: count labelled images, start a proposal run when due."""
        key = str(image)
        if label_path_for(Path(image)).exists():
            self.labelled.add(key)
        else:
            self.labelled.discard(key)
        self.maybe_train()

    # ----- auto-train -----------------------------------------------------------------------
    def maybe_train(self) -> str:
        dataset = self._dataset()
        if dataset is None or not self.scheduler.due(len(self.labelled)):
            self._show_line()
            return ""
        user = at.user_run_active(dataset) if not self.scheduler.running else False
        action = self.scheduler.labelled_changed(len(self.labelled), user)
        if action == "start":
            self._start_run(dataset)
        elif action == "waiting" and user:
            self._say("Auto-train waits: your own training is running.")
        elif action == "queued":
            self._say("Auto-train: a run is going; the next one is queued.")
        self._show_line()
        return action

    def _start_run(self, dataset: Dataset) -> None:
        try:
            config = at.proposal_config(dataset, self.state, **self.config_overrides)
        except Exception as exc:  # too few labelled images, an unwritable folder…
            self.scheduler.finished()
            self._say(f"Auto-train did not start: {exc}")
            return
        self.state.save(dataset.state_dir)
        self.train_job = start_job(
            self.context, "Auto-train", at.run_autotrain, dataset, self.state, config,
            lambda proc: setattr(self, "_process", proc),
            error_dialog=False, progress_text="Auto-train: training a proposal model…",
            done_text=lambda r: f"Auto-train: {r.message}",
            cancelled_text="Auto-train paused.", on_progress=self._progress,
            on_done=lambda r, ds=dataset: self._trained(ds, r),
            on_failed=lambda _m, ds=dataset: self._trained(ds, None),
            on_cancelled=lambda ds=dataset: self._trained(ds, None))
        self._show_line("training a proposal model…")

    def _progress(self, done: int, total: int, message: str) -> None:
        if total:
            self._show_line(f"training a proposal model: {message} ({100 * done // total}%)")

    def _trained(self, dataset: Dataset, result) -> None:
        self.train_job = None
        if result is not None:
            self.state.last_message = result.message
        if dataset is self._dataset():
            self.state.save(dataset.state_dir)
        self.autotrain_finished.emit(result)
        if result is not None and result.improved:
            self._refreshed()
            if self.browser.model.informative_first:
                self.score()
        queued = self.scheduler.finished()
        self._show_line()
        if queued and not self.state.paused:
            self.maybe_train()

    def _switched(self, on: bool) -> None:
        self._touched = True
        self.state.paused = not on
        dataset = self._dataset()
        if dataset is not None:
            self.state.save(dataset.state_dir)
        if not on and self.train_job is not None:
            self.train_job.cancel()  # the child stops after its batch; labels untouched
        self._show_line()
        if on:
            self.maybe_train()

    @property
    def training(self) -> bool:
        return self.train_job is not None

    def _show_line(self, doing: str = "") -> None:
        dataset = self._dataset()
        # a fully labelled dataset with auto-train off says nothing about it
        shown = dataset is not None and (not self.state.paused or self.train_job is not None
                                         or self.state.best_map50 is not None
                                         or self.switch.isChecked() or self._touched)
        self.line.setVisible(shown)
        self.status_button.setVisible(shown)
        if dataset is None:
            return
        last = f" · last proposal model mAP50 {self.state.best_map50:.3f}" \
            if self.state.best_map50 is not None else ""
        if self.state.paused and self.train_job is None:
            text = "paused (click Auto-train to resume)"
        elif doing or self.train_job is not None:
            text = doing or "training a proposal model…"
        else:
            n = len(self.labelled)
            goal = self.first if self.state.last_start <= 0 else self.state.last_start + self.every
            text = f"next proposal model at {goal} labelled images ({n} now)"
        self.line.setText(f"Auto-train: {text}{last}")
        short = "paused" if self.state.paused and self.train_job is None else \
            "training…" if self.train_job is not None else "on"
        score = f" · mAP50 {self.state.best_map50:.3f}" if self.state.best_map50 is not None \
            else ""
        action = "resume" if self.state.paused else "pause"
        self.status_button.setText(f"Auto-train {short}{score} · {action.capitalize()}")
        self.status_button.setToolTip(f"{self.line.text()}. Click to {action}.")

    def _say(self, text: str) -> None:
        self.context.status_message.emit(text, 8000)

    # ----- the label-next queue ---------------------------------------------------------------
    def _filter_changed(self, flt) -> None:
        if self.browser.model.informative_first and not any(
                r.queue_rank is not None for r in self.browser.model.all_records()):
            self.score()

    def proposal_model(self, dataset: Dataset) -> Path | None:
        if self.state.model and Path(self.state.model).is_file():
            return Path(self.state.model)
        return runs.newest_model(dataset.yaml_path or dataset.root, dataset.root)

    def score(self) -> None:
        """Compute the label-next queue off the GUI thread; the browser sorts by it."""
        dataset = self._dataset()
        if dataset is None:
            return
        if self.queue_job is not None:
            self.queue_job.cancel()
        weights = self.proposal_model(dataset)
        self.queue_job = start_job(
            self.context, "Label next", _queue_job, dataset, weights,
            progress_text="Choosing the images to label next…",
            on_done=lambda result, ds=dataset: self._scored(ds, result),
            on_failed=lambda _m: setattr(self, "queue_job", None),
            on_cancelled=lambda: None)

    def _scored(self, dataset: Dataset, result) -> None:
        self.queue_job = None
        if dataset is not self._dataset():
            return
        self.browser.model.set_queue({str(i.path): (i.rank, i.score) for i in result.items})
        how = f"scored by {Path(result.model).name}" if result.model else \
            "no model yet: ordered so the first images cover the dataset"
        self._say(f"Label next: {len(result.items)} images, {how}." +
                  (f" {result.note}" if result.note else ""))
        self.queue_ready.emit(result)

    # ----- effort -------------------------------------------------------------------------------
    def _count(self, action: str, image: str, n: int) -> None:
        if self.effort is None:
            return
        self.effort.record(action, image, n)
        if self.effort.note:
            self._say(self.effort.note)
        self.effort_changed.emit()

    def _image_opened(self, record) -> None:
        if self.effort is not None and record is not None:
            self.effort.image_opened(record.key)

    def stop(self, kill: bool = False) -> None:
        """Cancel the queue and the proposal run; ``kill`` ends its child at once (the
        window closes: a proposal run is only worth its next trigger, labels are apart)."""
        for job in (self.train_job, self.queue_job):
            if job is not None:
                job.cancel()
        if kill and self.train_job is not None and self._process is not None:
            self._process.kill()
