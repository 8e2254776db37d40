"""The Live panel: detection on a webcam, a video file or a stream, as it happens.

The panel assembles the widgets beside it (``ui/live``) and in ``ui/widgets`` around one
:class:`LiveBridge`, which runs the Qt-free pipeline of ``core.inference.live``. All heavy
work (opening sources, the model, writing snapshots and finishing recordings) happens off
the GUI thread; the GUI thread only paints the newest annotated frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from penguin_studio.core import appdirs, engine
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.live import (
    ACTIVE_STATES,
    FINAL_STATES,
    FilterSettings,
    LivePipeline,
    save_snapshot,
)
from penguin_studio.core.inference.live_tracking import TrackingPipeline
from penguin_studio.core.inference.video import (
    CameraProbe,
    VideoSource,
    probe_cameras,
    write_sample_video,
)
from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.context import dataset_key
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.jobs import JobGroup
from penguin_studio.ui.live.banner import ProblemBanner
from penguin_studio.ui.live.bridge import LiveBridge
from penguin_studio.ui.live.controls import SourcePicker
from penguin_studio.ui.live.sidebar import (
    CaptureBox,
    FilterBox,
    ModelBox,
    RunButtons,
    SourceBox,
    controls_in,
    set_note,
)
from penguin_studio.ui.live.snapshot_box import SnapshotConfirmation
from penguin_studio.ui.live.video_view import VideoView
from penguin_studio.ui.widgets.track_controls import TrackingBox, video_line_drawer
from penguin_studio.ui.widgets.weights_picker import run_weights

STATE_BADGES = {"paused": "PAUSED", "ended": "END", "dropped": "DROPPED", "failed": "FAILED",
                "stopped": "STOPPED"}
#: The overlay's figures are rolling means: refreshing them 4× a second is readable and
#: keeps the GUI thread's share of the GIL small.
OVERLAY_PERIOD_S = 0.25


def sample_video_path() -> Path:
    return appdirs.cache_dir() / "live" / "sample-penguins.mp4"


def _make_sample_video(_ctx: JobContext, path: Path) -> Path:
    return write_sample_video(path, seconds=12, fps=15, size=(640, 480))


class LivePanel(QWidget):
    """Video on the left; source, model, thresholds and capture controls on the right."""

    state_changed = Signal(str, str)
    snapshot_saved = Signal(object)  # SnapshotReport
    recording_saved = Signal(object)  # RecordingReport | None

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._jobs = JobGroup(context, self)  # stopped when the panel closes
        self.bridge = LiveBridge(self)
        self.bridge.pipeline_class = TrackingPipeline
        self._launch_args: tuple[VideoSource, str] | None = None
        self._auto_weights = ""
        self._dataset_key = ""  # the open dataset, to tell a switch from a reload
        self._overlay_at = 0.0
        self.state = "idle"
        self._build()
        self._connect()
        context.dataset_changed.connect(self._on_dataset)
        self._on_dataset(context.dataset)
        self.refresh_cameras()
        self._update_controls()

    # ----- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = VideoView()
        self.banner = ProblemBanner()
        self.banner_text, self.reconnect_button = (self.banner.text,
                                                   self.banner.reconnect_button)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.banner)
        self.snapshot_confirmation = SnapshotConfirmation()
        left.addWidget(self.snapshot_confirmation)
        left.addWidget(self.view, 1)
        self.tracking = TrackingBox(self._context, video_line_drawer(self.view),
                                    lambda: self.bridge.pipeline)
        self.tracking.message.connect(self._set_note)
        self.source_box, self.model_box = SourceBox(), ModelBox()
        self.run_buttons, self.filter_box, self.capture = RunButtons(), FilterBox(), CaptureBox()
        self._name_parts()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        for group in (self.source_box, self.model_box, self.run_buttons, self.filter_box,
                      self.tracking, self.capture):
            side_layout.addWidget(group)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFixedWidth(330)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(left, 1)
        layout.addWidget(scroll)

    def _name_parts(self) -> None:
        """The sidebar's controls under the panel's own names (callers and tests use them)."""
        source, model, run = self.source_box, self.model_box, self.run_buttons
        self.picker, self.pace_combo, self.loop_check = (source.picker, source.pace_combo,
                                                         source.loop_check)
        self.weights, self.backend, self.weights_note = model.weights, model.backend, model.note
        self.weights_edit, self.weights_browse = (self.weights.combo.lineEdit(),
                                                  self.weights.browse_button)
        self.start_button, self.pause_button, self.stop_button = (
            run.start_button, run.pause_button, run.stop_button)
        self.conf_slider, self.iou_slider, self.class_toggles = (
            self.filter_box.conf_slider, self.filter_box.iou_slider,
            self.filter_box.class_toggles)
        capture = self.capture
        self.snapshot_split, self.snapshot_button, self.proposals_button = (
            capture.snapshot_split, capture.snapshot_button, capture.proposals_button)
        self.record_button, self.record_format, self.capture_note = (
            capture.record_button, capture.record_format, capture.note)

    def _connect(self) -> None:
        self.bridge.frame_ready.connect(self._on_frame)
        self.bridge.state_changed.connect(self._on_state)
        self.view.displayed.connect(self._on_displayed)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.reconnect_button.clicked.connect(self.reconnect)
        self.picker.refresh_requested.connect(self.refresh_cameras)
        self.picker.browse_requested.connect(self._browse_video)
        self.weights.problem_changed.connect(self._set_weights_note)
        self.weights.changed.connect(lambda _p: self.clear_results("Start to run this model."))
        self.conf_slider.value_changed.connect(lambda _v: self._apply_filter())
        self.iou_slider.value_changed.connect(lambda _v: self._apply_filter())
        self.class_toggles.changed.connect(self._apply_filter)
        self.snapshot_button.clicked.connect(lambda: self.snapshot(with_proposals=False))
        self.proposals_button.clicked.connect(lambda: self.snapshot(with_proposals=True))
        self.snapshot_confirmation.open_requested.connect(self.open_in_editor)
        self.record_button.toggled.connect(self._record_toggled)

    # ----- public actions (buttons and tests) ---------------------------------------------
    @property
    def pipeline(self) -> LivePipeline | None:
        return self.bridge.pipeline

    def set_source(self, source: str | Path) -> None:
        """Pick a video file or URL as the source (as if typed in the field)."""
        text = str(source)
        self.picker.select(SourcePicker.URL if "://" in text else SourcePicker.FILE, text)

    def set_weights(self, path: str | Path) -> None:
        self.weights.set_path(str(path))
        self._set_weights_note((self.weights.problem() or "") if str(path) else "")

    def start(self) -> None:
        """Start on the chosen source; problems are shown in the banner, never raised."""
        try:
            weights = self._weights()
            if self.picker.kind == SourcePicker.SAMPLE and not sample_video_path().exists():
                self._prepare_sample_then_start(weights)
                return
            source = self.picker.source(str(sample_video_path()))
        except UserError as exc:
            self.clear_results(str(exc))
            self._show_problem(str(exc), can_retry=False)
            return
        self._launch(source, weights)

    def toggle_pause(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        if pipeline.state == "paused":
            pipeline.resume()
        else:
            pipeline.pause()

    def stop(self) -> None:
        self.bridge.stop()

    def reconnect(self) -> None:
        if self._launch_args is not None:
            self._launch(*self._launch_args)

    def snapshot(self, with_proposals: bool = False) -> None:
        result = self.bridge.latest()
        dataset = self._context.dataset
        if result is None:
            self._set_note("Nothing to save yet: start the video first.")
            return
        if dataset is None:
            self._set_note("Open a dataset first: snapshots are added to it.")
            return
        pipeline = self.pipeline
        detections = result.shown if with_proposals else None
        names = list(pipeline.names) if pipeline else []
        weights = str(pipeline.weights) if pipeline else ""
        split = self.snapshot_split.currentData()
        self._start_job("Snapshot", lambda _ctx: save_snapshot(
            dataset, result.frame.image, detections, names, weights, result.settings.conf,
            split=split), on_done=self._snapshot_done)

    def open_in_editor(self, image: Path | None) -> None:
        """Open a snapshot in the Dataset editor, once the reopened dataset lists it."""
        context = self._context
        if image is None:
            return
        if not context.loading:
            context.request_edit(image)
            return

        def when_loaded(_dataset) -> None:
            context.dataset_changed.disconnect(when_loaded)
            context.request_edit(image)

        context.dataset_changed.connect(when_loaded)

    def start_recording(self, path: str | Path | None = None) -> None:
        """Record the annotated stream to ``path`` (default: the recordings folder)."""
        pipeline = self.pipeline
        if pipeline is None or not pipeline.running:
            self._set_note("Start the video first, then record.")
            self.capture.sync_record_button(False)
            return
        target = Path(path) if path else self.capture.default_recording_path()
        try:
            recorded = pipeline.start_recording(target, self._context.dataset)
        except UserError as exc:
            self._set_note(str(exc))
            self.capture.sync_record_button(False)
            return
        self.capture.sync_record_button(True)
        self._set_note(f"Recording to {recorded}…")
        self._update_overlay()

    def stop_recording(self) -> None:
        pipeline = self.pipeline
        self.capture.sync_record_button(False)
        if pipeline is None:
            return
        self._start_job("Finishing the recording", lambda _ctx: pipeline.stop_recording(),
                        on_done=self._recording_done)
        self._update_overlay()

    def refresh_cameras(self) -> None:
        self.picker.set_cameras(CameraProbe(tried="…"), probing=True)
        self._start_job("Camera search", lambda _ctx: probe_cameras(),
                        on_done=self.picker.set_cameras)

    # ----- lifecycle ----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the run and every helper thread; called when the window or panel closes."""
        self.bridge.shutdown()
        self._jobs.shutdown()
        self.tracking.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    @property
    def busy(self) -> bool:
        """A job of the panel runs (camera search, sample video, snapshot, recording)."""
        return self._jobs.busy

    def wait_until_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait for the panel's jobs before a screenshot (an event loop, nothing spins)."""
        return self._jobs.wait_until_idle(timeout_s)

    def _start_job(self, title: str, fn: Callable[[JobContext], Any],
                   on_done: Callable[[Any], None]) -> None:
        """The panel's small jobs: nothing in the status bar while they run (they take a
        moment), a failure said in the capture note, no dialog, as the panel always did."""
        self._jobs.start(title, fn, quiet=True, error_dialog=False, on_done=on_done,
                         on_failed=self._set_note)

    # ----- internals ----------------------------------------------------------------------
    def _weights(self) -> str:
        """The chosen model file; a file that is no model is named before anything opens."""
        problem = self.weights.problem()
        if problem:
            raise UserError(problem)
        return str(engine.check_weights_file(self.weights.path()))

    def _prepare_sample_then_start(self, weights: str) -> None:
        """The sample video is drawn on first use (a second or two), then played."""
        self._set_note("Drawing the sample video…")
        self.start_button.setEnabled(False)

        def failed(message: str) -> None:
            self.start_button.setEnabled(True)
            self._show_problem(message, can_retry=False)

        self._jobs.start("Sample video", _make_sample_video, sample_video_path(), quiet=True,
                         error_dialog=False, on_failed=failed,
                         on_done=lambda p: self._launch(VideoSource.file(p), weights))

    def _launch(self, source: VideoSource, weights: str) -> None:
        self._launch_args = (source, weights)
        self.banner.hide()
        self._set_note("")
        self.bridge.options["backend"] = self.backend.value()
        self.bridge.options["counter"] = self.tracking.counter_for(str(source.target), weights)
        self.bridge.start(source, weights, pace=self.pace_combo.currentData(),
                          loop=self.loop_check.isChecked(), settings=self._settings())
        self.state = "opening"
        self._update_controls()

    def _settings(self) -> FilterSettings:
        return self.filter_box.settings()

    def _apply_filter(self) -> None:
        if self.pipeline is not None:
            self.pipeline.set_filter(self._settings())

    def _on_frame(self) -> None:
        result = self.bridge.latest()
        if result is not None:
            self.view.show_result(result, result.annotated)
            if time.monotonic() - self._overlay_at >= OVERLAY_PERIOD_S:
                self._update_overlay(result)
            if not self.snapshot_button.isEnabled() and self._context.dataset is not None:
                self._update_controls()  # the first frame: snapshots become possible

    def _on_displayed(self, result) -> None:
        if self.pipeline is not None:
            self.pipeline.mark_displayed(result)

    def _update_overlay(self, result=None) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        result = result or pipeline.latest()
        self._overlay_at = time.monotonic()
        stats = pipeline.stats_snapshot()
        lines = [f"{stats.display_fps:4.1f} FPS · inference {stats.infer_ms:.0f} ms · "
                 f"latency {stats.latency_ms:.0f} ms"]
        if result is not None:
            counts = result.shown.counts(pipeline.names)
            lines.append(" · ".join(f"{n} {k}" for k, n in counts.items()) or "no detections")
        badge = "● REC" if pipeline.recording else STATE_BADGES.get(self.state, "")
        self.view.set_overlay(lines, badge)

    def _on_state(self, state: str, message: str) -> None:
        self.state = state
        pipeline = self.pipeline
        if state == "running" and pipeline is not None:
            self.weights.remember()  # offered first in every panel's picker from now on
            self.class_toggles.set_classes(pipeline.names)
            self._apply_filter()
        if state in ("opening", "loading") and not self.view.has_frame:
            self.view.set_placeholder(message)
        if state in FINAL_STATES:
            self._on_finished(state, message)
        self._context.status_message.emit(f"Live: {message}", 0 if state in FINAL_STATES
                                          else 5000)
        self._update_overlay()
        self._update_controls()
        self.state_changed.emit(state, message)

    def clear_results(self, text: str) -> None:
        """No frame, boxes or counts from an earlier run stay on screen (or snapshottable)
        once the model or dataset changed or a run failed; a running video is left alone."""
        if self.state in ACTIVE_STATES or not (self.view.has_frame or self.bridge.latest()):
            return
        self.bridge.release()
        self.view.clear()
        self.view.set_placeholder(text)
        self._update_controls()

    def _on_finished(self, state: str, message: str) -> None:
        if state == "failed":
            self.clear_results(message)
        if state in ("dropped", "failed"):
            pipeline = self.pipeline  # the source opened but the model did not load:
            model_failed = (pipeline is not None and pipeline.opened is not None
                            and pipeline.detector is None)  # reconnecting cannot help
            self._show_problem(message, can_retry=self._launch_args is not None
                               and not model_failed)
        elif state == "ended":
            self._set_note(message)
        if not self.view.has_frame:
            self.view.set_placeholder(message)
        if self.record_button.isChecked():
            self.stop_recording()

    def _show_problem(self, message: str, can_retry: bool) -> None:
        self.banner.show_problem(message, can_retry)

    def _set_note(self, text: str) -> None:
        set_note(self.capture_note, text)
        if text:
            self._context.status_message.emit(text, 8000)

    def _snapshot_done(self, report) -> None:
        self._set_note("")
        self.snapshot_confirmation.show_report(report)
        self._context.status_message.emit(report.message(), 8000)
        self.snapshot_saved.emit(report)
        self._context.images_added.emit([report.image])

    def _recording_done(self, report) -> None:
        if report is None:
            self._set_note("Nothing was recorded.")
        else:
            self._set_note(f"Recorded {report.frames_written} frames to {report.path} "
                           f"(reads back: {report.frames_readable} frames).")
        self.recording_saved.emit(report)

    def _record_toggled(self, on: bool) -> None:
        pipeline = self.pipeline
        if on and not (pipeline is not None and pipeline.recording):
            self.start_recording()
        elif not on and pipeline is not None and pipeline.recording:
            self.stop_recording()

    def _update_controls(self) -> None:
        """Enable what works now: the state's row of ``CONTROL_STATES``, a frame, a dataset."""
        controls = controls_in(self.state)
        self.run_buttons.show_state(controls, paused=self.state == "paused")
        self.capture.show_state(controls, has_frame=self.bridge.latest() is not None,
                                has_dataset=self._context.dataset is not None)
        for widget in (self.picker, self.pace_combo, self.loop_check, self.weights,
                       self.backend):
            widget.setEnabled(controls.setup)

    def _on_dataset(self, dataset) -> None:
        """Suggest the dataset's newest best.pt unless the user picked another model."""
        key = dataset_key(dataset)
        if key != self._dataset_key:  # another dataset, not a reload of the same one
            self.clear_results("Another dataset is open: Start again.")
        self._dataset_key = key
        runs = run_weights(dataset)
        current = self.weights.path()
        if current == self._auto_weights:  # not the user's choice: follow the dataset
            self.weights.combo.setCurrentText("")
        self.weights.refresh(dataset)
        if runs and (not current or current == self._auto_weights):
            self.weights.set_path(runs[0])
            self._auto_weights = runs[0]
            self._set_weights_note(f"Latest training run of {dataset.title}.")
        elif not self.weights.path():
            where = "this dataset" if dataset is not None else "an open dataset"
            self._set_weights_note(f"No training run found in {where}: pick a .pt file.")
        self._update_controls()

    def _browse_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Video file", start_folder(self._context.dataset, self.picker.text.text()),
            "Videos (*.mp4 *.avi *.mkv *.mov *.m4v *.webm *.mpg *.mpeg *.wmv);;All files (*)")
        if path:
            self.set_source(path)

    def _set_weights_note(self, text: str) -> None:
        """Which run the model is, or at once what a picked file is when it is no model."""
        set_note(self.weights_note, text)
