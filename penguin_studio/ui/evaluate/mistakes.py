"""Where the model is wrong: a sortable per-image table and the image with both box sets.

Rows are counted at the chosen confidence and matching IoU from the cached evaluation (no
model run). Selecting a row draws ground truth dashed (amber when missed) and predictions
solid (green when right, red when wrong); *Edit labels* sends the image to the editor.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.evaluation.results import EvaluatedImage, Evaluation, ImageRow
from penguin_studio.core.inference.predict import read_image
from penguin_studio.ui.sort_header import point_sort_arrows_by_order
from penguin_studio.ui.widgets.box_canvas import BoxCanvas, DrawnBox

HEADERS = ("Image", "Errors", "TP", "FP", "FN", "Wrong class", "Worst IoU")
ERRORS_COLUMN, IOU_COLUMN = 1, 6
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
GT_OK, GT_MISSED = (235, 235, 235), (255, 190, 0)
PRED_OK, PRED_WRONG = (60, 200, 90), (235, 60, 60)
LEGEND = ("<span style='color:#c98f00'>- - ground truth (amber: missed)</span> &nbsp; "
          "<span style='color:#2f9a4a'>—— correct</span> &nbsp; "
          "<span style='color:#d23c3c'>—— wrong</span>")


class ImageRowsModel(QAbstractTableModel):
    """Per-image counts; sorts numerically through ``SORT_ROLE``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ImageRow] = []

    def set_rows(self, rows: list[ImageRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        e = row.errors
        values = (row.path.name, e.errors, e.tp, e.fp, e.fn, e.misclassified, e.worst_iou)
        value = values[index.column()]
        if role == SORT_ROLE:
            return -1.0 if value is None else value
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == IOU_COLUMN:
                return "—" if value is None else f"{value:.2f}"
            return str(value) if index.column() else value
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return str(row.path)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column():
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def boxes_for(record: EvaluatedImage, names: list[str], conf: float,
              iou: float) -> list[DrawnBox]:
    """Ground truth (dashed) and predictions above ``conf`` (solid), coloured by outcome."""
    match = record.match(conf, iou)

    def name(c: int) -> str:
        return names[c] if 0 <= c < len(names) else str(c)

    drawn = []
    pred_ok: set[int] = set()
    for gt, det in enumerate(match.gt_pred.tolist()):
        cls = int(record.gt_cls[gt])
        hit = det >= 0 and int(record.pred_cls[match.kept[det]]) == cls
        if hit:
            pred_ok.add(int(match.kept[det]))
        drawn.append(DrawnBox(tuple(record.gt_xyxy[gt].tolist()), GT_OK if hit else GT_MISSED,
                              f"GT {name(cls)}", dashed=True))
    for p in match.kept.tolist():
        cls = int(record.pred_cls[p])
        color = PRED_OK if p in pred_ok else PRED_WRONG
        drawn.append(DrawnBox(tuple(record.pred_xyxy[p].tolist()), color,
                              f"{name(cls)} {float(record.pred_conf[p]):.2f}"))
    return drawn


class MistakesView(QWidget):
    """Table of images (sortable) | the selected image with its boxes; *Edit labels*."""

    edit_requested = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self.conf, self.iou = 0.25, 0.45
        self.model = ImageRowsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        point_sort_arrows_by_order(header)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumWidth(540)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.sortByColumn(ERRORS_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show(cur))
        self.canvas = BoxCanvas()
        self.title = QLabel()
        self.edit_button = QPushButton("Edit labels")
        self.edit_button.setToolTip("Open this image in the annotation editor; "
                                    "re-evaluate after fixing.")
        self.edit_button.setEnabled(False)
        self.edit_button.clicked.connect(self._edit)
        self._arrange()

    def _arrange(self) -> None:
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.edit_button)
        right_layout.addLayout(head)
        right_layout.addWidget(self.canvas, 1)
        right_layout.addWidget(QLabel(LEGEND))
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([560, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_evaluation(self, evaluation: Evaluation | None, conf: float, iou: float) -> None:
        self.evaluation = evaluation
        self.set_thresholds(conf, iou)

    def set_thresholds(self, conf: float, iou: float) -> None:
        """Re-count every image at (conf, iou), keeping the selected image selected."""
        self.conf, self.iou = conf, iou
        selected = self.selected_path()
        rows = [] if self.evaluation is None else self.evaluation.image_rows(conf, iou)
        self.model.set_rows(rows)
        if not rows:
            self.canvas.set_image(None, "Evaluate a model to see its mistakes.")
            self.edit_button.setEnabled(False)
            return
        target = next((i for i, r in enumerate(rows) if r.path == selected), 0)
        self.select_row(self.proxy.mapFromSource(self.model.index(target, 0)).row())

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self._show(self.proxy.index(row, 0))

    def selected_path(self) -> Path | None:
        index = self.table.currentIndex()
        if not index.isValid() or self.evaluation is None:
            return None
        return self.model.rows[self.proxy.mapToSource(index).row()].path

    def _show(self, index: QModelIndex) -> None:
        if not index.isValid() or self.evaluation is None:
            return
        row = self.model.rows[self.proxy.mapToSource(index).row()]
        record = self.evaluation.images[row.index]
        e = row.errors
        self.title.setText(f"<b>{row.path.name}</b> — {e.tp} correct, {e.fp} false, "
                           f"{e.fn} missed")
        self.canvas.set_image(read_image(row.path), f"Cannot read {row.path.name}")
        self.canvas.set_boxes(boxes_for(record, self.evaluation.names, self.conf, self.iou))
        self.edit_button.setEnabled(True)

    def _edit(self) -> None:
        path = self.selected_path()
        if path is not None:
            self.edit_requested.emit(path)
