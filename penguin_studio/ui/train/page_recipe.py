"""Wizard page 1: which recipe (scratch, hot start, feature extraction, fine-tuning) or resume."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training.config import MODE_TITLES

RECIPES = (
    ("scratch", "Random weights, every layer learns; no pretrained model needed. Simple "
                "images such as the sample project's train in minutes on a laptop CPU (the "
                "README's first detector); real photos need thousands of images and hours "
                "on a GPU: start those from pretrained weights instead."),
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
    """Five big choices; ``resume`` also picks the run to continue.

    Until the user chooses a recipe (a click on a card, *Use this*, *Use From scratch*, or
    moving on to the next page with the one shown), the selection follows the advice: the
    card selected is the one the suggestion names, so what is shown is what will run. On
    the sample project, with no pretrained weights here, that is From scratch (feature
    extraction could not start at all).
    """

    changed = Signal()
    manage_models = Signal()
    apply_advice = Signal(object)  # core.training.advice.Advice
    title = "Recipe"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chosen = False  # the user picked a recipe: advice no longer moves the selection
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h3>How do you want to train?</h3>"))
        layout.addWidget(self._advice_row())
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
            if key == "freeze":
                box.addWidget(self._no_weights_row())
            if key == "resume":
                self.resume_combo = QComboBox()
                self.resume_combo.setPlaceholderText("No interrupted run on this dataset")
                box.addWidget(self.resume_combo)
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(card)
            button.toggled.connect(lambda on: on and self.changed.emit())
            button.clicked.connect(self.mark_chosen)  # user clicks only, not setChecked
        layout.addStretch(1)
        self.buttons["freeze"].setChecked(True)

    def _advice_row(self) -> QWidget:
        """The recommendation for this dataset and computer (core.training.advice)."""
        self.advice: object | None = None
        self.advice_box = QFrame()
        self.advice_box.setStyleSheet("QFrame { background: #ddf4ff; border-radius: 4px; }")
        row = QHBoxLayout(self.advice_box)
        self.advice_label = QLabel()
        self.advice_label.setWordWrap(True)
        self.advice_button = QPushButton("Use this")
        self.advice_button.setToolTip("Pick this recipe and put its image size, batch and "
                                      "time budget on the settings page")
        self.advice_button.clicked.connect(lambda: self.advice and
                                           self.apply_advice.emit(self.advice))
        row.addWidget(self.advice_label, 1)
        row.addWidget(self.advice_button)
        self.advice_box.setVisible(False)
        return self.advice_box

    def set_advice(self, advice) -> None:
        """Show a recommendation (``None`` hides it); select its recipe unless the user
        has chosen one."""
        self.advice = advice
        self.advice_box.setVisible(advice is not None)
        if advice is not None and not self.chosen and advice.recipe in self.buttons:
            self.buttons[advice.recipe].setChecked(True)
        if advice is not None:
            self.advice_label.setText(f"<b>Suggested:</b> {advice.why}.")
            self.advice_label.setToolTip("From the train split (images, boxes per class, "
                                         "box sizes) and this computer; the rules and the "
                                         "measurements behind them are in the README.")

    def _no_weights_row(self) -> QWidget:
        """Shown when this computer has no pretrained weights: the default recipe would
        only fail on the review page, three pages later."""
        self.no_weights = QWidget()
        row = QHBoxLayout(self.no_weights)
        row.setContentsMargins(22, 0, 0, 0)
        self.no_weights_label = QLabel(
            "⚠ No pretrained weights on this computer yet, and this recipe starts from "
            "them: get a model with Models… (download once, or import a .pt you have), "
            "or train From scratch.")
        self.no_weights_label.setWordWrap(True)
        self.no_weights_label.setStyleSheet("color: #9a6700;")
        models_button = QPushButton("Models…")
        models_button.clicked.connect(self.manage_models.emit)
        scratch_button = QPushButton("Use From scratch")
        scratch_button.clicked.connect(lambda: self.set_recipe("scratch"))
        row.addWidget(self.no_weights_label, 1)
        row.addWidget(models_button)
        row.addWidget(scratch_button)
        self.no_weights.setVisible(False)
        return self.no_weights

    def set_weights_available(self, available: bool) -> None:
        """Whether any start weights exist here (a model on disk, or a run's best.pt)."""
        self.no_weights.setVisible(not available)

    @property
    def recipe(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())

    def set_recipe(self, key: str) -> None:
        """Select ``key`` as the user's choice (advice arriving later leaves it alone)."""
        self.mark_chosen()
        self.buttons[key].setChecked(True)

    def mark_chosen(self) -> None:
        """The recipe shown is the user's choice from now on."""
        self.chosen = True

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
            self.buttons["freeze"].setChecked(True)

    @property
    def resume_dir(self) -> Path | None:
        data = self.resume_combo.currentData()
        return Path(data) if data else None

    def summary(self) -> str:
        return MODE_TITLES.get(self.recipe, "Resume")
