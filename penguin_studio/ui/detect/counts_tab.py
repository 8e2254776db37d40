"""The Detect panel's *Counts* tab: a census of every image of the source.

A table (one row per image or frame, one column per class, the total), totals and the mean
per image, a pyqtgraph chart of the counts across images, and a CSV export. The numbers
come from :func:`~penguin_studio.core.inference.counting.count_predictions` on the cached
candidates, so moving a slider or ticking a class re-counts the whole folder without the
model; the re-count waits until a slider rests and runs only while the tab is shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.colors import class_rgb
from penguin_studio.core.inference import counting
from penguin_studio.core.inference.counting import Census, CensusRow
from penguin_studio.ui.jobs import JobGroup

RECOUNT_DELAY_MS = 120
ORDERS = (("By capture time (EXIF) when known", "auto"), ("By file name", "name"))


class CensusModel(QAbstractTableModel):
    """Rows: images in the chosen order; columns: image, captured, classes…, total."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.rows: list[CensusRow] = []

    def set_census(self, census: Census | None, order: str) -> None:
        self.beginResetModel()
        self.names = list(census.names) if census else []
        self.rows = census.ordered(order) if census else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.names) + 3

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return ["Image", "Captured", *self.names, "Total"][section]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        row, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return row.label
            if col == 1:
                return f"{row.captured:%Y-%m-%d %H:%M:%S}" if row.captured else ""
            return str(row.counts[col - 2] if col - 2 < len(row.counts) else row.total)
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return str(row.image)
        return None


class CountsChart(pg.PlotWidget):
    """Counts per class across the images, in the table's order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.3)
        self.setLabel("left", "boxes")
        self.setLabel("bottom", "image (in the table's order)")
        self.setMouseEnabled(y=False)
        self.addLegend(offset=(5, 5))
        self._curves: list = []

    def set_rows(self, names: list[str], rows: list[CensusRow]) -> None:
        for curve in self._curves:
            self.removeItem(curve)
        self._curves = []
        legend = self.plotItem.legend
        if legend is not None:
            legend.clear()
        x = np.arange(len(rows))
        for c, name in enumerate(names):
            y = np.array([row.counts[c] for row in rows], dtype=float)
            pen = pg.mkPen(QColor(*class_rgb(c)), width=2)
            self._curves.append(self.plot(x, y, name=name, pen=pen, symbol="o", symbolSize=4,
                                          symbolBrush=QColor(*class_rgb(c)), symbolPen=None))


class CountsTab(QWidget):
    """Census table, totals, chart and CSV export for the Detect panel's current run."""

    image_activated = Signal(int)  # index into the run's items
    message = Signal(str)

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.census: Census | None = None
        self._session = None
        self._jobs = JobGroup(context, self)
        self._timer = QTimer(self, singleShot=True, interval=RECOUNT_DELAY_MS)
        self._timer.timeout.connect(self.recount)
        self.model = CensusModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.doubleClicked.connect(self._activated)
        self.chart = CountsChart()
        self.totals = QLabel("Run the model on a folder to count what is on every image.")
        self.totals.setWordWrap(True)
        self.order = QComboBox()
        for title, key in ORDERS:
            self.order.addItem(title, key)
        self.order.currentIndexChanged.connect(lambda _i: self._show())
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._choose_csv)
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(self.order)
        top.addWidget(self.export_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        split.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._show()

    # ----- feeding --------------------------------------------------------------------------
    def schedule(self, session) -> None:
        """The Detect session changed (run, thresholds, classes): re-count once it rests."""
        self._session = session
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._session is not None:
            self.recount()

    def recount(self) -> None:
        session = self._session
        preds = session.current if session is not None else None
        if preds is None or not preds.items:
            self.census = None
        else:
            self.census = counting.count_predictions(preds, session.conf, session.iou,
                                                     session.visible_classes())
        self._show()

    def _show(self) -> None:
        census = self.census
        order = self.order.currentData()
        self.model.set_census(census, order)
        self.chart.set_rows(self.model.names, self.model.rows)
        self.export_button.setEnabled(census is not None)
        if census is None:
            self.totals.setText("Run the model on a folder to count what is on every image.")
            return
        n = len(census.rows)
        what = "frame" if census.rows and census.rows[0].label != census.rows[0].image.name \
            else "image"
        parts = [f"<b>{total}</b> {name} (mean {census.mean_per_image[name]:.2f} per {what})"
                 for name, total in census.totals.items()]
        self.totals.setText(f"{n} {what}{'s' if n != 1 else ''} at confidence "
                            f"{census.conf:.2f}, IoU {census.iou:.2f}: " + ", ".join(parts))
        self.table.setColumnHidden(1, not census.has_times)
        self.table.resizeColumnsToContents()

    def _activated(self, index: QModelIndex) -> None:
        session = self._session
        if session is None or session.current is None:
            return
        row = self.model.rows[index.row()]
        items = session.current.items
        for i, item in enumerate(items):
            if item.path == row.image and item.label == row.label:
                self.image_activated.emit(i)
                return

    # ----- export ---------------------------------------------------------------------------
    def _choose_csv(self) -> None:
        start = Path.home() / "counts.csv"
        if self.census is not None and self.census.rows:
            start = self.census.rows[0].image.parent.parent / "counts.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export counts", str(start), "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> None:
        """Write the census shown (its order) as CSV, never over an input file."""
        from penguin_studio.core.outputs_guard import check_output_file

        census, order = self.census, self.order.currentData()
        if census is None:
            self.message.emit("Nothing to export yet: run the model first.")
            return
        sources = [str(self._session.current.source)] if self._session.current else []

        def job(_ctx):
            check_output_file(path, sources=sources, what="the counts")
            return counting.write_census_csv(census, path, order)

        self._jobs.start("Counts export", job, quiet=True, error_dialog=False,
                         on_done=lambda p: self.message.emit(f"Wrote the counts to {p}."),
                         on_failed=self.message.emit)

    def shutdown(self) -> None:
        self._timer.stop()
        self._jobs.shutdown()


def view_tabs(canvas: QWidget, counts: CountsTab, items) -> QTabWidget:
    """*Image* (the canvas) and *Counts* tabs; double-clicking a row of the census shows
    that image."""
    tabs = QTabWidget()
    tabs.addTab(canvas, "Image")
    tabs.addTab(counts, "Counts")
    tabs.setDocumentMode(True)

    def show_image(index: int) -> None:
        tabs.setCurrentIndex(0)
        items.setCurrentRow(index)

    counts.image_activated.connect(show_image)
    return tabs
