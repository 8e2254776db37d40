"""Run history: every run on the dataset, its curves, and several runs overlaid.

The table is read from the run folders (``core.training.runs``) in the background, so a
project with many runs never blocks the window.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training import runs, verdict
from penguin_studio.core.training.curves import METRIC_TITLES, METRICS, Curves
from penguin_studio.core.training.events import format_duration
from penguin_studio.ui.jobs import start_job
from penguin_studio.ui.train.plots import overlay_curve, plain_axes

COLUMNS = ("Run", "Recipe", "Status", "Epochs", "mAP50", "mAP50-95", "Precision", "Recall",
           "Duration", "Weights")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")
COMPARE_KEYS = (runs.MAP50, runs.MAP, runs.PRECISION, runs.RECALL, "val/box_loss",
                "val/cls_loss", "val/dfl_loss", "train/box_loss", "train/cls_loss")


def _list_runs(_ctx, data: str, root: str) -> list[runs.RunRecord]:
    return runs.list_runs(data, Path(root))


class RunHistory(QWidget):
    """The table of runs; asks the panel to show, resume or fine-tune from one."""

    show_run = Signal(object)  # run folder
    resume_run = Signal(object)
    finetune_from = Signal(object)  # best.pt

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.records: list[runs.RunRecord] = []
        self._ticket = 0
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self._show())
        self.empty = QLabel("No runs on this dataset yet.")
        self.empty.setStyleSheet("color: palette(mid);")

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.show_button = QPushButton("Show curves")
        self.show_button.clicked.connect(self._show)
        self.compare_button = QPushButton("Compare selected")
        self.compare_button.clicked.connect(self.compare_selected)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(
            lambda: self._emit_selected(self.resume_run, lambda r: r.path))
        self.finetune_button = QPushButton("Fine-tune from best.pt")
        self.finetune_button.clicked.connect(
            lambda: self._emit_selected(self.finetune_from, lambda r: r.best_weights))
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self._open_folder)
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.show_button, self.compare_button, self.resume_button,
                  self.finetune_button, self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self._update_buttons()

    # ----- data -------------------------------------------------------------------------------
    def refresh(self) -> None:
        ds = self.context.dataset
        if ds is None or ds.yaml_path is None:
            self.set_records([])
            return
        self._ticket += 1
        ticket = self._ticket  # only the newest listing is shown (an older one may end later)
        start_job(self.context, "Listing runs", _list_runs, str(ds.yaml_path), str(ds.root),
                  quiet=True, error_dialog=False,
                  on_done=lambda r: ticket == self._ticket and self.set_records(r),
                  on_failed=lambda msg: self.empty.setText(msg))

    def set_records(self, records: list[runs.RunRecord]) -> None:
        self.records = list(reversed(records))  # newest first
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            for col, text in enumerate(_row(record)):
                item = QTableWidgetItem(text)
                if 3 <= col < 9:
                    item.setTextAlignment(RIGHT)
                if col == 2:
                    item.setToolTip(record.error or record.status)
                self.table.setItem(row, col, item)
        self.empty.setVisible(not self.records)
        self._update_buttons()

    def selected(self) -> list[runs.RunRecord]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.records[r] for r in rows if r < len(self.records)]

    # ----- actions ------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        sel = self.selected()
        one = sel[0] if len(sel) == 1 else None
        self.show_button.setEnabled(one is not None)
        self.compare_button.setEnabled(len(sel) >= 1)
        self.resume_button.setEnabled(bool(one and one.resumable))
        self.finetune_button.setEnabled(bool(one and one.best_weights))
        self.folder_button.setEnabled(one is not None)

    def _emit_selected(self, signal, value) -> None:
        sel = self.selected()
        if len(sel) == 1 and value(sel[0]) is not None:
            signal.emit(value(sel[0]))

    def _show(self) -> None:
        self._emit_selected(self.show_run, lambda r: r.path)

    def _open_folder(self) -> None:
        sel = self.selected()
        if sel:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(sel[0].path)))

    def compare_selected(self) -> CompareDialog:
        dialog = CompareDialog([r.path for r in (self.selected() or self.records)], self)
        dialog.show()
        return dialog


def _row(r: runs.RunRecord) -> list[str]:
    def metric(key: str) -> str:
        value = r.best.get(key)
        return f"{value:.3f}" if value is not None and value == value else "–"

    weights = r.best_weights or r.last_weights
    status = r.status + (" · resumable" if r.resumable else "")
    if r.status == "completed" and verdict.learned_nothing(r.best):
        status += " · learned nothing"
    recipe = r.recipe + (" · proposal model" if r.purpose == runs.PROPOSAL
                         else "")
    return [r.name, recipe, status, f"{r.epochs_done}/{r.epochs_planned}", metric(runs.MAP50),
            metric(runs.MAP), metric(runs.PRECISION), metric(runs.RECALL),
            format_duration(r.duration_s), str(weights.name) if weights else "–"]


class CompareDialog(QDialog):
    """One metric per epoch, one curve per run, from each run's results.csv."""

    def __init__(self, run_dirs: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.resize(900, 560)
        self.curves = {Path(p).name: Curves.from_run(Path(p)) for p in run_dirs}
        self.metric_combo = QComboBox()
        for key in COMPARE_KEYS:
            self.metric_combo.addItem(METRIC_TITLES.get(key, key), key)
        self.metric_combo.currentIndexChanged.connect(self._draw)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "epoch")
        plain_axes(self.plot.getPlotItem())
        self.plot.addLegend()
        top = QHBoxLayout()
        top.addWidget(QLabel("Metric:"))
        top.addWidget(self.metric_combo)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        self._draw()

    def _draw(self) -> None:
        key = self.metric_combo.currentData()
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.clear()
        for i, (name, curves) in enumerate(self.curves.items()):
            x, y = curves.epoch_series(key)
            overlay_curve(item, x, y, PALETTE[i % len(PALETTE)], name)
        self.plot.setLabel("left", METRIC_TITLES.get(key, key))
        if key in METRICS:  # fractions: always the whole 0–1 scale, comparable at a glance
            item.setYRange(0, 1, padding=0.02)
        else:
            item.enableAutoRange(axis="y")
