"""One way to open the Live panel in a test: no camera, the tiny dataset and model loaded."""

from __future__ import annotations

from pathlib import Path

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.inference.video import CameraProbe
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.live import panel as live_module
from penguin_studio.ui.live.panel import LivePanel


def no_camera(monkeypatch) -> None:
    """This machine has no camera: the probe finds none, at once."""
    monkeypatch.setattr(live_module, "probe_cameras",
                        lambda: CameraProbe([], "/dev/video*: none present"))


def show_live_panel(qtbot, context, size: tuple[int, int] = (1100, 720)) -> LivePanel:
    """A shown Live panel on ``context``, its camera search over (awaited, not slept)."""
    widget = LivePanel(context)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitUntil(lambda: not widget.busy, timeout=10_000)
    return widget


def open_live_panel(qtbot, dataset: Path, weights: Path, monkeypatch) -> LivePanel:
    """A shown Live panel whose camera probe finds nothing (this machine has no camera)."""
    no_camera(monkeypatch)
    context = AppContext()
    context.dataset = open_dataset(dataset)
    widget = show_live_panel(qtbot, context)
    widget.set_weights(weights)
    return widget
