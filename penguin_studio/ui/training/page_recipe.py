"""Wizard page 1: which recipe (scratch, hot start, feature extraction, fine-tuning) or resume."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training.config import MODE_TITLES

RECIPES = (
    ("scratch", "Random weights, every layer learns. Needs many images and hours on a GPU; on "
                "a laptop CPU it learns little from a few hundred photos."),
    ("hotstart", "Start from pretrained weights and train every layer with ultralytics' own "
                 "default settings: the simplest way to adapt a COCO model, given a GPU or "
                 "time."),
    ("freeze", "Start from pretrained weights (a COCO model or one of your runs), freeze the "
               "backbone and train only the detection head. Fast and data-frugal: the "
               "first choice on a CPU."),
    ("finetune", "Continue from a feature-extraction run with every layer unfrozen and a low "
                 "learning rate, to adapt the features themselves to your images."),
    ("resume", "Continue a run that was stopped, or failed, to its planned epochs."),
)


class RecipePage(QWidget):
    """Five big choices; ``resume`` also picks the run to continue."""

    changed = Signal()
    title = "Recipe"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h3>How do you want to train?</h3>"))
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key, text in RECIPES:
            card = QFrame()
            card.setFrameShape(QFrame.Shape.StyledPanel)
            box = QVBoxLayout(card)
            title = MODE_TITLES.get(key, "Resume an interrupted run")
            button = QRadioButton(title)
            button.setStyleSheet("QRadioButton { font-weight: bold; }")
            note = QLabel(text)
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(dark); margin-left: 22px;")
            box.addWidget(button)
            box.addWidget(note)
            if key == "resume":
                self.resume_combo = QComboBox()
                self.resume_combo.setPlaceholderText("No interrupted run on this dataset")
                box.addWidget(self.resume_combo)
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(card)
            button.toggled.connect(lambda on: on and self.changed.emit())
        layout.addStretch(1)
        self.buttons["freeze"].setChecked(True)

    @property
    def recipe(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())

    def set_recipe(self, key: str) -> None:
        self.buttons[key].setChecked(True)

    def set_resumable_runs(self, runs: list) -> None:
        """Offer the runs that can be resumed (newest first)."""
        self.resume_combo.clear()
        for run in reversed(runs):
            label = f"{run.name} — {run.recipe}, {run.status}, epoch " \
                    f"{run.epochs_done}/{run.epochs_planned}"
            self.resume_combo.addItem(label, str(run.path))
        has = self.resume_combo.count() > 0
        self.buttons["resume"].setEnabled(has)
        if not has and self.recipe == "resume":
            self.set_recipe("freeze")

    @property
    def resume_dir(self) -> Path | None:
        data = self.resume_combo.currentData()
        return Path(data) if data else None

    def summary(self) -> str:
        return MODE_TITLES.get(self.recipe, "Resume")
