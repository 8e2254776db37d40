"""No torch call runs on the GUI thread while the Detect and Evaluate panels are used."""

from __future__ import annotations

import pytest
from torch_guard import TorchOnGuiThread, torch_forbidden_on_gui_thread

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def context(qtbot, tiny_dataset):
    ctx = AppContext()
    ctx.dataset = open_dataset(tiny_dataset)
    yield ctx
    ctx.shutdown()


def test_the_guard_catches_torch_on_the_gui_thread(monkeypatch):
    import numpy as np
    import torch

    with torch_forbidden_on_gui_thread(monkeypatch) as calls:
        with pytest.raises(TorchOnGuiThread):
            torch.from_numpy(np.zeros(2))
        with pytest.raises(TorchOnGuiThread):
            torch.zeros(2)
    assert len(calls) == 2


def test_detect_sliders_and_toggles_run_no_torch_on_the_gui_thread(qtbot, context, tiny_weights,
                                                                   tiny_dataset, monkeypatch):
    from penguin_studio.ui.detect.panel import DetectPanel

    panel = DetectPanel(context)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    try:
        with torch_forbidden_on_gui_thread(monkeypatch) as calls:
            panel.weights.set_path(str(tiny_weights))
            panel.set_source(str(tiny_dataset.parent / "images" / "train"))
            qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
            assert panel.session.current is not None
            for conf, iou in ((0.0, 0.7), (0.001, 0.3), (0.002, 0.9), (0.0, 0.5)):
                panel.conf.set_value(conf)
                panel.iou.set_value(iou)
            assert panel.canvas.drawn_boxes()  # the sliders did re-filter
            panel.classes.set_visible(0, False)
            panel.classes.set_visible(0, True)
            panel.items.setCurrentRow(1)
            qtbot.wait(50)
        assert calls == []
    finally:
        panel.shutdown()


def test_evaluate_sliders_run_no_torch_on_the_gui_thread(qtbot, context, tiny_weights,
                                                         monkeypatch):
    from penguin_studio.ui.evaluate.panel import EvaluatePanel

    panel = EvaluatePanel(context)
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    try:
        with torch_forbidden_on_gui_thread(monkeypatch) as calls:
            panel.weights.set_path(str(tiny_weights))
            panel.run()
            qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
            assert panel.evaluation is not None
            for conf, iou in ((0.001, 0.45), (0.3, 0.2), (0.05, 0.7)):
                panel.conf.set_value(conf)
                panel.iou.set_value(iou)
            qtbot.waitUntil(lambda: panel.mistakes.conf == pytest.approx(0.05), timeout=2000)
            panel.tabs.setCurrentWidget(panel.mistakes)
            panel.mistakes.select_row(0)
            assert panel.mistakes.canvas.drawn_boxes()
            panel.tabs.setCurrentWidget(panel.confusion)
            qtbot.wait(50)
        assert calls == []
    finally:
        panel.shutdown()
