"""One way to open the Live panel in a test: no camera, the tiny dataset and model loaded."""

from __future__ import annotations

from pathlib import Path

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.inference.video import CameraProbe
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.live import panel as live_module
from penguin_studio.ui.live.panel import LivePanel


def open_live_panel(qtbot, dataset: Path, weights: Path, monkeypatch) -> LivePanel:
    """A shown Live panel whose camera probe finds nothing (this machine has no camera)."""
    monkeypatch.setattr(live_module, "probe_cameras",
                        lambda: CameraProbe([], "/dev/video*: none present"))
    context = AppContext()
    context.dataset = open_dataset(dataset)
    widget = LivePanel(context)
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.show()
    widget.wait_until_idle()
    widget.set_weights(weights)
    return widget
