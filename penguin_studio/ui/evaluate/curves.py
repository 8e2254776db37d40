"""Interactive curves: precision-recall, and F1 / precision / recall against confidence.

ultralytics' own curve arrays are drawn per class (thin, class colour) and for all classes
(thick). Hovering shows the values under the mouse; the chosen confidence threshold is a
vertical line on the confidence plots and a dot on the precision-recall plot.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QWidget

from penguin_studio.core.evaluation.results import Curve, Evaluation
from penguin_studio.core.inference.drawing import class_color

ALL_PEN = pg.mkPen((31, 60, 110), width=3)
THRESHOLD_PEN = pg.mkPen((240, 140, 30), width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
TITLES = {"pr": "Precision-recall", "f1": "F1 vs confidence",
          "precision": "Precision vs confidence", "recall": "Recall vs confidence"}


class CurvePlot(pg.PlotWidget):
    """One curve family with hover read-out and a threshold marker."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.key = key
        self.curve: Curve | None = None
        self.names: list[str] = []
        self.setTitle(TITLES[key], color="#222", size="11pt")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.setXRange(0, 1, padding=0.02)
        self.setYRange(0, 1.02, padding=0.02)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        for axis in ("bottom", "left"):
            self.getAxis(axis).setTextPen("#333")
        self.readout = pg.TextItem("", color="#222", anchor=(1, 0), fill=(255, 255, 255, 225),
                                   border=pg.mkPen((200, 200, 200)))
        self.legend = self.addLegend(offset=(-10, 10), labelTextColor="#222") \
            if key == "pr" else None
        self.marker_line = pg.InfiniteLine(angle=90, pen=THRESHOLD_PEN)
        self.marker_dot = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(240, 140, 30),
                                             pen=pg.mkPen("w"))
        self.marker_text = pg.TextItem("", color=(200, 110, 20), anchor=(-0.1, 1.1))
        self._conf = 0.25
        self.scene().sigMouseMoved.connect(self._mouse_moved)

    def show_curve(self, curve: Curve | None, names: list[str]) -> None:
        self.clear()
        if self.legend is not None:
            self.legend.clear()
        self.curve, self.names = curve, names
        if curve is None:
            return
        self.setLabel("bottom", curve.xlabel)
        self.setLabel("left", curve.ylabel)
        for class_id, y in curve.ys.items():
            self.plot(curve.x, y, pen=pg.mkPen(class_color(class_id), width=1.2),
                      name=self._name(class_id))
        self.plot(curve.x, curve.mean(), pen=ALL_PEN, name="all classes")
        for item in (self.readout, self.marker_line, self.marker_dot, self.marker_text):
            self.addItem(item, ignoreBounds=True)
        self.readout.setPos(0.99, 1.0)

    def _name(self, class_id: int) -> str:
        return self.names[class_id] if 0 <= class_id < len(self.names) else str(class_id)

    def set_threshold(self, conf: float, partner: dict[str, Curve]) -> None:
        """Mark ``conf``: a line on confidence plots, the (R, P) point on the PR plot."""
        self._conf = conf
        if self.curve is None:
            return
        if self.key == "pr":
            self.marker_line.setVisible(False)
            recall, precision = partner.get("recall"), partner.get("precision")
            if recall is None or precision is None:
                return
            point = (recall.value_at(conf), precision.value_at(conf))
        else:
            self.marker_line.setVisible(True)
            self.marker_line.setValue(conf)
            point = (conf, self.curve.value_at(conf))
        self.marker_dot.setData([point[0]], [point[1]])
        self.marker_text.setText(f"conf {conf:.2f}")
        self.marker_text.setPos(*point)
        self._set_readout(self.hover_text(conf) if self.key != "pr" else "")

    def hover_text(self, x: float) -> str:
        """The read-out shown with the mouse at ``x`` (also used by tests)."""
        if self.curve is None:
            return ""
        x = float(np.clip(x, 0.0, 1.0))
        lines = [f"{self.curve.xlabel.lower()} {x:.2f}",
                 f"all: {self.curve.ylabel.lower()} {self.curve.value_at(x):.3f}"]
        lines += [f"{self._name(c)}: {self.curve.value_at(x, c):.3f}" for c in self.curve.ys]
        return "\n".join(lines)

    def _mouse_moved(self, pos) -> None:
        if self.curve is None:
            return
        view = self.getPlotItem().vb
        if not view.sceneBoundingRect().contains(pos):
            self._set_readout(self.hover_text(self._conf) if self.key != "pr" else "")
            return
        self._set_readout(self.hover_text(view.mapSceneToView(pos).x()))

    def _set_readout(self, text: str) -> None:
        self.readout.setText(text)
        self.readout.setVisible(bool(text))


class CurvesView(QWidget):
    """The four plots in a grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = {key: CurvePlot(key) for key in TITLES}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate(self.plots.values()):
            grid.addWidget(plot, i // 2, i % 2)
        self._curves: dict[str, Curve] = {}

    def show_evaluation(self, evaluation: Evaluation | None, conf: float) -> None:
        self._curves = {} if evaluation is None else evaluation.curves
        names = [] if evaluation is None else evaluation.names
        for key, plot in self.plots.items():
            plot.show_curve(self._curves.get(key), names)
        self.set_threshold(conf)

    def set_threshold(self, conf: float) -> None:
        for plot in self.plots.values():
            plot.set_threshold(conf, self._curves)
