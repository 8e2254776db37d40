"""What a search has found so far: a table of iterations and two pyqtgraph plots.

Drawing only; the numbers arrive as the tuning child's ``iteration`` events (see
:mod:`penguin_studio.core.training.tune_child`). Fitness is ultralytics' own score of an
iteration (mAP50-95 on the validation split for detection).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.ui.train.plots import plain_axes

FITNESS = "#1f77b4"
BEST = "#d62728"


class TuneResults(QWidget):
    """Table (one row per finished iteration, best in bold) beside the two plots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.graphs = pg.GraphicsLayoutWidget()
        self.graphs.setBackground("w")
        self.fitness_plot = self._plot(0, "Fitness per iteration (mAP50-95 on val)", "iteration")
        self.scatter_plot = self._plot(1, "Hyperparameter against fitness", "")
        self.fitness_points = self.fitness_plot.plot(pen=None, symbol="o", symbolSize=7,
                                                     symbolBrush=FITNESS, name="iteration")
        self.best_line = self.fitness_plot.plot(pen=pg.mkPen(BEST, width=2),
                                                name="best so far")
        self.scatter = self.scatter_plot.plot(pen=None, symbol="o", symbolSize=7,
                                              symbolBrush=FITNESS)
        self.best_point = self.scatter_plot.plot(pen=None, symbol="star", symbolSize=14,
                                                 symbolBrush=BEST)
        self.key_combo = QComboBox()
        self.key_combo.setToolTip("Which hyperparameter the right-hand plot puts on its x axis")
        self.key_combo.currentTextChanged.connect(self._redraw_scatter)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Plot against fitness:"))
        row.addWidget(self.key_combo)
        row.addStretch(1)
        rl.addLayout(row)
        rl.addWidget(self.graphs, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        split.setSizes([420, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def _plot(self, col: int, title: str, x_label: str) -> pg.PlotItem:
        item = self.graphs.addPlot(row=0, col=col)
        item.setTitle(title, color="#24292f", size="10pt")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("left", "fitness")
        if x_label:
            item.setLabel("bottom", x_label)
        plain_axes(item)
        if col == 0:
            item.addLegend(offset=(-4, -4), labelTextSize="8pt", labelTextColor="#24292f",
                           brush=pg.mkBrush(255, 255, 255, 200))
        return item

    # ----- input ------------------------------------------------------------------------------
    def begin(self, keys: list[str]) -> None:
        """A new search over ``keys``: empty table and plots."""
        self.keys = list(keys)
        self.rows = []
        self.table.setRowCount(0)
        self.table.setColumnCount(3 + len(self.keys))
        self.table.setHorizontalHeaderLabels(["#", "fitness", "mAP50", *self.keys])
        self.key_combo.blockSignals(True)
        self.key_combo.clear()
        self.key_combo.addItems(self.keys)
        self.key_combo.blockSignals(False)
        self._redraw()

    def add(self, event: dict[str, Any]) -> None:
        """One ``iteration`` event."""
        if not self.keys:
            self.begin(list(event.get("hyperparameters") or {}))
        self.rows.append(event)
        metrics = event.get("metrics") or {}
        hyp = event.get("hyperparameters") or {}
        values = [str(event["iteration"]), f"{event['fitness']:.4f}",
                  f"{metrics.get('metrics/mAP50(B)', float('nan')):.3f}"]
        values += [_fmt(hyp.get(k)) for k in self.keys]
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, text in enumerate(values):
            self.table.setItem(r, c, QTableWidgetItem(text))
        self._mark_best()
        self._redraw()
        self.table.scrollToBottom()

    @property
    def best_row(self) -> int | None:
        if not self.rows:
            return None
        return int(np.argmax([r["fitness"] for r in self.rows]))

    # ----- drawing ---------------------------------------------------------------------------
    def _mark_best(self) -> None:
        best = self.best_row
        for r in range(self.table.rowCount()):
            font = QFont()
            font.setBold(r == best)
            for c in range(self.table.columnCount()):
                item = self.table.item(r, c)
                if item is not None:
                    item.setFont(font)

    def _redraw(self) -> None:
        x = np.array([r["iteration"] for r in self.rows], dtype=float)
        y = np.array([r["fitness"] for r in self.rows], dtype=float)
        self.fitness_points.setData(x, y)
        self.best_line.setData(x, np.maximum.accumulate(y) if len(y) else y)
        self._redraw_scatter()

    def _redraw_scatter(self, *_args: Any) -> None:
        key = self.key_combo.currentText()
        self.scatter_plot.setLabel("bottom", key)
        pairs = [((r.get("hyperparameters") or {}).get(key), r["fitness"]) for r in self.rows]
        pairs = [(float(a), float(b)) for a, b in pairs if isinstance(a, (int, float))]
        xs = np.array([p[0] for p in pairs])
        ys = np.array([p[1] for p in pairs])
        self.scatter.setData(xs, ys)
        best = self.best_row
        if best is not None and key and isinstance(
                (self.rows[best].get("hyperparameters") or {}).get(key), (int, float)):
            self.best_point.setData([float(self.rows[best]["hyperparameters"][key])],
                                    [float(self.rows[best]["fitness"])])
        else:
            self.best_point.setData([], [])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
