"""The Train panel's *Tune* page: search the hyperparameters, watch it, use the best.

It builds a :class:`~penguin_studio.core.training.tuning.TuneConfig` (exactly what
``penguin-studio tune`` builds from its flags) and runs it through a
:class:`TuningSupervisor`, the training supervisor launching ``tune_child`` instead: the
search runs in a child process, so the window stays responsive and Stop keeps every
finished iteration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.errors import UserError
from penguin_studio.core.training import architectures, tuning
from penguin_studio.core.training.config import MODE_TITLES, TrainConfig
from penguin_studio.core.training.tune_job import TuningProcess
from penguin_studio.ui.train.supervisor import TrainingSupervisor
from penguin_studio.ui.train.tune_view import TuneResults

RECIPES = ("freeze", "hotstart", "finetune", "scratch")


class TuningSupervisor(TrainingSupervisor):
    """The training supervisor, launching a search (same signals, same stop and kill)."""

    def __init__(self, config: tuning.TuneConfig, parent=None) -> None:
        super().__init__(parent=parent)
        self._tune = config

    def _start_process(self) -> TuningProcess:
        return TuningProcess.start(self._tune, background=True)


class TunePage(QWidget):
    """Form, Start/Stop, live results; ``use_hyp(path, recipe)`` asks for a new run."""

    use_hyp = Signal(str, str)

    def __init__(self, context, training_busy=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._training_busy = training_busy or (lambda: False)
        self.supervisor: TuningSupervisor | None = None
        self.space_path: str | None = None
        self.best_hyp: str | None = None
        self._recipe = "freeze"
        self._build()
        self._recipe_changed()

    # ----- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        form_box = QGroupBox("Search")
        form = QFormLayout(form_box)
        self.recipe = QComboBox()
        for key in RECIPES:
            self.recipe.addItem(MODE_TITLES[key], key)
        self.recipe.currentIndexChanged.connect(self._recipe_changed)
        form.addRow("Recipe", self.recipe)
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("start weights: a .pt file or yolo11n.pt")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_weights)
        self.arch = QComboBox()
        self.arch.addItems(architectures.ARCHITECTURES)
        row = QHBoxLayout()
        for w in (self.weights, browse, self.arch):
            row.addWidget(w)
        self._browse = browse
        form.addRow("Start from", row)
        self.iterations = _spin(1, 10000, 10, "Trainings to run: each one tries new values")
        self.epochs = _spin(1, 1000, 5, "Epochs of each iteration's short training")
        self.imgsz = _spin(32, 4096, 416, "Image size of every iteration", step=32)
        self.imgsz.setSuffix(" px")
        self.batch = _spin(1, 1024, 8, "Batch of every iteration")
        row = QHBoxLayout()
        for label, w in (("iterations", self.iterations), ("epochs each", self.epochs),
                         ("size", self.imgsz), ("batch", self.batch)):
            row.addWidget(w)
            row.addWidget(QLabel(label))
        row.addStretch(1)
        form.addRow("Trainings", row)
        self.use_time = QCheckBox("stop starting iterations after")
        self.hours = QDoubleSpinBox()
        self.hours.setRange(0.01, 1000)
        self.hours.setValue(1.0)
        self.hours.setSuffix(" h")
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItems(("auto", "cpu", "0", "0,1"))
        row = QHBoxLayout()
        for w in (self.use_time, self.hours, QLabel("device"), self.device):
            row.addWidget(w)
        row.addStretch(1)
        form.addRow("Budget", row)
        self.space_label = QLabel()
        self.space_label.setWordWrap(True)
        load_space = QPushButton("Load search space…")
        load_space.setToolTip("A YAML file of 'name: [min, max]' lines, e.g. lr0: [0.0001, 0.01]")
        load_space.clicked.connect(self._pick_space)
        clear_space = QPushButton("Recipe's own")
        clear_space.clicked.connect(lambda: self._set_space(None))
        row = QHBoxLayout()
        row.addWidget(self.space_label, 1)
        row.addWidget(load_space)
        row.addWidget(clear_space)
        form.addRow("Searches", row)
        self.ray = QCheckBox("with Ray Tune on")
        self.ray_address = QLineEdit()
        self.ray_address.setPlaceholderText("this computer (or ray://head:10001)")
        if not tuning.ray_installed():
            self.ray.setEnabled(False)
            self.ray.setToolTip(tuning.RAY_MISSING)
        row = QHBoxLayout()
        row.addWidget(self.ray)
        row.addWidget(self.ray_address, 1)
        form.addRow("Scale out", row)

        self.start_button = QPushButton("Start tuning")
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 14px; }")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Ends the iteration in progress; the finished ones and the "
                                    "best so far are kept")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.status = QLabel("Each iteration trains a short run with new values and is scored "
                             "on the validation split.")
        self.status.setWordWrap(True)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.use_button = QPushButton("Use in a new run")
        self.use_button.setToolTip("Open New run with the best hyperparameters loaded")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(
            lambda: self.best_hyp and self.use_hyp.emit(self.best_hyp, self._recipe))
        bar = QHBoxLayout()
        for w in (self.start_button, self.stop_button):
            bar.addWidget(w)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.use_button)
        self.results = TuneResults()
        layout = QVBoxLayout(self)
        layout.addWidget(form_box)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.result)
        layout.addWidget(self.results, 1)

    # ----- the form -----------------------------------------------------------------------------
    def _recipe_changed(self, *_args: Any) -> None:
        self._recipe = self.recipe.currentData() or "freeze"
        scratch = self._recipe == "scratch"
        self.arch.setVisible(scratch)
        self.weights.setVisible(not scratch)
        self._browse.setVisible(not scratch)
        self._set_space(self.space_path)

    def _set_space(self, path: str | None) -> None:
        self.space_path = path
        if path:
            space = tuning.load_space_file(path)
            where = Path(path).name
        else:
            space, where = tuning.SPACES[self._recipe], "the recipe's own space"
        names = ", ".join(space)
        self.space_label.setText(f"{len(space)} hyperparameters ({where}): {names}")

    def _pick_space(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Search space", str(Path.home()),
                                              "YAML (*.yaml *.yml)")
        if path:
            self.load_space(path)

    def load_space(self, path: str) -> bool:
        """Load a search-space file; a bad one is refused by name, the old space stays."""
        try:
            self._set_space(path)
        except UserError as exc:
            self.space_label.setText(f"<span style='color:#cf222e'>{exc}</span>")
            self.space_path = None
            return False
        return True

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Start weights", str(Path.home()),
                                              "PyTorch checkpoints (*.pt)")
        if path:
            self.weights.setText(path)

    def suggest_weights(self, weights: str | None) -> None:
        """The wizard's start weights, when this page has none yet."""
        if weights and not self.weights.text().strip():
            self.weights.setText(weights)

    def config(self) -> tuning.TuneConfig:
        """The TuneConfig the form describes (what ``penguin-studio tune`` would build)."""
        ds = self.context.dataset
        data = str(ds.yaml_path) if ds is not None and ds.yaml_path else ""
        device = self.device.currentText().strip()
        values: dict[str, Any] = {
            "epochs": self.epochs.value(), "imgsz": self.imgsz.value(),
            "batch": self.batch.value(), "device": None if device in ("", "auto") else device}
        if self._recipe == "scratch":
            values["model"] = self.arch.currentText()
        else:
            values["weights"] = self.weights.text().strip() or None
        space = tuning.load_space_file(self.space_path) if self.space_path else None
        return tuning.TuneConfig(
            train=TrainConfig.for_mode(self._recipe, data, **values),
            iterations=self.iterations.value(),
            time=self.hours.value() if self.use_time.isChecked() else None,
            space={k: list(v) for k, v in space.items()} if space else None,
            ray=self.ray.isChecked(), ray_address=self.ray_address.text().strip() or None)

    # ----- running ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.supervisor is not None

    def start(self) -> TuningSupervisor | None:
        if self.supervisor is not None:
            return None
        if self._training_busy():
            self._failed("A training is running (Monitor › Stop first): a search beside it "
                         "would share the CPU and make both slow.")
            return None
        try:
            config = self.config()
        except UserError as exc:
            self._failed(str(exc))
            return None
        sup = TuningSupervisor(config, parent=self)
        self.supervisor = sup
        self.best_hyp = None
        self.result.clear()
        self.use_button.setEnabled(False)
        self.results.begin(list(config.search_space()))
        self.progress.setRange(0, config.iterations)
        self.progress.setValue(0)
        self._set_running(True)
        self.status.setText("Checking the settings…")
        sup.event.connect(self.on_event)
        sup.failed.connect(self._failed)
        sup.ended.connect(self._ended)
        sup.finished.connect(lambda s=sup: self._forget(s))
        sup.start()
        return sup

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.status.setText("Stopping: the iteration in progress ends, the finished ones "
                                "are kept…")

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def on_event(self, e: dict) -> None:
        kind = e.get("type")
        if kind == "setup":
            self.status.setText(f"Tuning in {e['run_dir']}")
        elif kind == "tune_start":
            how = "Ray Tune" if e.get("ray") else "ultralytics' genetic tuner"
            self.status.setText(f"{e['iterations']} iterations with {how}, optimizer "
                                f"{e['optimizer']} (not searched).")
        elif kind == "iteration_start":
            self.status.setText(f"Iteration {e['iteration']}/{e['iterations']}: training…")
        elif kind == "tune_epoch":
            self.status.setText(f"Iteration {e['iteration']}: epoch {e['epoch']}/{e['epochs']}, "
                                f"fitness {e['fitness']:.4f}")
        elif kind == "iteration":
            self.results.add(e)
            self.progress.setValue(int(e["iteration"]))
        elif kind in ("done", "stopped"):
            self._show_best(e)
        elif kind == "error":
            self.status.setText(f"<span style='color:#cf222e'>{e.get('message', '')}</span>")

    def _show_best(self, e: dict) -> None:
        path = e.get("best_hyp")
        if not path:
            self.result.setText("No iteration finished: nothing to keep.")
            return
        try:
            changes = tuning.best_hyp_diff(path)
        except UserError as exc:  # removed or edited by hand since the search wrote it
            self.result.setText(str(exc))
            return
        self.best_hyp = str(path)
        diff = ", ".join(f"{k} {d} → {v}" for k, d, v in changes)
        self.result.setText(f"<b>Best: iteration {e.get('best_iteration')}, fitness "
                            f"{float(e.get('best_fitness') or 0):.4f}</b> "
                            f"({e.get('iterations_done')} iterations). Changed from "
                            f"ultralytics' defaults: {diff or 'nothing'}.<br>"
                            f"<tt>{path}</tt>")
        self.use_button.setEnabled(True)

    def _ended(self, outcome) -> None:
        self._set_running(False)
        if outcome.status == "failed":
            self.status.setText(f"<span style='color:#cf222e'>{outcome.message}</span>")
        else:
            word = "finished" if outcome.status == "completed" else "stopped"
            self.status.setText(f"Tuning {word}: {outcome.run_dir}")

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(f"<span style='color:#cf222e'>{message}</span>")

    def _forget(self, sup: TuningSupervisor) -> None:
        if self.supervisor is sup:
            self.supervisor = None
        sup.deleteLater()

    def shutdown(self) -> None:
        """Stop a running search (finished iterations stay), then wait for the child."""
        sup = self.supervisor
        if sup is None:
            return
        sup.stop()
        if not sup.wait(15000):
            sup.kill()
            sup.wait(5000)


def _spin(low: int, high: int, value: int, tip: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box
