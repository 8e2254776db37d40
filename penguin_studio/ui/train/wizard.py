"""The training wizard: recipe → data & model → settings → review → start.

A page flow inside the panel (not a dialog) so the monitor and history stay one click
away. It edits a :class:`TrainConfig` and hands it to the panel, which runs it exactly as
``penguin-studio train`` would.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training import models, runs
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.ui.jobs import start_job
from penguin_studio.ui.train.page_model import ModelPage
from penguin_studio.ui.train.page_recipe import RecipePage
from penguin_studio.ui.train.page_review import ReviewPage
from penguin_studio.ui.train.page_settings import SettingsPage


def _advise(_ctx, dataset, pretrained: bool):
    from penguin_studio.core.training import advice

    return advice.advise(advice.dataset_stats(dataset), advice.this_hardware(), pretrained)


def _preview(_ctx, config: TrainConfig) -> TrainConfig:
    from penguin_studio.core.training.plan import plan_run

    return plan_run(config, write=False)


class TrainWizard(QWidget):
    start_requested = Signal(object)  # TrainConfig
    resume_requested = Signal(object)  # run folder
    manage_models = Signal()

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset = None
        self.recipe_page = RecipePage()
        self.model_page = ModelPage(context=context)
        self.settings_page = SettingsPage()
        self.review_page = ReviewPage()
        self.pages = [self.recipe_page, self.model_page, self.settings_page, self.review_page]
        self._preview_id = 0
        self._planned: TrainConfig | None = None
        self._planned_from: TrainConfig | None = None  # the config() that _planned plans
        self._known_runs: list = []
        self._build()
        self.recipe_page.changed.connect(self._recipe_changed)
        self.recipe_page.apply_advice.connect(self.apply_advice)
        self.model_page.manage_models.connect(self.manage_models.emit)
        self.model_page.changed.connect(self._model_changed)
        self.recipe_page.manage_models.connect(self.manage_models.emit)
        context.dataset_changed.connect(self.set_dataset)
        self.set_dataset(context.dataset)
        self._recipe_changed()
        self.go(0)

    def _build(self) -> None:
        self.steps = [QLabel(f"{i + 1}. {p.title}") for i, p in enumerate(self.pages)]
        header = QHBoxLayout()
        for i, label in enumerate(self.steps):
            if i:
                header.addWidget(QLabel("›"))
            header.addWidget(label)
        header.addStretch(1)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.stack.addWidget(page)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(lambda: self.go(self.stack.currentIndex() + 1))
        self.start_button = QPushButton("Start training")
        self.start_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 14px; }")
        self.start_button.clicked.connect(self._start)
        nav = QHBoxLayout()
        nav.addStretch(1)
        for b in (self.back_button, self.next_button, self.start_button):
            nav.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addLayout(nav)

    # ----- state from outside ---------------------------------------------------------------
    def set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.model_page.set_dataset(dataset)
        self.refresh_runs()
        self._update_buttons()
        self._request_advice()

    # ----- recipe advice ------------------------------------------------------------------------
    def _request_advice(self) -> None:
        """Statistics read in the background (label files only), then page 1 shows advice."""
        self.recipe_page.set_advice(None)
        ds = self.dataset
        if ds is None or ds.yaml_path is None or not ds.splits.get("train"):
            return
        pretrained = any(m.on_disk for m in models.list_models()) or any(
            r.best_weights is not None for r in self._history())
        self._advice_for = ds
        start_job(self.context, "Recipe advice", _advise, ds, pretrained, quiet=True,
                  error_dialog=False, on_done=lambda a, d=ds: self._advised(d, a))

    def _advised(self, dataset, advice) -> None:
        import shiboken6

        # the job is the app context's, so it can end after this wizard was closed
        if dataset is self.dataset and shiboken6.isValid(self.recipe_page):
            self.recipe_page.set_advice(advice)

    def apply_advice(self, advice) -> None:
        """The suggested recipe, image size, batch and time budget into the pages."""
        self.recipe_page.set_recipe(advice.recipe)
        s = self.settings_page
        s.imgsz.setValue(advice.imgsz)
        s.batch.setValue(advice.batch)
        s.use_time.setChecked(True)
        s.hours.setValue(round(advice.minutes / 60, 2))

    def refresh_runs(self) -> None:
        """The runs changed (a dataset opened, a run started or ended): re-derive the pages,
        and the review's plan, whose run name may now be taken."""
        history = self._history()
        self.recipe_page.set_resumable_runs([r for r in history if r.resumable])
        prefer = "freeze" if self.recipe_page.recipe == "finetune" else None
        self.model_page.set_runs(history, prefer_recipe=prefer)
        self._show_weights_available(history)
        self._replan()

    def _show_weights_available(self, history: list | None = None) -> None:
        """Page 1 says at once when no start weights exist (else: a dead end at review)."""
        if history is not None:
            self._known_runs = history
        history = self._known_runs
        on_disk = any(m.on_disk for m in models.list_models())
        self.recipe_page.set_weights_available(
            on_disk or any(r.best_weights is not None for r in history))

    def _replan(self) -> None:
        """What the review page shows is what Start runs: plan again on any change."""
        self._planned = None
        if self.stack.currentWidget() is self.review_page:
            self._request_preview()
        self._update_buttons()

    def _model_changed(self) -> None:
        frozen = self.model_page.freeze_spin.value() \
            if self.recipe_page.recipe == "freeze" else None
        self.settings_page.set_frozen(frozen)
        self._show_weights_available()
        if self.stack.currentWidget() is self.review_page:
            self._replan()  # e.g. a model imported in the Models dialog

    def _history(self) -> list:
        ds = self.dataset
        if ds is None or ds.yaml_path is None:
            return []
        return runs.list_runs(ds.yaml_path, ds.root)

    # ----- navigation -------------------------------------------------------------------------
    def go(self, index: int) -> None:
        index = max(0, min(index, len(self.pages) - 1))
        if index > 0:
            self.recipe_page.mark_chosen()  # went on with the recipe shown: it is chosen
        self.stack.setCurrentIndex(index)
        for i, label in enumerate(self.steps):
            label.setStyleSheet("font-weight: bold;" if i == index else "color: gray;")
        if self.pages[index] is self.review_page:
            self._request_preview()
        self._update_buttons()

    def _update_buttons(self) -> None:
        index = self.stack.currentIndex()
        resume = self.recipe_page.recipe == "resume"
        has_data = self.dataset is not None and self.dataset.yaml_path is not None
        self.back_button.setEnabled(index > 0)
        self.next_button.setVisible(index < len(self.pages) - 1 and not resume)
        self.next_button.setEnabled(has_data)
        on_review = self.pages[index] is self.review_page
        self.start_button.setVisible(on_review or resume)
        self.start_button.setText("Resume run" if resume else "Start training")
        self.start_button.setEnabled(
            (resume and self.recipe_page.resume_dir is not None)
            or (on_review and self._planned is not None))

    def _recipe_changed(self) -> None:
        recipe = self.recipe_page.recipe
        if recipe != "resume":
            self.model_page.set_recipe(recipe)
            self.settings_page.set_recipe(recipe)
            if recipe == "finetune":
                self.model_page.set_runs(self._history(), prefer_recipe="freeze")
        self._update_buttons()

    # ----- the config --------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The TrainConfig the pages describe (before planning)."""
        data = str(self.dataset.yaml_path) if self.dataset is not None else ""
        values = {**self.model_page.values(), **self.settings_page.values()}
        return TrainConfig(data=data, mode=self.recipe_page.recipe, **values)

    def _request_preview(self) -> None:
        self._planned = None
        self._preview_id += 1
        ticket = self._preview_id
        config = self.config()
        self.review_page.show_pending()
        start_job(self.context, "Planning", _preview, config, quiet=True, error_dialog=False,
                  on_done=lambda plan: self._previewed(ticket, config, plan),
                  on_failed=lambda msg: self._preview_failed(ticket, msg))

    def _previewed(self, ticket: int, config: TrainConfig, plan: TrainConfig) -> None:
        if ticket != self._preview_id:
            return
        self._planned, self._planned_from = plan, config
        title = self.dataset.title if self.dataset is not None else ""
        self.review_page.show_plan(plan, asked_name=config.name, dataset=title)
        self._update_buttons()

    def _preview_failed(self, ticket: int, message: str) -> None:
        if ticket != self._preview_id:
            return
        self.review_page.show_error(message)
        self._update_buttons()

    def _start(self) -> None:
        if self.recipe_page.recipe == "resume":
            run_dir = self.recipe_page.resume_dir
            if run_dir is not None:
                self.resume_requested.emit(Path(run_dir))
            return
        config = self.config()
        if self._planned is None or config != self._planned_from:
            self._replan()  # something changed since the review was drawn: show it first
            return
        self.start_requested.emit(config)
