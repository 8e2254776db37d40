"""Dataset statistics: images per split, instances per class, box sizes (pyqtgraph).

This module imports pyqtgraph at its top on purpose: the panel imports this module only when
the Statistics page is first shown, so the app starts without paying for pyqtgraph.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.index import DatasetIndex
from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.ui.dataset.colors import class_color
from penguin_studio.ui.dataset.effort_view import EffortView

STATUS_COLORS = {"labelled": "#51cf66", "background": "#adb5bd", "unlabelled": "#fcc419",
                 "errors": "#ff6b6b"}
MAX_SCATTER = 20_000
CLASS_ROW_PX = 22


def _plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="#ffffff")
    plot.setTitle(title, color="#343a40", size="11pt")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen("#adb5bd"))
        axis.setTextPen(pg.mkPen("#495057"))
    return plot


class StatCard(QFrame):
    """A big number with a caption."""

    def __init__(self, caption: str, color: str = "#212529") -> None:
        super().__init__()
        self.setObjectName("statCard")
        self.setStyleSheet("QFrame#statCard { background: #ffffff; border: 1px solid #dee2e6;"
                           " border-radius: 6px; }")
        self.value = QLabel("–")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setStyleSheet(f"color: {color};")
        caption_label = QLabel(caption)
        caption_label.setStyleSheet("color: #868e96;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(caption_label)


class StatsView(QWidget):
    """Cards, split bars, per-class bars and the box-size scatter of one DatasetIndex."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index: DatasetIndex | None = None
        self.split_choice = QComboBox()
        self.split_choice.addItem("All splits", None)
        for split in SPLITS:
            self.split_choice.addItem(split, split)
        self.split_choice.currentIndexChanged.connect(lambda _i: self.refresh())
        self.cards = {key: StatCard(text, color) for key, text, color in (
            ("images", "images", "#212529"), ("labelled", "labelled", "#2b8a3e"),
            ("background", "background", "#495057"), ("unlabelled", "unlabelled", "#e67700"),
            ("errors", "label errors", "#c92a2a"), ("boxes", "boxes", "#1864ab"))}
        self.split_plot = _plot("Images per split")
        self.size_plot = _plot("Box width × height")
        self.size_plot.setLabel("bottom", "width")
        self.size_plot.setLabel("left", "height")
        self.class_plot = _plot("Instances per class")
        self.area_plot = _plot("Box size distribution")
        self.area_plot.setLabel("bottom", "√(width × height), fraction of image")
        self.area_plot.setLabel("left", "boxes")
        self.effort = EffortView()
        self._build()

    def _build(self) -> None:
        top = QHBoxLayout()
        title = QLabel("Statistics")
        title.setObjectName("sectionTitle")
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Split:"))
        top.addWidget(self.split_choice)
        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card)
        charts = QGridLayout()
        self.class_scroll = QScrollArea()
        self.class_scroll.setWidgetResizable(True)
        self.class_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.class_scroll.setWidget(self.class_plot)
        charts.addWidget(self.split_plot, 0, 0)
        charts.addWidget(self.class_scroll, 0, 1)
        charts.addWidget(self.size_plot, 1, 0)
        charts.addWidget(self.area_plot, 1, 1)
        for plot in (self.split_plot, self.size_plot, self.area_plot):
            plot.setMinimumHeight(150)  # room for the effort table on a 720 px screen
        charts.setRowStretch(0, 1)
        charts.setRowStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(top)
        layout.addLayout(cards)
        layout.addWidget(self.effort)
        layout.addLayout(charts, 1)

    def set_effort(self, store) -> None:
        """Show an :class:`~penguin_studio.core.labelling.effort.EffortStore`'s figures."""
        self.effort.set_store(store)

    def set_index(self, index: DatasetIndex | None) -> None:
        self.index = index
        self.refresh()

    @property
    def split(self) -> str | None:
        return self.split_choice.currentData()

    def refresh(self) -> None:
        index = self.index
        for plot in (self.split_plot, self.size_plot, self.class_plot, self.area_plot):
            plot.clear()
        if index is None:
            for card in self.cards.values():
                card.value.setText("–")
            return
        self._fill_cards(index)
        self._fill_splits(index)
        self._fill_classes(index)
        self._fill_sizes(index)

    def _fill_cards(self, index: DatasetIndex) -> None:
        stats = index.split_stats()
        s = stats.get(self.split or "all")
        for key, card in self.cards.items():
            card.value.setText(f"{getattr(s, key, 0):,}" if s else "0")

    def _fill_splits(self, index: DatasetIndex) -> None:
        stats = index.split_stats()
        names = [k for k in stats if k != "all"]
        x = np.arange(len(names))
        bottom = np.zeros(len(names))
        for key, color in STATUS_COLORS.items():
            values = np.array([getattr(stats[n], key) for n in names], dtype=float)
            if values.any():
                self.split_plot.addItem(pg.BarGraphItem(
                    x=x, height=values, y0=bottom, width=0.6, brush=color,
                    pen=pg.mkPen("#ffffff"), name=key))
            bottom += values
        self.split_plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        legend_text = "   ".join(f"<span style='color:{c}'>■</span> {k}"
                                 for k, c in STATUS_COLORS.items())
        self.split_plot.setTitle(f"Images per split<br><span style='font-size:9pt'>"
                                 f"{legend_text}</span>", color="#343a40", size="11pt")
        self.split_plot.setXRange(-0.6, max(0.6, len(names) - 0.4))
        self.split_plot.setYRange(0, max(1.0, float(bottom.max(initial=0))) * 1.08)

    def _fill_classes(self, index: DatasetIndex) -> None:
        counts = index.instances_per_class(self.split)
        names = index.dataset.names
        ids = list(counts)
        y = np.arange(len(ids))[::-1].astype(float)  # first class on top
        widths = np.array([counts[i] for i in ids], dtype=float)
        brushes = [class_color(i) if i < len(names) else QColor("#ff6b6b") for i in ids]
        self.class_plot.addItem(pg.BarGraphItem(x0=np.zeros(len(ids)), y=y, width=widths,
                                                height=0.7, brushes=brushes,
                                                pen=pg.mkPen(None)))
        for yi, value in zip(y, widths, strict=True):
            label = pg.TextItem(f"{int(value):,}", color="#495057", anchor=(0, 0.5))
            label.setPos(value, yi)
            self.class_plot.addItem(label)
        ticks = [(yi, names[i] if i < len(names) else f"unknown id {i}")
                 for yi, i in zip(y, ids, strict=True)]
        self.class_plot.getAxis("left").setTicks([ticks])
        self.class_plot.setYRange(-0.6, len(ids) - 0.4, padding=0)
        self.class_plot.setXRange(0, max(1.0, float(widths.max(initial=0))) * 1.15)
        self.class_plot.setMinimumHeight(max(180, CLASS_ROW_PX * len(ids) + 60))

    def _fill_sizes(self, index: DatasetIndex) -> None:
        sizes = index.box_sizes(self.split)
        if len(sizes) > MAX_SCATTER:  # a fixed subsample keeps 100k boxes interactive
            keep = np.random.default_rng(0).choice(len(sizes), MAX_SCATTER, replace=False)
            sizes = sizes[keep]
        for cls in np.unique(sizes[:, 0]).astype(int):
            mine = sizes[sizes[:, 0] == cls]
            color = QColor(class_color(cls))
            color.setAlpha(150)
            self.size_plot.addItem(pg.ScatterPlotItem(x=mine[:, 1], y=mine[:, 2], size=5,
                                                      pen=None, brush=pg.mkBrush(color)))
        self.size_plot.setTitle(f"Box width × height — {len(sizes):,} boxes",
                                color="#343a40", size="11pt")
        self.size_plot.setXRange(0, 1, padding=0.02)
        self.size_plot.setYRange(0, 1, padding=0.02)
        self._fill_areas(np.sqrt(sizes[:, 1] * sizes[:, 2]))

    def _fill_areas(self, sides: np.ndarray) -> None:
        """Histogram of box scale; small objects (left) are the hard ones to learn."""
        edges = np.linspace(0.0, 1.0, 41)
        counts, _ = np.histogram(np.clip(sides, 0, 1), bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        self.area_plot.addItem(pg.BarGraphItem(x=centres, height=counts,
                                               width=edges[1] - edges[0], brush="#74c0fc",
                                               pen=pg.mkPen("#ffffff")))
        self.area_plot.setXRange(0, 1, padding=0.02)
        self.area_plot.setYRange(0, max(1, int(counts.max(initial=0))) * 1.1, padding=0)
