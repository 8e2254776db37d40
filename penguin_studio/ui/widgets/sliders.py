"""A labelled 0–1 slider (confidence, IoU) that reports floats."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget
from superqt import QLabeledDoubleSlider


class FractionSlider(QWidget):
    """"Confidence [-----o----] 0.25": a 0–1 slider with three decimals."""

    value_changed = Signal(float)

    def __init__(self, title: str, value: float, tooltip: str = "",
                 parent: QWidget | None = None, minimum: float = 0.0) -> None:
        super().__init__(parent)
        self.slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(minimum, 1.0)
        self.slider.setDecimals(3)
        self.slider.setSingleStep(0.005)
        self.slider.setValue(value)
        self.slider.setMinimumWidth(160)
        label = QLabel(title)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.slider, 1)
        if tooltip:
            self.setToolTip(tooltip)
        self.slider.valueChanged.connect(lambda v: self.value_changed.emit(float(v)))

    def value(self) -> float:
        return float(self.slider.value())

    def set_value(self, value: float) -> None:
        self.slider.setValue(value)


def threshold_row(*sliders: FractionSlider) -> QHBoxLayout:
    """Sliders side by side, equally wide, 24 px apart: the confidence / IoU row of Detect
    and Evaluate."""
    row = QHBoxLayout()
    for i, slider in enumerate(sliders):
        if i:
            row.addSpacing(24)
        row.addWidget(slider, 1)
    return row
