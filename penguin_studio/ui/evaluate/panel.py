"""The Evaluate panel: how good is a model on a split, and on which images is it wrong.

*Evaluate* runs ultralytics' ``val()`` in the background (cancellable) and shows its own
figures: the per-class table, precision-recall and confidence curves, the confusion
matrix, and the per-image errors. The confidence and matching-IoU sliders re-count the
matrix and the errors from the cached predictions instantly. *Edit labels* opens an image
in the Dataset editor; *Evaluate* again after fixing.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.core.evaluation import DEFAULT_CONF, DEFAULT_MATCH_IOU, Evaluation
from penguin_studio.ui.context import dataset_key
from penguin_studio.ui.widgets.job_control import JobControl
from penguin_studio.ui.widgets.sliders import FractionSlider, threshold_row
from penguin_studio.ui.widgets.weights_picker import (
    WeightsPicker,
    model_size_box,
    show_problems,
)


def evaluate_job(ctx, weights: str, data: str, split: str, imgsz: int | None) -> Evaluation:
    """Background job: ultralytics val() plus the recorded per-image boxes."""
    from penguin_studio.core.evaluation import evaluate

    return evaluate(weights, data, split=split, imgsz=imgsz, ctx=ctx)


RECOUNT_DELAY_MS = 40


def model_title(weights: str | Path) -> str:
    """A model named so that two runs differ: ``runs/<run>/weights/best.pt`` reads
    "<run> (best.pt)" (every run's file is called best.pt); another file is its name."""
    path = Path(weights)
    if path.parent.name == "weights" and path.parent.parent.name:
        return f"{path.parent.parent.name} ({path.name})"
    return path.name


class EvaluatePanel(QWidget):
    """Model, split and Evaluate on top; thresholds; four tabs of results."""

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.evaluation: Evaluation | None = None
        self._dataset_key = ""  # the data yaml the results belong to
        self._build()
        context.dataset_changed.connect(self._on_dataset)
        self._on_dataset(context.dataset)

    # ----- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        # pyqtgraph costs ~1 s to import: only when this panel is first shown
        from penguin_studio.ui.evaluate.class_table import ClassTable
        from penguin_studio.ui.evaluate.confusion import ConfusionView
        from penguin_studio.ui.evaluate.curves import CurvesView
        from penguin_studio.ui.evaluate.mistakes import MistakesView

        self.weights = WeightsPicker()
        self.split = QComboBox()
        self.imgsz = model_size_box()
        self.run_button = QPushButton("Evaluate")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.job = JobControl(self.context, self.run_button, self.progress, "Evaluation", self,
                              run=self.run)
        self.conf = FractionSlider("Confidence", DEFAULT_CONF,
                                   "Predictions below this are ignored in the confusion "
                                   "matrix and the error counts", minimum=0.0)
        self.iou = FractionSlider("Match IoU", DEFAULT_MATCH_IOU,
                                  "A prediction counts as finding an object when their boxes "
                                  "overlap more than this", minimum=0.05)
        self.summary = QLabel("Choose a model and a split, then Evaluate.")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35c00;")
        self.warning.setVisible(False)
        self.classes = ClassTable()
        self.curves = CurvesView()
        self.confusion = ConfusionView()
        self.mistakes = MistakesView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.classes, "Classes")
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.confusion, "Confusion matrix")
        self.tabs.addTab(self.mistakes, "Where it's wrong")
        self._arrange()
        # re-counting thousands of images takes ~0.1 s: do it once the slider rests
        self._recount = QTimer(self, singleShot=True, interval=RECOUNT_DELAY_MS)
        self._recount.timeout.connect(self._thresholds_changed)
        self.conf.value_changed.connect(self._threshold_moved)
        self.iou.value_changed.connect(lambda _v: self._recount.start())
        self.mistakes.edit_requested.connect(
            lambda path: self.context.request_edit(path, back_to="evaluate"))
        self.job.failed.connect(self._warn)
        self.weights.changed.connect(self._weights_changed)
        show_problems(self.weights, self.warning.text, self._warn)

    def _arrange(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.weights, 1)
        top.addWidget(QLabel("Split"))
        top.addWidget(self.split)
        top.addWidget(QLabel("Size"))
        top.addWidget(self.imgsz)
        top.addWidget(self.progress)
        top.addWidget(self.run_button)
        thresholds = threshold_row(self.conf, self.iou)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(thresholds)
        layout.addWidget(self.summary)
        layout.addWidget(self.warning)
        layout.addWidget(self.tabs, 1)

    def _warn(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def clear_results(self, text: str = "Choose a model and a split, then Evaluate.") -> None:
        """No figures from another dataset or model stay on screen under new inputs."""
        if self.evaluation is not None:
            self.show_evaluation(None)
        self.summary.setText(text)

    def _weights_changed(self, path: str) -> None:
        ev = self.evaluation
        if ev is not None and Path(path).expanduser().resolve() != Path(ev.weights).resolve():
            self.clear_results(f"Evaluate to see how {Path(path).name or 'this model'} does.")

    # ----- dataset ------------------------------------------------------------------------
    def _on_dataset(self, dataset) -> None:
        key = dataset_key(dataset)
        if key != self._dataset_key:  # another dataset (a reload of this one keeps results)
            self._dataset_key = key
            if self.job.busy:
                self.job.cancel()
            self.clear_results()
            self._warn("")
        self.weights.refresh(dataset)
        current = self.split.currentText()
        self.split.clear()
        splits = [] if dataset is None else [s for s in SPLITS if dataset.splits.get(s)]
        self.split.addItems(splits)
        preferred = current if current in splits else ("val" if "val" in splits else "")
        if preferred:
            self.split.setCurrentText(preferred)
        self.run_button.setEnabled(bool(splits) or self.job.busy)

    # ----- running ------------------------------------------------------------------------
    def run(self) -> None:
        """Evaluate the chosen model on the chosen split in the background."""
        dataset = self.context.dataset
        weights = self.weights.path()
        if dataset is None or dataset.yaml_path is None or not weights:
            self._warn("Open a dataset with a data yaml and choose a model first.")
            return
        problem = self.weights.problem()
        if problem:  # one line saying what the file is; no job, no traceback
            self._warn(problem)
            self.context.status_message.emit(problem, 8000)
            return
        self._warn("")
        split = self.split.currentText()
        key = self._dataset_key
        self.job.start(evaluate_job, weights, str(dataset.yaml_path), split,
                       self.imgsz.value() or None,
                       on_done=lambda ev: key == self._dataset_key and self._evaluated(ev),
                       on_error=lambda _msg: self.clear_results("Evaluation failed: no "
                                                                "results (why: below)."),
                       label=f"Evaluating {model_title(weights)} on {split}…")

    def _evaluated(self, evaluation: Evaluation) -> None:
        self.weights.remember()
        self.show_evaluation(evaluation)
        o = evaluation.overall
        self.context.status_message.emit(
            f"Evaluated {model_title(evaluation.weights)} on {evaluation.split}: "
            f"mAP50 {o.map50:.3f}, "
            f"mAP50-95 {o.map50_95:.3f}", 8000)

    # ----- showing ------------------------------------------------------------------------
    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        self.evaluation = evaluation
        conf, iou = self.conf.value(), self.iou.value()
        self.classes.show_evaluation(evaluation)
        self.curves.show_evaluation(evaluation, conf)
        self.mistakes.show_evaluation(evaluation, conf, iou)
        self._show_confusion()
        if evaluation is None:
            return
        o = evaluation.overall
        self.summary.setText(
            f"<b>{html.escape(model_title(evaluation.weights))}</b> on <b>{evaluation.split}</b> "
            f"({len(evaluation.images)} images, {o.instances} objects, imgsz "
            f"{evaluation.imgsz}): mAP50 <b>{o.map50:.3f}</b> · mAP50-95 {o.map50_95:.3f} · "
            f"precision {o.precision:.3f} · recall {o.recall:.3f}")
        self._warn(evaluation.warning)

    def _threshold_moved(self, conf: float) -> None:
        if self.evaluation is not None:
            self.curves.set_threshold(conf)  # cheap: follows the slider at once
        self._recount.start()

    def _thresholds_changed(self) -> None:
        if self.evaluation is None:
            return
        self.mistakes.set_thresholds(self.conf.value(), self.iou.value())
        self._show_confusion()

    def _show_confusion(self) -> None:
        ev = self.evaluation
        if ev is None:
            self.confusion.set_matrix([[0]], [""], "Evaluate a model to see its confusions.")
            return
        conf, iou = self.conf.value(), self.iou.value()
        labels = [ev.class_name(c) for c in range(ev.nc)] + ["background"]
        self.confusion.set_matrix(ev.confusion(conf, iou), labels,
                                  f"At confidence {conf:.2f}, match IoU {iou:.2f}. Columns: "
                                  "the true class; rows: what the model said.")

    # ----- lifecycle ----------------------------------------------------------------------
    def wait_until_idle(self, timeout_s: float = 300.0) -> bool:
        """Before a screenshot: the running job (if any) is over."""
        return self.job.wait_until_idle(timeout_s)

    def shutdown(self) -> None:
        self.job.shutdown()
