"""Wizard page 3: epochs or time, image size, batch, cache, device, folders, hyperparameters.

Defaults are TrainConfig's (sensible for a few hundred images on a CPU); the fine-tuning
preset fills the optimizer fields, and every hyperparameter that differs from ultralytics'
default is listed as a diff, hyperparameter file included.
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
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.config import (
    CACHE_CHOICES,
    FINETUNE_PRESET,
    TrainConfig,
    load_hyp_file,
)

OPTIMIZERS = ("auto", "SGD", "AdamW", "Adam", "MuSGD", "NAdam", "RAdam", "RMSProp")
DEVICES = ("auto", "cpu", "0", "0,1", "mps")


class SettingsPage(QWidget):
    changed = Signal()
    title = "Settings"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TrainConfig(data="")
        self._recipe = "freeze"
        self.hyp_path: str | None = None
        self._build(defaults)

    # ----- layout ---------------------------------------------------------------------------
    def _build(self, d: TrainConfig) -> None:
        run = QGroupBox("Run")
        form = QFormLayout(run)
        self.epochs = _spin(1, 10000, d.epochs)
        self.use_time = QCheckBox("time budget instead:")
        self.hours = QDoubleSpinBox()
        self.hours.setRange(0.01, 1000)
        self.hours.setDecimals(2)
        self.hours.setValue(1.0)
        self.hours.setSuffix(" h")
        self.hours.setEnabled(False)
        self.use_time.toggled.connect(self.hours.setEnabled)
        row = QHBoxLayout()
        for w in (self.epochs, self.use_time, self.hours):
            row.addWidget(w)
        row.addStretch(1)
        form.addRow("Epochs", row)
        self.imgsz = _spin(32, 4096, d.imgsz, step=32)
        self.imgsz.setSuffix(" px")
        form.addRow("Image size", self.imgsz)
        self.batch = _spin(-1, 1024, d.batch)
        self.batch.setSpecialValueText("auto (GPU)")
        form.addRow("Batch", self.batch)
        self.cache = QComboBox()
        self.cache.addItems(CACHE_CHOICES)
        self.cache.setCurrentText(d.cache)
        form.addRow("Cache images", self.cache)
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItems(DEVICES)
        self.device.setToolTip("auto: the first GPU if there is one, else the CPU. "
                               "'0,1' trains on two GPUs.")
        form.addRow("Device", self.device)
        self.patience = _spin(0, 10000, d.patience)
        self.patience.setSuffix(" epochs without gain")
        form.addRow("Early stop", self.patience)
        self.seed = _spin(0, 2**31 - 1, d.seed)
        form.addRow("Seed", self.seed)
        self.project = QLineEdit()
        self.project.setPlaceholderText("<dataset>/runs")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse_project)
        row = QHBoxLayout()
        row.addWidget(self.project, 1)
        row.addWidget(browse)
        form.addRow("Runs folder", row)
        self.name = QLineEdit()
        self.name.setPlaceholderText("automatic (recipe-model, numbered)")
        form.addRow("Run name", self.name)

        hyp = QGroupBox("Hyperparameters")
        hl = QVBoxLayout(hyp)
        form2 = QFormLayout()
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setToolTip("'auto' picks its own optimizer and learning rate and "
                                  "ignores lr0")
        self.lr0 = QDoubleSpinBox()
        self.lr0.setDecimals(5)
        self.lr0.setRange(0.00001, 1.0)
        self.lr0.setSingleStep(0.0005)
        self.warmup = QDoubleSpinBox()
        self.warmup.setRange(0, 100)
        self.warmup.setSuffix(" epochs")
        form2.addRow("Optimizer", self.optimizer)
        form2.addRow("Initial learning rate (lr0)", self.lr0)
        form2.addRow("Warmup", self.warmup)
        hl.addLayout(form2)
        row = QHBoxLayout()
        self.load_hyp = QPushButton("Load hyperparameter YAML…")
        self.load_hyp.clicked.connect(self._pick_hyp)
        self.clear_hyp = QPushButton("Clear")
        self.clear_hyp.clicked.connect(lambda: self.set_hyp(None))
        self.hyp_label = QLabel("No hyperparameter file.")
        self.hyp_label.setWordWrap(True)
        row.addWidget(self.load_hyp)
        row.addWidget(self.clear_hyp)
        row.addWidget(self.hyp_label, 1)
        hl.addLayout(row)
        hl.addWidget(QLabel("Changed from ultralytics' defaults:"))
        self.diff = QTableWidget(0, 3)
        self.diff.setHorizontalHeaderLabels(["setting", "ultralytics default", "this run"])
        self.diff.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.diff.verticalHeader().setVisible(False)
        self.diff.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        hl.addWidget(self.diff, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(run, 1)
        layout.addWidget(hyp, 1)
        for w in (self.epochs, self.imgsz, self.batch, self.patience, self.seed):
            w.valueChanged.connect(self._changed)
        for w in (self.hours, self.lr0, self.warmup):
            w.valueChanged.connect(self._changed)
        for c in (self.cache, self.device, self.optimizer):
            c.currentTextChanged.connect(self._changed)
        self.use_time.toggled.connect(self._changed)
        self.project.editingFinished.connect(self._changed)
        self.name.editingFinished.connect(self._changed)
        self.set_recipe("freeze")

    # ----- recipe preset ----------------------------------------------------------------------
    def set_recipe(self, recipe: str) -> None:
        """Apply the recipe's preset (the fine-tune optimizer, or ultralytics' defaults)."""
        self._recipe = recipe
        preset = FINETUNE_PRESET if recipe == "finetune" else {}
        self._preset_warmup_bias = preset.get("warmup_bias_lr")
        self.optimizer.setCurrentText(preset.get("optimizer", "auto"))
        self.lr0.setValue(preset.get("lr0", 0.01))
        self.warmup.setValue(preset.get("warmup_epochs", 3.0))
        self._changed()

    def set_hyp(self, path: str | None) -> None:
        self.hyp_path = path
        self.hyp_label.setText(path or "No hyperparameter file.")
        self._changed()

    def _pick_hyp(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Hyperparameter YAML", str(Path.home()),
                                              "YAML (*.yaml *.yml)")
        if not path:
            return
        try:
            load_hyp_file(path)
        except UserError as exc:
            self.hyp_label.setText(f"<span style='color:#cf222e'>{exc}</span>")
            return
        self.set_hyp(path)

    def _browse_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Runs folder", self.project.text() or
                                                  str(Path.home()))
        if folder:
            self.project.setText(folder)
            self._changed()

    # ----- values ------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The TrainConfig fields this page sets (``None`` = ultralytics' default)."""
        optimizer = self.optimizer.currentText()
        auto = optimizer == "auto"
        out: dict[str, Any] = {
            "epochs": self.epochs.value(), "time": self.hours.value() if self.use_time.isChecked()
            else None, "imgsz": self.imgsz.value(), "batch": self.batch.value(),
            "cache": self.cache.currentText(), "patience": self.patience.value(),
            "seed": self.seed.value(), "hyp": self.hyp_path,
            "device": None if self.device.currentText().strip() in ("", "auto")
            else self.device.currentText().strip(),
            "project": self.project.text().strip() or None,
            "name": self.name.text().strip() or None,
            "optimizer": None if auto else optimizer,
            "lr0": None if auto else round(self.lr0.value(), 6),
            "warmup_epochs": None if self.warmup.value() == 3.0 else self.warmup.value(),
            "warmup_bias_lr": self._preset_warmup_bias,
        }
        return out

    def _changed(self, *_args) -> None:
        self.lr0.setEnabled(self.optimizer.currentText() != "auto")
        self._fill_diff()
        self.changed.emit()

    def _fill_diff(self) -> None:
        config = TrainConfig(data="", **{k: v for k, v in self.values().items()})
        try:
            rows = config.changed_hyperparameters()
        except UserError as exc:
            rows = [("hyperparameter file", "", str(exc))]
        self.diff.setRowCount(len(rows))
        for i, (key, default, value) in enumerate(rows):
            for j, text in enumerate((key, default, value)):
                self.diff.setItem(i, j, QTableWidgetItem("" if text is None else str(text)))


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box
