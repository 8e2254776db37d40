"""The backend choice: one setting shown in Settings, Detect and Live, used by the next run."""

from __future__ import annotations

import pytest

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.core.inference import backends
from penguin_studio.ui import settings
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def context(qtbot, tiny_dataset):
    ctx = AppContext()
    ctx.dataset = open_dataset(tiny_dataset)
    yield ctx
    ctx.shutdown()
    settings.set_inference_backend(backends.TORCH)


def test_settings_list_every_backend_and_say_what_automatic_does(qtbot, tmp_path):
    from penguin_studio.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    combo = dialog.backend
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Automatic (fastest measured here)", "PyTorch", "OpenVINO", "ONNX Runtime"]
    assert "fastest" in dialog.explanation.text()
    dialog.show()
    dialog.grab().save(str(tmp_path / "settings.png"))


def test_choosing_onnx_runtime_in_settings_runs_detect_on_it(qtbot, context, tiny_weights,
                                                             tiny_dataset):
    from penguin_studio.ui.detect.panel import DetectPanel
    from penguin_studio.ui.settings_dialog import SettingsDialog

    panel = DetectPanel(context)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.backend.set_value(backends.ONNXRUNTIME)
    assert panel.backend.value() == backends.ONNXRUNTIME  # every copy follows the setting
    assert settings.inference_backend() == backends.ONNXRUNTIME
    try:
        panel.weights.set_path(str(tiny_weights))
        panel.set_source(str(tiny_dataset.parent / "images" / "val"))
        qtbot.waitUntil(lambda: not panel.job.busy, timeout=120_000)
        preds = panel.session.current
        assert preds is not None and preds.model.backend == backends.ONNXRUNTIME
        assert "ONNX Runtime" in panel.session.timing_text()
    finally:
        panel.shutdown()
