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
from penguin_studio.ui.train.rate_box import LearningRateBox, significant

OPTIMIZERS = ("auto", "SGD", "AdamW", "Adam", "MuSGD", "NAdam", "RAdam", "RMSProp")
DEVICES = ("auto", "cpu", "0", "0,1", "mps")

#: What each field means, in the words of someone who has never trained a model.
TIPS = {
    "epochs": "How many times the training goes through all your training images. More "
              "epochs: better results up to a point, and longer training.",
    "time": "Train for this many hours instead of a number of epochs: the training fits as "
            "many epochs as the time allows and then stops on its own.",
    "imgsz": "Photos are shrunk to this size (longest side, in pixels) before the model sees "
             "them. Larger sizes find smaller objects but train and run slower.",
    "batch": "How many images the model looks at before each small correction. Larger "
             "batches need more memory; 'auto' picks the largest that fits a GPU.",
    "cache": "Keep the decoded images in memory ('ram') or in a file beside them ('disk') so "
             "they are not read again every epoch: faster, at the cost of memory or disk "
             "space. 'none' reads them every time.",
    "device": "Where the training runs. auto: the first GPU if there is one, else the CPU. "
              "'0,1' trains on two GPUs.",
    "patience": "Stop early when the validation score has not improved for this many "
                "epochs: no time wasted once the model stops getting better. 0 never stops "
                "early.",
    "seed": "The starting point of the random choices (order of the images, augmentations). "
            "The same seed and settings give the same result again.",
    "project": "The folder the run folders go into (default: a 'runs' folder beside the "
               "dataset).",
    "name": "The run's folder name. Left empty, the app names it after the recipe and model "
            "and numbers it; a name already taken is never reused.",
    "optimizer": "The method that turns each error into a correction of the weights. 'auto' "
                 "chooses one and its learning rate itself (and ignores lr0); SGD with a low "
                 "lr0 changes pretrained weights gently.",
    "lr0": "How big each correction is at the start (the learning rate). Too high and the "
           "training jumps around; too low and it learns slowly. Used only when an optimizer "
           "is named.",
    "warmup": "Epochs at the start during which the learning rate grows slowly from almost 0, "
              "so the first, noisy corrections do not spoil the weights.",
    "hyp": "A YAML file of other ultralytics training settings (augmentation, loss weights…), "
           "as ultralytics' cfg= takes it. Unknown names are refused.",
    "diff": "Every value this run gives ultralytics that differs from ultralytics' own "
            "default: the run settings above, the recipe's preset and the hyperparameter "
            "file.",
}


class SettingsPage(QWidget):
    changed = Signal()
    title = "Settings"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TrainConfig(data="")
        self._recipe = "freeze"
        self._frozen: int | None = None
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
        self._epochs_row = row
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
        self._project_row = row
        self.name = QLineEdit()
        self.name.setPlaceholderText("automatic (recipe-model, numbered)")
        form.addRow("Run name", self.name)

        hyp = QGroupBox("Hyperparameters")
        hl = QVBoxLayout(hyp)
        form2 = QFormLayout()
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.lr0 = LearningRateBox()
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
        self._add_tips(form, form2)

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

    def _add_tips(self, form: QFormLayout, form2: QFormLayout) -> None:
        """The plain-words tooltip of every field, on the field and on its label."""
        fields = {"epochs": self.epochs, "time": self.hours, "imgsz": self.imgsz,
                  "batch": self.batch, "cache": self.cache, "device": self.device,
                  "patience": self.patience, "seed": self.seed, "project": self.project,
                  "name": self.name, "optimizer": self.optimizer, "lr0": self.lr0,
                  "warmup": self.warmup, "hyp": self.load_hyp, "diff": self.diff}
        for key, widget in fields.items():
            widget.setToolTip(TIPS[key])
            for layout in (form, form2):
                label = layout.labelForField(widget)
                if label is not None:
                    label.setToolTip(TIPS[key])
        self.use_time.setToolTip(TIPS["time"])
        for layout, key in ((self._epochs_row, "epochs"), (self._project_row, "project")):
            label = form.labelForField(layout)
            if label is not None:
                label.setToolTip(TIPS[key])

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
        self._take_optimizer_from(path)
        self._changed()

    def _take_optimizer_from(self, path: str | None) -> None:
        """A tuned file names its optimizer and lr0: show them in the fields, which would
        otherwise override the file (fields win over ``cfg=``)."""
        try:
            hyp = load_hyp_file(path) if path else {}
        except UserError:
            return
        if hyp.get("optimizer") in OPTIMIZERS:
            self.optimizer.setCurrentText(str(hyp["optimizer"]))
        if isinstance(hyp.get("lr0"), (int, float)):
            self.lr0.setValue(float(hyp["lr0"]))
        if isinstance(hyp.get("warmup_epochs"), (int, float)):
            self.warmup.setValue(float(hyp["warmup_epochs"]))

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
            "lr0": None if auto else significant(self.lr0.value()),
            "warmup_epochs": None if self.warmup.value() == 3.0 else self.warmup.value(),
            "warmup_bias_lr": self._preset_warmup_bias,
        }
        return out

    def _changed(self, *_args) -> None:
        self.lr0.setEnabled(self.optimizer.currentText() != "auto")
        self._fill_diff()
        self.changed.emit()

    def set_frozen(self, layers: int | None) -> None:
        """The layers the model page freezes (feature extraction), for the diff."""
        if layers != self._frozen:
            self._frozen = layers
            self._fill_diff()

    def _fill_diff(self) -> None:
        frozen = self._frozen if self._recipe == "freeze" else None
        config = TrainConfig(data="", mode=self._recipe, freeze=frozen, **self.values())
        try:
            rows = config.changed_settings()
        except UserError as exc:
            rows = [("hyperparameter file", "", str(exc))]
        self.diff.setRowCount(len(rows))
        for i, (key, default, value) in enumerate(rows):
            for j, text in enumerate((key, _shown(default), _shown(value))):
                self.diff.setItem(i, j, QTableWidgetItem(text))

    def diff_rows(self) -> list[tuple[str, str, str]]:
        """The diff table as text (what the user reads)."""
        return [tuple(self.diff.item(r, c).text() for c in range(3))  # type: ignore[misc]
                for r in range(self.diff.rowCount())]


def _shown(value: Any) -> str:
    """A setting's value as the diff table shows it (ultralytics' False/None in words)."""
    if value is None:
        return "not set"
    if value is False:
        return "off"
    return str(value)


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box
