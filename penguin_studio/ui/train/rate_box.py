"""A learning-rate field that shows a rate the way people write one: 0.01, 0.00123, 1e-4.

A plain QDoubleSpinBox shows a fixed count of decimals: with 5, 0.01 reads 0.01000 and a
tuned 0.000123457 is cut to 0.00012 (the box rounds the value itself, so the run would get
the cut value). This box keeps six significant digits, writes rates below 0.001 in
scientific notation, and steps along 1-2-5 (…, 5e-4, 0.001, 0.002, 0.005, 0.01, …).
"""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

DIGITS = 6  # significant digits kept: what tuning writes (tuning._rounded)
STEPS = (1.0, 2.0, 5.0)  # one decade's steps


def format_rate(value: float) -> str:
    """``0.01``, ``0.00123457``, ``1e-4``, ``2.5e-5``: six significant digits, no padding."""
    if value == 0:
        return "0"
    if abs(value) < 1e-3:
        mantissa, exponent = f"{value:.{DIGITS - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.{DIGITS}g}"


def significant(value: float) -> float:
    """``value`` rounded to the digits the field shows (what the run gets)."""
    return float(f"{value:.{DIGITS}g}")


def next_step(value: float, up: bool) -> float:
    """The next 1-2-5 value above (or below) ``value``."""
    if value <= 0:
        return 1e-5 if up else 0.0
    decade = math.floor(math.log10(value))
    candidates = [s * 10.0 ** d for d in (decade - 1, decade, decade + 1) for s in STEPS]
    candidates = [significant(c) for c in candidates]
    if up:
        return min(c for c in candidates if c > value * (1 + 1e-9))
    return max(c for c in candidates if c < value * (1 - 1e-9))


class LearningRateBox(QDoubleSpinBox):
    """A QDoubleSpinBox for a learning rate (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)  # the box rounds its value to this: keep every digit shown
        self.setRange(1e-5, 1.0)

    def sizeHint(self):  # noqa: ANN201, N802 - Qt override
        """Wide enough for six digits (Qt measures only the limits, "1e-5" and "1")."""
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        extra = metrics.horizontalAdvance("0.00123457") - metrics.horizontalAdvance("1e-5")
        hint.setWidth(hint.width() + max(0, extra))
        return hint

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return format_rate(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return significant(float(text.strip()))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            partial = all(c in "0123456789.eE+-" for c in stripped)
            state = QValidator.State.Intermediate if partial else QValidator.State.Invalid
            return state, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def fixup(self, text: str) -> str:
        return format_rate(self.value())

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        value = self.value()
        for _ in range(abs(steps)):
            value = next_step(value, steps > 0)
        self.setValue(min(self.maximum(), max(self.minimum(), value)))
