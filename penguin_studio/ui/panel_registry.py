"""The five places of the main window, one folder each (``ui/<panel>/panel.py``), created when
first shown.

Each panel is a ``QWidget`` subclass taking ``(context: AppContext, parent)``. It reacts to
``context.dataset_changed`` and may define ``shutdown()`` to stop its threads when the
window closes. Creating panels lazily keeps the window's start-up fast (pyqtgraph and the
engine are only imported by the panels that need them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    module: str
    cls: str
    icon: str  # a QStyle standard pixmap name, so no icon files are needed
    blurb: str


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("dataset", "Dataset", "penguin_studio.ui.dataset.panel", "DatasetPanel",
              "SP_DirIcon", "Browse and annotate images, classes and splits."),
    PanelSpec("train", "Train", "penguin_studio.ui.train.panel", "TrainPanel",
              "SP_MediaPlay", "Train a detector: from scratch, frozen backbone or fine-tune."),
    PanelSpec("evaluate", "Evaluate", "penguin_studio.ui.evaluate.panel", "EvaluatePanel",
              "SP_FileDialogDetailedView", "Precision-recall, confusion matrix, mistakes."),
    PanelSpec("detect", "Detect", "penguin_studio.ui.detect.panel", "DetectPanel",
              "SP_FileDialogContentsView", "Run a model on images, folders and videos."),
    PanelSpec("live", "Live", "penguin_studio.ui.live.panel", "LivePanel",
              "SP_ComputerIcon", "Live detection from a webcam, a video or a stream."),
)


def panel_spec(key: str) -> PanelSpec:
    return next(p for p in PANELS if p.key == key)
