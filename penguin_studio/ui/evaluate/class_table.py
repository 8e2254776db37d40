"""The per-class table: images, instances, precision, recall, mAP50, mAP50-95."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from penguin_studio.core.evaluation.results import ClassMetrics, Evaluation

HEADERS = ("Class", "Images", "Instances", "Precision", "Recall", "mAP50", "mAP50-95")


class NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, not its text."""

    def __init__(self, value: float | None, decimals: int = 3) -> None:
        text = "—" if value is None else (f"{value:.{decimals}f}" if decimals else f"{value:d}")
        super().__init__(text)
        self.value = -1.0 if value is None else float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, NumberItem):
            return self.value < other.value
        return super().__lt__(other)


class ClassTable(QTableWidget):
    """One row per class, "all" first and in bold."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(HEADERS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        self.setSortingEnabled(False)
        rows = [] if evaluation is None else [evaluation.overall, *evaluation.classes]
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self._fill_row(r, row, bold=row.class_id < 0)
        self.setSortingEnabled(False)

    def _fill_row(self, r: int, row: ClassMetrics, bold: bool) -> None:
        cells = [QTableWidgetItem(row.name), NumberItem(row.images, 0),
                 NumberItem(row.instances, 0), NumberItem(row.precision),
                 NumberItem(row.recall), NumberItem(row.map50), NumberItem(row.map50_95)]
        for c, cell in enumerate(cells):
            if bold:
                font = QFont(cell.font())
                font.setBold(True)
                cell.setFont(font)
            self.setItem(r, c, cell)

    def cell_text(self, row: int, column: str) -> str:
        """Text shown in ``row`` under header ``column`` (for tests)."""
        return self.item(row, HEADERS.index(column)).text()
