"""The Live panel's sidebar boxes, and which of their controls work in which state.

Each box only builds and arranges its widgets and says what they hold; the panel wires them
to the pipeline. :data:`CONTROL_STATES` is the one place that says what may be pressed
while the video opens, runs, is paused or has ended.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core import appdirs
from penguin_studio.core.inference.live import ACTIVE_STATES, FINAL_STATES, FilterSettings
from penguin_studio.ui.live.controls import SourcePicker
from penguin_studio.ui.live.snapshot_box import snapshot_target_combo
from penguin_studio.ui.widgets.backend_combo import BackendCombo
from penguin_studio.ui.widgets.class_toggles import ClassToggles
from penguin_studio.ui.widgets.sliders import FractionSlider
from penguin_studio.ui.widgets.weights_picker import WeightsPicker

PACES = (("Source speed", "source"), ("As fast as possible", "fast"))
RECORD_FORMATS = (("MP4 (mp4v)", ".mp4"), ("AVI (MJPG)", ".avi"))
NO_DATASET_HINT = "Open a dataset first: snapshots are added to it."


class Controls(NamedTuple):
    """What can be pressed in one state. ``setup``: the source, pace, loop, model and
    backend, which cannot change under a video that is opening or running."""

    start: bool
    pause: bool  # Pause, or Resume while paused
    stop: bool
    record: bool  # also enabled, whatever the state, while a recording runs: to stop it
    setup: bool


_IDLE = Controls(start=True, pause=False, stop=False, record=False, setup=True)
#: The pipeline's states (``core.inference.live``; "idle": nothing started yet) → controls.
#: Snapshots need a frame and a dataset rather than a state.
CONTROL_STATES: dict[str, Controls] = {
    "idle": _IDLE,
    "opening": Controls(start=False, pause=False, stop=True, record=False, setup=False),
    "loading": Controls(start=False, pause=False, stop=True, record=False, setup=False),
    "running": Controls(start=False, pause=True, stop=True, record=True, setup=False),
    "paused": Controls(start=False, pause=True, stop=True, record=True, setup=False),
    **{state: _IDLE for state in FINAL_STATES},  # ended, dropped, failed, stopped
}


def controls_in(state: str) -> Controls:
    """The row of ``state``; a state the table does not know counts as active when the
    pipeline says so (Stop works, nothing else), else as idle."""
    if state in CONTROL_STATES:
        return CONTROL_STATES[state]
    return CONTROL_STATES["opening"] if state in ACTIVE_STATES else _IDLE


def _note_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid);")
    label.hide()
    return label


def set_note(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class SourceBox(QGroupBox):
    """Camera, sample video, file or URL; the pace of a file and Loop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Source", parent)
        self.picker = SourcePicker()
        self.pace_combo = QComboBox()
        for title, key in PACES:
            self.pace_combo.addItem(title, key)
        self.pace_combo.setToolTip("Video files: play at their own frame rate, or process "
                                   "every frame as fast as the model allows.")
        self.loop_check = QCheckBox("Loop")
        self.loop_check.setToolTip("Start a video file again when it ends (on by default "
                                   "for the 12-second sample video).")
        row = QHBoxLayout()
        row.addWidget(self.pace_combo, 1)
        row.addWidget(self.loop_check)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addLayout(row)
        self._loop_kind = ""
        self.picker.changed.connect(self._loop_by_default)
        self._loop_by_default()

    def _loop_by_default(self) -> None:
        """The sample video ends after 12 s, before a new user finds Pause: it loops unless
        the user unticks Loop. Another kind of source starts with Loop off."""
        kind = self.picker.kind
        if kind != self._loop_kind:
            self._loop_kind = kind
            self.loop_check.setChecked(kind == SourcePicker.SAMPLE)


