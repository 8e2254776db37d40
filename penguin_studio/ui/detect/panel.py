"""The Detect panel: run a model on an image, a folder or a video, with instant sliders.

The model runs once per source (in the background, cancellable); moving the confidence or
IoU slider, ticking a class or switching images only re-filters the cached candidates, so
it is instant. Test-time augmentation is a second cached run, and both inference times are
shown. Results can be saved as annotated images or video, or as YOLO labels; the same
model can pre-label the dataset's unlabelled images for review in the editor.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.inference import predict
from penguin_studio.core.outputs_guard import default_output_folder
from penguin_studio.ui.context import dataset_key
from penguin_studio.ui.detect.counts_tab import CountsTab, view_tabs
from penguin_studio.ui.detect.output_target import ask_output_folder
from penguin_studio.ui.detect.session import (
    DetectionSession,
    labels_job,
    predict_job,
    prelabel_job,
    save_job,
)
from penguin_studio.ui.detect.video_tracking import VideoTracking
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.widgets.backend_combo import BackendCombo
from penguin_studio.ui.widgets.box_canvas import BoxCanvas
from penguin_studio.ui.widgets.class_toggles import ClassToggles
from penguin_studio.ui.widgets.elided_label import ElidedLabel
from penguin_studio.ui.widgets.job_control import JobControl
from penguin_studio.ui.widgets.sliders import FractionSlider, threshold_row
from penguin_studio.ui.widgets.weights_picker import (
    WeightsPicker,
    model_size_box,
    show_problems,
)

COUNT_DELAY_MS = 60  # per-image counts follow a slider once it rests (1,000s of images)


class DetectPanel(QWidget):
    """Model + source on top, sliders, image list | canvas | classes, output actions."""

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.session = DetectionSession()
        self.source: str = ""
        self._dataset_key = ""  # the dataset the shown results were made under
        self._auto_source = False  # the source is the dataset's own default folder
        self._build()
        context.dataset_changed.connect(self._on_dataset)
        self._on_dataset(context.dataset)

    # ----- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.weights = WeightsPicker()
        self.backend = BackendCombo()  # what runs the model (Settings' choice by default)
        self.imgsz = model_size_box()
        self.tta = QCheckBox("Test-time augmentation")
        self.tta.setToolTip("Predict on flipped and rescaled copies too: slower, "
                            "sometimes more accurate. Both timings are shown.")
        self.run_button = QPushButton("Detect")
        self.run_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.job = JobControl(self.context, self.run_button, self.progress, "Detection", self,
                              run=self.run)
        self.source_label = ElidedLabel("No source chosen")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.conf = FractionSlider("Confidence", self.session.conf,
                                   "Hide boxes the model is less sure of than this")
        self.iou = FractionSlider("IoU (NMS)", self.session.iou,
                                  "Merge boxes of one class overlapping more than this",
                                  minimum=0.01)
        self.items = QListWidget()
        self.items.setMaximumWidth(240)
        self.canvas = BoxCanvas()
        self.classes = ClassToggles()
        self.info = QLabel()
        self.info.setWordWrap(True)
        # never squeezed below the height its wrapped lines need (it was clipped)
        self.info.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b35c00;")
        # Room for a two-line message (a refused target says why and what to do): a wrapped
        # label beside buttons otherwise gets one line's height and is cut.
        self.message.setMinimumHeight(2 * self.message.fontMetrics().lineSpacing() + 4)
        self.save_button = QPushButton("Save annotated…")
        self.labels_button = QPushButton("Export YOLO labels…")
        self.prelabel_button = QPushButton("Pre-label unlabelled images…")
        self.prelabel_button.setToolTip("Propose boxes on the dataset's unlabelled images with "
                                        "this model; review them in the editor.")
        self._count_timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._update_item_counts)
        self._arrange()
        self._connect()
        self._update_actions()

    def _arrange(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.weights, 1)
        top.addWidget(self.backend)
        top.addWidget(QLabel("Size"))
        top.addWidget(self.imgsz)
        top.addWidget(self.tta)
        sources = QHBoxLayout()
        for text, slot in (("Image…", self._choose_image), ("Folder…", self._choose_folder),
                           ("Video…", self._choose_video)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            sources.addWidget(button)
        sources.addWidget(self.source_label, 1)
        sources.addWidget(self.progress)
        sources.addWidget(self.run_button)
        sliders = threshold_row(self.conf, self.iou)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Classes</b>"))
        side_layout.addWidget(self.classes, 1)
        side_layout.addWidget(self.info)
        self.video_tracking = VideoTracking(self.context, self.canvas)
        self.video_tracking.tracks_ready.connect(self._render)
        self.video_tracking.message.connect(self.message.setText)
        side_layout.addWidget(self.video_tracking)
        side.setMaximumWidth(260)
        self.counts_tab = CountsTab(self.context)
        self.view_tabs = view_tabs(self.canvas, self.counts_tab, self.items)
        self.counts_tab.message.connect(self.message.setText)
        body = QSplitter()
        for widget in (self.items, self.view_tabs, side):
            body.addWidget(widget)
        for index, stretch in enumerate((0, 1, 0)):  # the image takes what the lists leave
            body.setStretchFactor(index, stretch)
        body.setSizes([170, 2000, 260])
        bottom = QHBoxLayout()
        for widget in (self.save_button, self.labels_button, self.prelabel_button):
            bottom.addWidget(widget)
        bottom.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        for row in (top, sources, sliders):
            layout.addLayout(row)
        layout.addWidget(body, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.conf.value_changed.connect(self._set_conf)
        self.iou.value_changed.connect(self._set_iou)
        self.items.currentRowChanged.connect(self._show_item)
        self.classes.changed.connect(self._classes_changed)
        self.tta.toggled.connect(self._tta_toggled)
        self.save_button.clicked.connect(self._save_annotated)
        self.labels_button.clicked.connect(self._export_labels)
        self.prelabel_button.clicked.connect(self._prelabel)
        self.weights.changed.connect(self._weights_changed)
        show_problems(self.weights, self.message.text, self.message.setText)
        self.job.failed.connect(self.message.setText)
        self.job.finished.connect(self._update_actions)

    # ----- dataset and sources ------------------------------------------------------------
    def _on_dataset(self, dataset) -> None:
        key = dataset_key(dataset)
        changed = key != self._dataset_key  # a reload of the same dataset keeps results
        self._dataset_key = key
        if changed and self.job.busy:
            self.job.cancel()
        self.weights.refresh(dataset)
        if dataset is not None and (not self.source or (changed and self._auto_source)):
            images = dataset.images("val") or dataset.images("test") or dataset.images()
            if images:
                self.set_source(str(images[0].parent), run=False)
                self._auto_source = True
        if changed:
            self.clear_results()
        self._update_actions()

    def clear_results(self) -> None:
        """Forget the boxes shown: they came from another dataset, model or a failed run."""
        if self.session.runs:
            self.session.reset()
            self._fill_items()

    def _weights_changed(self, path: str) -> None:
        shown = self.session.current
        if shown is not None and \
                Path(path).expanduser().resolve() != Path(shown.model.weights).resolve():
            self.clear_results()
        self._update_actions()

    def set_source(self, source: str, run: bool = True) -> None:
        """Show ``source`` (image, folder or video) and predict it when a model is chosen."""
        self.source = source
        self._auto_source = False
        self.source_label.setText(source)
        self.session.reset()
        self._fill_items()
        if run and self.weights.path():
            self.run()

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image", self._start_dir(),
                                              "Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff "
                                              "*.webp);;All files (*)")
        if path:
            self.set_source(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of images", self._start_dir())
        if path:
            self.set_source(path)

    def _choose_video(self) -> None:
        suffixes = " ".join(f"*{s}" for s in sorted(predict.VIDEO_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Video", self._start_dir(),
                                              f"Videos ({suffixes});;All files (*)")
        if path:
            self.set_source(path)

    def _start_dir(self) -> str:
        return start_folder(self.context.dataset, self.source)

    # ----- running the model --------------------------------------------------------------
    def run(self) -> None:
        """Predict the source with the chosen model (TTA as ticked) in the background."""
        weights = self.weights.path()
        if not weights or not self.source:
            self.message.setText("Choose a model and an image, a folder or a video first.")
            return
        if self._refuse_weights():
            return
        self.message.setText("")
        self.job.start(predict_job, weights, self.source, self.imgsz.value() or None,
                       self.tta.isChecked(), self.backend.value(), on_done=self._predicted,
                       on_error=lambda _msg: self.clear_results(),
                       label=f"Detecting in {Path(self.source).name}…")

    def _predicted(self, preds: predict.Predictions) -> None:
        self.weights.remember()
        self.session.add_run(preds)
        self.session.augment = preds.augment
        self.classes.set_classes(preds.model.names)
        self.session.hidden = set(range(len(preds.model.names))) - self.classes.visible_classes()
        self._fill_items()
        notes = [preds.skipped_message(), preds.backend_note]
        if self.context.dataset is not None:
            notes.append(predict.class_mismatch(preds.model.names, self.context.dataset.names))
        self.message.setText(" ".join(n for n in notes if n))
        what = "frame" if preds.kind == "video" else "image"
        count = len(preds.items)
        self.context.status_message.emit(
            f"{count} {what}{'s' if count != 1 else ''} predicted; move the sliders to "
            "re-filter.", 5000)

    def _tta_toggled(self, on: bool) -> None:
        self.session.augment = on
        if self.session.current is None and self.session.runs:
            self.run()
        else:
            self._render()

    # ----- showing ------------------------------------------------------------------------
    def _fill_items(self) -> None:
        preds = self.session.current
        self.items.blockSignals(True)
        self.items.clear()
        if preds is not None:
            self.items.addItems([item.label for item in preds.items])
            self._update_item_counts()
        self.items.blockSignals(False)
        if preds is not None and preds.items:
            self.items.setCurrentRow(min(self.session.index, len(preds.items) - 1))
            self._show_item(self.items.currentRow())
        else:
            self.canvas.set_image(None, self._hint())
            self._render()

    def _update_item_counts(self) -> None:
        """Each image (or frame) of the list with the number of boxes it shows now, so the
        ones with detections stand out; re-counted once a slider rests."""
        preds = self.session.current
        if preds is None or self.items.count() != len(preds.items):
            return
        for row, item in enumerate(preds.items):
            n = self.session.shown_count(row)
            widget = self.items.item(row)
            widget.setText(f"{item.label}  ·  {n}")
            widget.setData(Qt.ItemDataRole.UserRole, n)
            widget.setToolTip(f"{item.label}: {n} box{'es' if n != 1 else ''} at the "
                              "current confidence, IoU and classes")

    def _hint(self) -> str:
        if not self.weights.path():
            return "Choose a model (a trained .pt) above."
        if not self.source:
            return "Open an image, a folder or a video."
        return (f"Press Detect to run {Path(self.weights.path()).name} on "
                f"{Path(self.source).name}.")

    def _show_item(self, row: int) -> None:
        preds = self.session.current
        if preds is None or not 0 <= row < len(preds.items):
            return
        self.session.index = row
        image = predict.load_pixels(preds.items[row])
        self.canvas.set_image(image, f"Cannot show {preds.items[row].label}")
        self._render()

    def _set_conf(self, value: float) -> None:
        self.session.conf = value
        self._render()

    def _set_iou(self, value: float) -> None:
        self.session.iou = value
        self._render()

    def _classes_changed(self) -> None:
        preds = self.session.current
        names = preds.model.names if preds else []
        self.session.hidden = set(range(len(names))) - self.classes.visible_classes()
        self._render()

    def _render(self) -> None:
        """Re-filter the cached candidates of the shown image and draw them."""
        started = time.perf_counter()
        tracked = self.video_tracking.render(self.session)
        self.canvas.set_boxes(self.session.drawn_boxes() if tracked is None else tracked)
        self.classes.set_counts(self.session.counts())
        elapsed = (time.perf_counter() - started) * 1000
        self._count_timer.start()
        self.counts_tab.schedule(self.session)
        self._update_actions()
        if self.session.current is None:
            self.info.setText("")
            return
        shown = len(self.canvas.drawn_boxes())
        timing = self.session.timing_text("<br>")  # one fact a line: little left to wrap
        self.info.setText(f"{shown} box{'es' if shown != 1 else ''} shown "
                          f"(re-filtered in {elapsed:.1f} ms)"
                          + (f"<br>{timing}" if timing else ""))

    def _update_actions(self) -> None:
        idle = not self.job.busy
        has_run = self.session.current is not None and idle
        self.save_button.setEnabled(has_run)
        self.labels_button.setEnabled(has_run)
        self.prelabel_button.setEnabled(idle and bool(self.weights.path())
                                        and self.context.dataset is not None)

    # ----- outputs ------------------------------------------------------------------------
    def _filter_args(self) -> tuple:
        return (self.session.conf, self.session.iou, self.session.visible_classes())

    def default_output_folder(self, suffix: str = "") -> Path:
        """``detections/<model>-<date>/`` beside the dataset: never among the inputs."""
        return default_output_folder(self.weights.path(), self.context.dataset,
                                     self.source, suffix=suffix)

    def _save_annotated(self) -> None:
        folder = ask_output_folder(self, "Save annotated images", "the annotated images",
                                   self.default_output_folder())
        if folder:
            self.save_annotated_to(folder)

    def save_annotated_to(self, folder: str) -> None:
        """Save in the background; a folder holding inputs is refused with a message."""
        self.job.start(save_job, self.session.current, folder, *self._filter_args(),
                       self.context.dataset, label="Saving annotated images…",
                       on_done=lambda paths: self._said(f"Saved {len(paths)} file(s) in "
                                                        f"{folder}"))

    def _export_labels(self) -> None:
        folder = ask_output_folder(self, "Export YOLO labels", "the YOLO label files",
                                   self.default_output_folder("-labels"))
        if folder:
            self.export_labels_to(folder)

    def export_labels_to(self, folder: str) -> None:
        self.job.start(labels_job, self.session.current, folder, *self._filter_args(),
                       self.context.dataset, label="Writing labels…",
                       on_done=lambda paths: self._said(f"Wrote {len(paths)} label file(s) "
                                                        f"in {folder}"))

    def _prelabel(self) -> None:
        conf, ok = QInputDialog.getDouble(
            self, "Pre-label unlabelled images",
            "Propose the boxes the model is at least this sure of:", self.session.conf,
            0.01, 0.99, 2)
        if ok:
            self.prelabel(conf)

    def prelabel(self, conf: float) -> None:
        """Propose boxes on the dataset's unlabelled images (kept apart for review)."""
        if self._refuse_weights():
            return
        self.job.start(prelabel_job, self.context.dataset, self.weights.path(), conf,
                       self.session.iou, self.backend.value(),
                       label="Pre-labelling unlabelled images…",
                       on_done=lambda report: self._said(report.summary()
                                                         + " Review them in the Dataset "
                                                         "editor."))

    def _refuse_weights(self) -> bool:
        """True (and the reason shown in one line) when the picked file is no model."""
        problem = self.weights.problem()
        if problem:
            self._said(problem)
        return bool(problem)

    def _said(self, text: str) -> None:
        self.message.setText(text)
        self.context.status_message.emit(text, 8000)

    # ----- lifecycle ----------------------------------------------------------------------
    def wait_until_idle(self, timeout_s: float = 120.0) -> bool:
        """Before a screenshot: the running job (if any) is over."""
        return self.job.wait_until_idle(timeout_s)

    def shutdown(self) -> None:
        self.job.shutdown()
        self.counts_tab.shutdown()
        self.video_tracking.shutdown()
