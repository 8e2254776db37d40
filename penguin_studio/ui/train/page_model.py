"""Wizard page 2: the dataset, the architecture or start weights, and what is frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core import appdirs
from penguin_studio.core.errors import UserError
from penguin_studio.core.model_files import resolve_weights_path
from penguin_studio.core.training import architectures, models
from penguin_studio.core.training import runs as run_catalogue
from penguin_studio.core.training.plan import not_a_checkpoint_note
from penguin_studio.ui.jobs import start_job

FROZEN = QColor("#57606a")
TRAINED = QColor("#1a7f37")
FROZEN_BG = QColor("#eaeef2")


class ModelPage(QWidget):
    """Architecture (scratch) or start weights (freeze / fine-tune) plus the freeze size."""

    changed = Signal()
    manage_models = Signal()
    title = "Data & model"

    def __init__(self, context=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context  # ui.context.AppContext, for reading a checkpoint's layers
        self._recipe = "freeze"
        self._arch_cache: dict[str, dict | None] = {}
        self._arch_errors: dict[str, str] = {}  # why a file's layers could not be read
        self._build()
        self.refresh_named_models()

    # ----- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.dataset_label = QLabel("No dataset open.")
        self.dataset_label.setWordWrap(True)

        self.arch_box = QGroupBox("Architecture (random weights)")
        self.arch_combo = QComboBox()
        self.arch_combo.addItems(architectures.ARCHITECTURES)
        self.arch_combo.currentTextChanged.connect(self._changed)
        QVBoxLayout(self.arch_box).addWidget(self.arch_combo)

        self.weights_box = QGroupBox("Start weights")
        grid = QGridLayout(self.weights_box)
        self.source_group = QButtonGroup(self)
        self.named_radio = QRadioButton("Pretrained model")
        self.named_radio.setToolTip("COCO models and imported checkpoints in the app's "
                                    "weights folder (Models…)")
        self.run_radio = QRadioButton("A previous run's best.pt")
        self.file_radio = QRadioButton("A .pt file")
        self.named_combo = QComboBox()
        self.models_button = QPushButton("Models…")
        self.models_button.clicked.connect(self.manage_models.emit)
        self.run_combo = QComboBox()
        self.run_combo.setPlaceholderText("No run with weights on this dataset yet")
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("/path/to/weights.pt")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        for row, (radio, widget, extra) in enumerate((
                (self.named_radio, self.named_combo, self.models_button),
                (self.run_radio, self.run_combo, None),
                (self.file_radio, self.file_edit, browse))):
            self.source_group.addButton(radio)
            grid.addWidget(radio, row, 0)
            grid.addWidget(widget, row, 1)
            if extra is not None:
                grid.addWidget(extra, row, 2)
            radio.toggled.connect(self._changed)
        grid.setColumnStretch(1, 1)
        self.named_combo.currentIndexChanged.connect(self._changed)
        self.run_combo.currentIndexChanged.connect(self._changed)
        self.file_edit.editingFinished.connect(self._changed)
        self.weights_note = QLabel()
        self.weights_note.setWordWrap(True)
        grid.addWidget(self.weights_note, 3, 0, 1, 3)

        self.freeze_box = QGroupBox("Frozen layers")
        fl = QVBoxLayout(self.freeze_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Freeze the first"))
        self.freeze_spin = QSpinBox()
        self.freeze_spin.setRange(0, 99)
        self.freeze_spin.valueChanged.connect(self._changed_freeze)
        row.addWidget(self.freeze_spin)
        row.addWidget(QLabel("layers"))
        self.backbone_button = QPushButton("Backbone")
        self.backbone_button.setToolTip("Freeze exactly the backbone (the default)")
        self.backbone_button.clicked.connect(self._reset_freeze)
        row.addWidget(self.backbone_button)
        row.addStretch(1)
        fl.addLayout(row)
        self.parts_label = QLabel()
        self.parts_label.setWordWrap(True)
        self.parts_label.setStyleSheet("color: palette(dark);")
        fl.addWidget(self.parts_label)
        self.layer_list = QListWidget()
        self.layer_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.layer_list.setFont(QFont("monospace", 9))
        fl.addWidget(self.layer_list)
        self._freeze_touched = False

        layout = QVBoxLayout(self)
        layout.addWidget(self.dataset_label)
        layout.addWidget(self.arch_box)
        layout.addWidget(self.weights_box)
        layout.addWidget(self.freeze_box, 1)
        layout.addStretch(0)
        self.named_radio.setChecked(True)

    # ----- inputs from the wizard -----------------------------------------------------------
    def set_dataset(self, dataset) -> None:
        if dataset is None:
            self.dataset_label.setText("<b>No dataset open.</b> Open one in the Dataset panel "
                                       "(File › Open) first.")
            return
        splits = ", ".join(f"{len(v)} {k}" for k, v in dataset.splits.items())
        where = dataset.yaml_path or dataset.root
        self.dataset_label.setText(
            f"Dataset <b>{dataset.title}</b>: {splits} images, {len(dataset.names)} classes "
            f"({', '.join(dataset.names[:6])}) — <span style='color:gray'>{where}</span>")

    def set_recipe(self, recipe: str) -> None:
        self._recipe = recipe
        self.arch_box.setVisible(recipe == "scratch")
        self.weights_box.setVisible(recipe != "scratch")
        self.freeze_box.setVisible(recipe != "scratch")
        self.freeze_spin.setEnabled(recipe == "freeze")
        self.backbone_button.setEnabled(recipe == "freeze")
        self.freeze_box.setTitle("Frozen layers" if recipe == "freeze"
                                 else "Layers (all trained)")
        self._changed()

    def refresh_named_models(self) -> None:
        current = self.named_combo.currentData()
        self.named_combo.blockSignals(True)
        self.named_combo.clear()
        for status in models.list_models():
            if status.named:
                mark = "on disk" if status.on_disk else "not downloaded"
            else:
                mark = "imported"
            self.named_combo.addItem(f"{status.name}  ({mark})", status.name)
            if not status.on_disk:
                self.named_combo.setItemData(self.named_combo.count() - 1,
                                             QBrush(QColor("gray")), Qt.ItemDataRole.ForegroundRole)
        on_disk = [s.name for s in models.list_models() if s.on_disk]
        index = self.named_combo.findData(current or (on_disk[0] if on_disk else "yolo11n.pt"))
        self.named_combo.setCurrentIndex(max(0, index))
        self.named_combo.blockSignals(False)
        self._changed()

    def set_runs(self, runs: list, prefer_recipe: str | None = None) -> None:
        """Previous runs with a best.pt; the newest of ``prefer_recipe`` is selected."""
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        preferred = -1
        for entry in run_catalogue.entries_of(runs):  # newest first, as everywhere
            if entry.run is None or entry.run.best_weights is None:
                continue
            self.run_combo.addItem(entry.label(), str(entry.run.best_weights))
            if preferred < 0 and entry.recipe == prefer_recipe:
                preferred = self.run_combo.count() - 1
        self.run_combo.setCurrentIndex(max(preferred, 0) if self.run_combo.count() else -1)
        self.run_combo.blockSignals(False)
        self.run_radio.setEnabled(self.run_combo.count() > 0)
        if preferred >= 0:
            self.run_radio.setChecked(True)
        elif self.run_radio.isChecked() and not self.run_radio.isEnabled():
            self.named_radio.setChecked(True)  # the old dataset's run is not offered here
        self._changed()

    # ----- values ----------------------------------------------------------------------------
    @property
    def weights(self) -> str | None:
        if self.named_radio.isChecked():
            return self.named_combo.currentData()
        if self.run_radio.isChecked():
            return self.run_combo.currentData()
        return self.file_edit.text().strip() or None

    def select_weights_file(self, path: str) -> None:
        self.file_edit.setText(path)
        self.file_radio.setChecked(True)
        self._changed()

    def values(self) -> dict[str, Any]:
        """The TrainConfig fields this page sets."""
        if self._recipe == "scratch":
            return {"model": self.arch_combo.currentText()}
        out: dict[str, Any] = {"weights": self.weights}
        if self._recipe == "freeze" and self._freeze_touched:
            out["freeze"] = self.freeze_spin.value()
        return out

    # ----- reactions -------------------------------------------------------------------------
    def _browse(self) -> None:
        start = str(Path(self.file_edit.text()).parent) if self.file_edit.text() else \
            str(appdirs.weights_dir())
        path, _ = QFileDialog.getOpenFileName(self, "Start weights", start,
                                              "PyTorch checkpoints (*.pt)")
        if path:
            self.select_weights_file(path)

    def _changed(self, *_args) -> None:
        self._update_weights_note()
        self._update_layers()
        self.changed.emit()

    def _changed_freeze(self, *_args) -> None:
        self._freeze_touched = self.freeze_spin.value() != self._backbone_default()
        self._paint_layers()
        self.changed.emit()

    def _reset_freeze(self) -> None:
        self._freeze_touched = False
        self._apply_default_freeze()

    def _update_weights_note(self) -> None:
        weights = self.weights if self._recipe != "scratch" else None
        note = ""
        if self._recipe != "scratch" and not weights:
            note = "Pick start weights."
        elif weights and self.named_radio.isChecked() and not (
                appdirs.weights_dir() / weights).is_file():
            note = (f"⚠ {weights} is not on this computer: download it once with Models… (on "
                    f"a connected machine), or pick a .pt file you have.")
        elif weights in self._arch_errors:
            note = f"⚠ {self._arch_errors[weights]}"
        self.weights_note.setText(note)
        self.weights_note.setVisible(bool(note))

    def _backbone_default(self) -> int:
        arch = self._arch_cache.get(str(self.weights or ""))
        if arch:
            return architectures.backbone_size(arch)
        return architectures.default_freeze(str(self.weights or "")) or 10

    def _apply_default_freeze(self) -> None:
        if not self._freeze_touched:
            self.freeze_spin.blockSignals(True)
            self.freeze_spin.setValue(self._backbone_default())
            self.freeze_spin.blockSignals(False)
        self._paint_layers()
        self.changed.emit()

    def _update_layers(self) -> None:
        if self._recipe == "scratch":
            return
        key = str(self.weights or "")
        if key and key not in self._arch_cache:
            if key.lower().endswith((".yaml", ".yml")):  # the review would refuse it anyway
                self._got_arch(key, None, not_a_checkpoint_note(Path(key).name))
                return
            try:
                arch = architectures.model_yaml(key)
            except UserError as exc:  # an unreadable model file: one note, no traceback
                self._got_arch(key, None, str(exc))
                return
            file = resolve_weights_path(key)  # an imported checkpoint is a bare name
            if arch is not None or not file.is_file() or self._context is None:
                self._arch_cache[key] = arch
            else:
                self._arch_cache[key] = None
                self.layer_list.clear()
                self.layer_list.addItem("Reading the checkpoint…")
                start_job(self._context, "Reading the checkpoint", _read_arch, str(file),
                          quiet=True, error_dialog=False,
                          on_done=lambda a, k=key: self._got_arch(k, a),
                          on_failed=lambda msg, k=key: self._got_arch(k, None, msg))
                return
        self._apply_default_freeze()

    def _got_arch(self, key: str, arch: dict | None, error: str = "") -> None:
        self._arch_cache[key] = arch
        if error:
            self._arch_errors[key] = error
            self._update_weights_note()
        if key == str(self.weights or ""):
            self._apply_default_freeze()

    def _paint_layers(self) -> None:
        self.layer_list.clear()
        arch = self._arch_cache.get(str(self.weights or ""))
        if not arch:
            self.parts_label.clear()
            if self.weights:
                self.layer_list.addItem("Layer list unavailable for these weights.")
            return
        frozen = self.freeze_spin.value() if self._recipe == "freeze" else 0
        self.parts_label.setText(architectures.describe_parts(arch, frozen))
        for layer in architectures.layers(arch):
            is_frozen = layer.index < frozen
            mark = "frozen " if is_frozen else "trained"
            item = QListWidgetItem(f"{mark}   {layer.label():<24} {layer.plain()}")
            item.setToolTip(layer.plain())
            item.setForeground(QBrush(FROZEN if is_frozen else TRAINED))
            if is_frozen:
                item.setBackground(QBrush(FROZEN_BG))
            self.layer_list.addItem(item)


def _read_arch(_ctx, path: str) -> dict:
    from penguin_studio.core.training.weights import describe_checkpoint

    return describe_checkpoint(path).arch
