"""The confusion-matrix heatmap: counts (or column fractions) per predicted × true class."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from penguin_studio.core.evaluation.matching import normalize_columns

#: white → blue, like ultralytics' own plot
COLORMAP = pg.ColorMap([0.0, 1.0], [(243, 246, 250), (31, 96, 170)])


class ConfusionView(QWidget):
    """Heatmap (rows: predicted, columns: true, background last) with counts written in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.normalized = QCheckBox("Normalized (fraction of each true class)")
        self.caption = QLabel()
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "True")
        self.plot.setLabel("left", "Predicted")
        self.plot.getViewBox().invertY(True)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self._texts: list[pg.TextItem] = []
        self._matrix = np.zeros((1, 1))
        self._labels: list[str] = []
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.normalized)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        self.normalized.toggled.connect(lambda _on: self._draw())

    def set_matrix(self, matrix: np.ndarray, labels: list[str], caption: str = "") -> None:
        """Show ``matrix`` [predicted, true]; ``labels`` name rows and columns alike."""
        self._matrix, self._labels = np.asarray(matrix, dtype=float), list(labels)
        self.caption.setText(caption)
        self._draw()

    def shown_values(self) -> np.ndarray:
        """The numbers written in the cells now (counts or fractions)."""
        return normalize_columns(self._matrix) if self.normalized.isChecked() else self._matrix

    def _draw(self) -> None:
        values = self.shown_values()
        n = values.shape[0]
        top = float(values.max()) if values.size and values.max() > 0 else 1.0
        # ImageItem indexes [x, y]: x = true class (column), y = predicted (row)
        self.image.setImage(values.T, levels=(0.0, top), autoLevels=False)
        self.image.setLookupTable(COLORMAP.getLookupTable(nPts=256))
        for text in self._texts:
            self.plot.removeItem(text)
        self._texts = [self._cell_text(values[r, c], c, r, top)
                       for r in range(n) for c in range(n)]
        ticks = [(i + 0.5, self._short(label)) for i, label in enumerate(self._labels)]
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setTicks([ticks])
            self.plot.getAxis(axis).setTextPen("#333")
        self._draw_grid(n)
        self.plot.setXRange(0, n, padding=0.01)
        self.plot.setYRange(0, n, padding=0.01)

    def _draw_grid(self, n: int) -> None:
        """Thin white lines between cells, so empty cells still read as cells."""
        for line in getattr(self, "_grid", []):
            self.plot.removeItem(line)
        pen = pg.mkPen("w", width=2)
        self._grid = [pg.InfiniteLine(pos=i, angle=a, pen=pen) for i in range(n + 1)
                      for a in (0, 90)]
        for line in self._grid:
            self.plot.addItem(line)

    def _cell_text(self, value: float, col: int, row: int, top: float) -> pg.TextItem:
        if value == 0:
            label = ""
        elif self.normalized.isChecked():
            label = f"{value:.2f}"
        else:
            label = f"{int(round(value))}"
        color = "w" if value > top * 0.55 else "#222"
        text = pg.TextItem(label, color=color, anchor=(0.5, 0.5))
        text.setPos(col + 0.5, row + 0.5)
        self.plot.addItem(text)
        return text

    @staticmethod
    def _short(label: str) -> str:
        return label if len(label) <= 12 else label[:11] + "…"
