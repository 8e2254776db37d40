"""The four live plots (train loss per batch, val loss, metrics, learning rate).

Drawing only: the numbers live in :class:`penguin_studio.core.training.curves.Curves`.
Peak downsampling and clip-to-view keep 100,000 batches as fluid as 100.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from penguin_studio.core.training.curves import LOSSES, METRIC_TITLES, METRICS, Curves

COLORS = {"box_loss": "#1f77b4", "cls_loss": "#d62728", "dfl_loss": "#2ca02c",
          METRICS[0]: "#9467bd", METRICS[1]: "#8c564b", METRICS[2]: "#ff7f0e",
          METRICS[3]: "#17becf"}


def _plot(layout: pg.GraphicsLayoutWidget, row: int, col: int, title: str,
          x_label: str) -> pg.PlotItem:
    item = layout.addPlot(row=row, col=col)
    item.setTitle(title, color="#24292f", size="10pt")
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", x_label)
    plain_axes(item)
    item.addLegend(offset=(-4, 4), labelTextSize="8pt", labelTextColor="#24292f",
                   brush=pg.mkBrush(255, 255, 255, 200))
    return item


class TrainingPlots(QWidget):
    """Four plots redrawn from a Curves object (call :meth:`refresh` when it changed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground("w")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.layout_widget)
        lw = self.layout_widget
        self.train_plot = _plot(lw, 0, 0, "Train loss per batch (raw, smoothed)", "epoch")
        self.val_plot = _plot(lw, 0, 1, "Loss per epoch (val solid, train dashed)", "epoch")
        self.metric_plot = _plot(lw, 1, 0, "Validation metrics per epoch", "epoch")
        self.lr_plot = _plot(lw, 1, 1, "Learning rate", "epoch")
        self.metric_plot.setYRange(0, 1, padding=0.02)
        self.raw, self.smoothed, self.val, self.train_epoch, self.metric = {}, {}, {}, {}, {}
        for key in LOSSES:
            color = COLORS[key]
            name = key.split("_")[0]
            self.raw[key] = self.train_plot.plot(pen=pg.mkPen(color + "40", width=1))
            self.smoothed[key] = self.train_plot.plot(pen=pg.mkPen(color, width=2), name=name)
            self.val[key] = self.val_plot.plot(pen=pg.mkPen(color, width=2), symbol="o",
                                               symbolSize=5, symbolBrush=color, name=f"val {name}")
            self.train_epoch[key] = self.val_plot.plot(
                pen=pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        for key in METRICS:
            self.metric[key] = self.metric_plot.plot(
                pen=pg.mkPen(COLORS[key], width=2), symbol="o", symbolSize=5,
                symbolBrush=COLORS[key], name=METRIC_TITLES[key])
        self.lr = self.lr_plot.plot(pen=pg.mkPen("#444", width=1.5), name="lr")
        self._drawn = -1

    def refresh(self, curves: Curves, force: bool = False) -> bool:
        """Redraw if ``curves`` changed since the last call; returns whether it drew."""
        if curves.revision == self._drawn and not force:
            return False
        self._drawn = curves.revision
        x = curves.batch_step.values
        for key in LOSSES:
            self.raw[key].setData(x, curves.batch_loss[key].values, connect="finite")
            self.smoothed[key].setData(x, curves.batch_smooth[key].values, connect="finite")
            ex, ey = curves.epoch_series(f"val/{key}")
            self.val[key].setData(ex, ey, connect="finite")
            tx, ty = curves.epoch_series(f"train/{key}")
            self.train_epoch[key].setData(tx, ty, connect="finite")
        for key in METRICS:
            mx, my = curves.epoch_series(key)
            self.metric[key].setData(mx, my, connect="finite")
        self.lr.setData(x, curves.batch_lr.values, connect="finite")
        return True

    def clear(self) -> None:
        self.refresh(Curves(), force=True)

    def save_png(self, path: Path, width: int = 1600) -> None:
        """The four plots in one image (the ``results.png`` of a report)."""
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.layout_widget.ci)
        exporter.parameters()["width"] = width
        exporter.export(str(path))


def plain_axes(plot: pg.PlotItem) -> None:
    """Tick labels as plain numbers: pyqtgraph's SI prefixes turn mAP50 0.14 into
    "140 (x0.001)", which reads as nonsense to anyone who is not a physicist."""
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def overlay_curve(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, color: str,
                  name: str) -> pg.PlotDataItem:
    return plot.plot(x, y, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=4,
                     symbolBrush=color, name=name, connect="finite")
