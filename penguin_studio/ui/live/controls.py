"""The Live panel's source picker (its sliders and class toggles are Detect's: see
``ui/widgets/sliders.py`` and ``ui/widgets/class_toggles.py``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.inference.video import (
    CameraProbe,
    SourceError,
    VideoSource,
    parse_source,
)


class SourcePicker(QWidget):
    """Cameras found, the sample video, a video file or a stream URL."""

    changed = Signal()
    browse_requested = Signal()
    refresh_requested = Signal()

    SAMPLE, FILE, URL = "sample", "file", "url"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.refresh = QToolButton()
        self.refresh.setText("⟳")
        self.refresh.setToolTip("Look for cameras again")
        self.text = QLineEdit()
        self.browse = QToolButton()
        self.browse.setText("…")
        self.browse.setToolTip("Choose a video file")
        self.camera_note = QLabel()
        self.camera_note.setWordWrap(True)
        self.camera_note.setStyleSheet("color: palette(mid);")
        self._layout()
        self.set_cameras(CameraProbe(tried="nothing yet"), probing=True)
        self.combo.currentIndexChanged.connect(self._kind_changed)
        self.browse.clicked.connect(self.browse_requested)
        self.refresh.clicked.connect(self.refresh_requested)
        self.text.textChanged.connect(lambda _t: self.changed.emit())

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.combo, 1)
        top.addWidget(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addWidget(self.camera_note)

    def set_cameras(self, probe: CameraProbe, probing: bool = False) -> None:
        """Fill the list: cameras first, then the sample video, a file and a URL."""
        keep = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for cam in probe.cameras:
            self.combo.addItem(cam.label, ("camera", cam.index, cam.name))
        self.combo.addItem("Sample video (generated penguins)", (self.SAMPLE,))
        self.combo.addItem("Video file…", (self.FILE,))
        self.combo.addItem("Stream URL (RTSP / HTTP)…", (self.URL,))
        index = self.combo.findData(keep) if keep is not None else -1
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.combo.blockSignals(False)
        self.camera_note.setText("Looking for cameras…" if probing else
                                 "" if probe.cameras else probe.message())
        self._kind_changed()

    @property
    def kind(self) -> str:
        data = self.combo.currentData()
        return data[0] if data else self.SAMPLE

    def select(self, kind: str, text: str = "") -> None:
        """Pick an entry by kind ("camera" picks the first camera) and fill the text field."""
        for i in range(self.combo.count()):
            data = self.combo.itemData(i)
            if data and data[0] == kind:
                self.combo.setCurrentIndex(i)
                break
        if text:
            self.text.setText(text)

    def source(self, sample_path: str) -> VideoSource:
        """What to open; raises SourceError for an empty or missing file or a bad URL."""
        data = self.combo.currentData() or (self.SAMPLE,)
        if data[0] == "camera":
            return VideoSource.camera(data[1], data[2])
        if data[0] == self.SAMPLE:
            return VideoSource.file(sample_path)
        text = self.text.text().strip()
        if data[0] == self.URL and "://" not in text:
            raise SourceError("Type a stream URL, like rtsp://camera.local:554/stream or "
                              "http://192.168.1.20:8080/video.mjpg.")
        return parse_source(text)

    def _kind_changed(self) -> None:
        kind = self.kind
        self.text.setVisible(kind in (self.FILE, self.URL))
        self.browse.setVisible(kind == self.FILE)
        self.camera_note.setVisible(kind in ("camera", self.SAMPLE)
                                    and bool(self.camera_note.text()))
        self.text.setPlaceholderText("rtsp://camera.local:554/stream  or  http://…/video.mjpg"
                                     if kind == self.URL else "Path of a video file")
        self.changed.emit()
