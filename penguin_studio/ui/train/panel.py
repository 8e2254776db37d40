"""The Train panel: a wizard to start runs, the live monitor, the run history, models.

The panel owns at most one :class:`TrainingSupervisor` (one training at a time). Training
runs in a child process, so the window stays responsive whatever happens in it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training.config import MODE_TITLES, TrainConfig
from penguin_studio.ui.train.history import RunHistory
from penguin_studio.ui.train.monitor import TrainingMonitor
from penguin_studio.ui.train.supervisor import TrainingSupervisor
from penguin_studio.ui.train.tune_page import TunePage
from penguin_studio.ui.train.wizard import TrainWizard

SHUTDOWN_GRACE_MS = 15000


class TrainPanel(QWidget):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.supervisor: TrainingSupervisor | None = None
        self._models_dialog = None
        self.wizard = TrainWizard(context)
        self.monitor = TrainingMonitor()
        self.history = RunHistory(context)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.wizard, "New run")
        self.tabs.addTab(self.monitor, "Monitor")
        self.tabs.addTab(self.history, "History")
        self.tune_page = TunePage(context, training_busy=lambda: self.busy)
        self.tabs.addTab(self.tune_page, "Tune")
        self.dataset_label = QLabel()
        self.models_button = QPushButton("Models…")
        self.models_button.setToolTip("Pretrained COCO models: download, import")
        self.models_button.clicked.connect(self.open_models)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2 style='margin:0'>Train</h2>"))
        top.addWidget(self.dataset_label, 1)
        top.addWidget(self.models_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        self.wizard.start_requested.connect(self.start)
        self.wizard.resume_requested.connect(self.resume)
        self.wizard.manage_models.connect(self.open_models)
        self.monitor.stop_clicked.connect(self.stop)
        self.monitor.resume_clicked.connect(self.resume)
        self.history.show_run.connect(self._show_run)
        self.history.resume_run.connect(self.resume)
        self.history.finetune_from.connect(self._finetune_from)
        self.tune_page.use_hyp.connect(self._use_tuned)
        self.tabs.currentChanged.connect(self._tab_shown)
        context.dataset_changed.connect(self._on_dataset)
        self._on_dataset(context.dataset)

    # ----- running ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.supervisor is not None

    def start(self, config: TrainConfig) -> TrainingSupervisor | None:
        title = MODE_TITLES.get(config.mode, config.mode)
        return self._launch(TrainingSupervisor(config=config, parent=self), title, None)

    def resume(self, run_dir: Path | None) -> TrainingSupervisor | None:
        if run_dir is None:
            return None
        return self._launch(TrainingSupervisor(resume_dir=Path(run_dir), parent=self),
                            f"Resuming {Path(run_dir).name}", Path(run_dir))

    def _launch(self, sup: TrainingSupervisor, title: str,
                resume_dir: Path | None) -> TrainingSupervisor | None:
        if self.supervisor is not None or self.tune_page.busy:
            what = "A tuning search (Tune › Stop)" if self.supervisor is None else \
                "A training (Monitor › Stop)"
            QMessageBox.information(self, "Training running", f"{what} is already running; "
                                    f"stop it first: both at once would share the CPU.")
            sup.deleteLater()
            return None
        self.supervisor = sup
        self.monitor.begin(title, resume_dir)
        sup.launched.connect(self.monitor.on_launched)
        sup.launched.connect(lambda _d: self.history.refresh())
        sup.launched.connect(lambda _d: self.wizard.refresh_runs())  # its name is taken now
        sup.event.connect(self.monitor.on_event)
        sup.ended.connect(self._ended)
        sup.failed.connect(self._failed_to_start)
        sup.finished.connect(lambda s=sup: self._forget(s))
        self.tabs.setCurrentWidget(self.monitor)
        self.context.status_message.emit(f"{title}…", 0)
        sup.start()
        return sup

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()

    def _ended(self, outcome) -> None:
        self.monitor.on_ended(outcome, resumable_here=self._of_open_dataset(outcome.run_dir))
        text = {"completed": "Training finished", "stopped": "Training stopped"}.get(
            outcome.status, "Training failed")
        note = " (the model learned nothing: see Monitor)" if self.monitor.learned_nothing \
            else ""
        self.context.status_message.emit(f"{text}: {outcome.run_dir.name}{note}", 0)
        self.history.refresh()
        self.wizard.refresh_runs()

    def _failed_to_start(self, message: str) -> None:
        self.monitor.on_failed_to_start(message)
        self.context.status_message.emit("Training could not start", 0)
        self.context.error.emit("Cannot start training", message)

    def _forget(self, sup: TrainingSupervisor) -> None:
        if self.supervisor is sup:
            self.supervisor = None
        sup.deleteLater()

    # ----- other views ----------------------------------------------------------------------------
    def _on_dataset(self, dataset) -> None:
        if dataset is None:
            self.dataset_label.setText("<span style='color:gray'>No dataset open</span>")
        else:
            self.dataset_label.setText(f"<span style='color:gray'>Dataset:</span> "
                                       f"<b>{dataset.title}</b>")
        self.history.refresh()
        shown = self.monitor.run_dir
        if not self.busy and shown is not None and not self._of_open_dataset(shown):
            self.monitor.clear(f"{shown.name} belongs to another dataset: its curves, Stop "
                               "and Resume are in that dataset's History.")

    def _of_open_dataset(self, run_dir: Path) -> bool:
        """Is ``run_dir`` one of the open dataset's runs? (What Resume may offer.)"""
        ds = self.context.dataset
        if ds is None or ds.yaml_path is None:
            return False
        from penguin_studio.core.training import runs

        wanted = Path(run_dir).resolve()
        return any(Path(p).resolve() == wanted for p in runs.run_dirs(ds.yaml_path, ds.root))

    def _show_run(self, run_dir: Path) -> None:
        if self.busy:
            QMessageBox.information(self, "Training running",
                                    "The monitor shows the running training; open this run's "
                                    "curves when it has ended, or compare it in History.")
            return
        self.monitor.show_run(Path(run_dir))
        self.tabs.setCurrentWidget(self.monitor)

    def _finetune_from(self, weights: Path) -> None:
        self.wizard.recipe_page.set_recipe("finetune")
        self.wizard.model_page.select_weights_file(str(weights))
        self.wizard.go(1)
        self.tabs.setCurrentWidget(self.wizard)

    def _tab_shown(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.tune_page:
            self.tune_page.suggest_weights(self.wizard.model_page.weights)

    def _use_tuned(self, hyp: str, recipe: str) -> None:
        """A search's best hyperparameters into a new run of the same recipe."""
        self.wizard.recipe_page.set_recipe(recipe)
        self.wizard.settings_page.set_hyp(hyp)
        self.wizard.go(2)
        self.tabs.setCurrentWidget(self.wizard)

    def open_models(self):
        from penguin_studio.ui.train.models_dialog import ModelManagerDialog

        if self._models_dialog is None:
            self._models_dialog = ModelManagerDialog(self.context, self)
            self._models_dialog.models_changed.connect(self.wizard.model_page.refresh_named_models)
        self._models_dialog.refresh()
        self._models_dialog.show()
        self._models_dialog.raise_()
        return self._models_dialog

    # ----- window lifecycle -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop a running training gracefully (last.pt stays resumable), then wait for it."""
        if self._models_dialog is not None:
            self._models_dialog.shutdown()
        self.tune_page.shutdown()
        sup = self.supervisor
        if sup is None:
            return
        sup.stop()
        if not sup.wait(SHUTDOWN_GRACE_MS):
            sup.kill()
            sup.wait(5000)

    def wait_until_idle(self) -> None:
        """Nothing loads lazily here that a screenshot must wait for."""