class ModelBox(QGroupBox):
    """The shared weights picker (compacter here), what runs it, and a note about it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self.weights = WeightsPicker()  # the picker of Detect and Evaluate
        self.weights.combo.setMinimumContentsLength(12)
        browse = self.weights.browse_button
        browse.setText("…")  # the sidebar is narrow
        browse.setToolTip("Choose a model file (.pt)")
        browse.setFixedWidth(max(32, browse.minimumSizeHint().width()))
        self.note = _note_label()
        self.backend = BackendCombo()  # what runs the model (Settings' choice by default)
        runs_on = QHBoxLayout()
        runs_on.addWidget(QLabel("Runs on"))
        runs_on.addWidget(self.backend, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.weights)
        layout.addLayout(runs_on)
        layout.addWidget(self.note)


class RunButtons(QWidget):
    """Start, Pause (Resume while paused) and Stop in a row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        icon = self.style().standardIcon
        pixmap = QStyle.StandardPixmap
        self.start_button = QPushButton(icon(pixmap.SP_MediaPlay), "Start")
        self.pause_button = QPushButton(icon(pixmap.SP_MediaPause), "Pause")
        self.stop_button = QPushButton(icon(pixmap.SP_MediaStop), "Stop")
        self.start_button.setDefault(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        for button in (self.start_button, self.pause_button, self.stop_button):
            layout.addWidget(button)

    def show_state(self, controls: Controls, paused: bool) -> None:
        self.start_button.setEnabled(controls.start)
        self.pause_button.setEnabled(controls.pause)
        self.stop_button.setEnabled(controls.stop)
        self.pause_button.setText("Resume" if paused else "Pause")
        pixmap = QStyle.StandardPixmap
        self.pause_button.setIcon(self.style().standardIcon(
            pixmap.SP_MediaPlay if paused else pixmap.SP_MediaPause))


class FilterBox(QGroupBox):
    """Confidence, NMS IoU and the classes shown: the pipeline's filter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Detections", parent)
        self.conf_slider = FractionSlider("Confidence", 0.25, minimum=0.001)
        self.iou_slider = FractionSlider("IoU (NMS)", 0.70, minimum=0.05)
        self.class_toggles = ClassToggles()
        layout = QVBoxLayout(self)
        layout.addWidget(self.conf_slider)
        layout.addWidget(self.iou_slider)
        layout.addWidget(self.class_toggles)

    def settings(self) -> FilterSettings:
        return FilterSettings(conf=self.conf_slider.value(), iou=self.iou_slider.value(),
                              classes=self.class_toggles.selected())


class CaptureBox(QGroupBox):
    """Snapshots into the dataset (plain or with proposals), recording, and a note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Capture", parent)
        self.snapshot_split = snapshot_target_combo()
        self.snapshot_button = QPushButton("Snapshot to dataset")
        self.snapshot_button.setToolTip("Add this frame to the dataset, unlabelled, where "
                                        "'Snapshots go to' says.")
        self.proposals_button = QPushButton("Snapshot with detections as proposals")
        self.proposals_button.setToolTip("Add this frame and keep the boxes shown as "
                                         "unreviewed proposals, apart from your labels.")
        self._hints = {b: b.toolTip() for b in (self.snapshot_button, self.proposals_button)}
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DialogSaveButton))
        self.record_format = QComboBox()
        for title, suffix in RECORD_FORMATS:
            self.record_format.addItem(title, suffix)
        self.note = _note_label()
        self._arrange()

    def _arrange(self) -> None:
        target = QHBoxLayout()
        target.addWidget(QLabel("Snapshots go to"))
        target.addWidget(self.snapshot_split, 1)
        row = QHBoxLayout()
        row.addWidget(self.record_button, 1)
        row.addWidget(self.record_format)
        layout = QVBoxLayout(self)
        layout.addLayout(target)
        layout.addWidget(self.snapshot_button)
        layout.addWidget(self.proposals_button)
        layout.addLayout(row)
        layout.addWidget(self.note)

    def show_state(self, controls: Controls, has_frame: bool, has_dataset: bool) -> None:
        for button, hint in self._hints.items():
            button.setEnabled(has_frame and has_dataset)
            button.setToolTip(hint if has_dataset else NO_DATASET_HINT)
        self.record_button.setEnabled(controls.record or self.record_button.isChecked())

    def sync_record_button(self, on: bool) -> None:
        """Show ``on`` without asking to start or stop a recording."""
        self.record_button.blockSignals(True)
        self.record_button.setChecked(on)
        self.record_button.blockSignals(False)
        self.record_button.setText("Stop recording" if on else "Record")

    def default_recording_path(self) -> Path:
        folder = appdirs.data_dir() / "recordings"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = self.record_format.currentData()
        return folder / f"live-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"
