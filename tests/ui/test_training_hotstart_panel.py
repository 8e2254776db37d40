"""The wizard's hot start card runs the same training as ``train --mode hotstart``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import shared_dataset
from PySide6.QtWidgets import QMessageBox

from penguin_studio import cli
from penguin_studio.core.training.events import EVENTS_FILE, read_events

pytestmark = pytest.mark.slow


@pytest.fixture
def window(qtbot, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch):
    from penguin_studio.ui.main_window import MainWindow

    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Ok)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=20_000):
        win.context.open_path(tiny_dataset)
    yield win
    win.close()


def test_wizard_hot_start_equals_the_cli(qtbot, window, tiny_dataset: Path,
                                         tmp_path: Path) -> None:
    weights = shared_dataset("weights/yolov5nu-coco-backbone.pt")
    hyp = tmp_path / "fast.yaml"
    hyp.write_text("plots: false\n")
    panel = window.show_panel("train")
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("hotstart")
    assert "every layer" in wiz.recipe_page.buttons["hotstart"].text()
    wiz.go(1)
    wiz.model_page.select_weights_file(str(weights))
    assert wiz.model_page.freeze_box.title() == "Layers (all trained)"
    wiz.go(2)
    s = wiz.settings_page
    assert s.optimizer.currentText() == "auto"  # ultralytics' defaults, not the fine-tune preset
    s.epochs.setValue(1)
    s.imgsz.setValue(64)
    s.batch.setValue(4)
    s.cache.setCurrentText("none")
    s.device.setCurrentText("cpu")
    s.set_hyp(str(hyp))
    s.name.setText("gui")
    wiz.go(3)
    qtbot.waitUntil(lambda: wiz._planned is not None or bool(wiz.review_page.error.text()),
                    timeout=20_000)
    assert wiz._planned is not None, wiz.review_page.error.text()
    assert "freeze=" not in wiz.review_page.command_text.toPlainText()
    wiz.start_button.click()
    with qtbot.waitSignal(panel.supervisor.ended, timeout=180_000) as ended:
        pass
    assert ended.args[0].status == "completed", ended.args[0].message

    assert cli.main(["train", "--data", str(tiny_dataset), "--mode", "hotstart", "--weights",
                     str(weights), "--epochs", "1", "--imgsz", "64", "--batch", "4",
                     "--cache", "none", "--device", "cpu", "--hyp", str(hyp),
                     "--name", "cli"]) == 0
    runs = tiny_dataset.parent / "runs"
    gui_args = yaml.safe_load((runs / "gui" / "args.yaml").read_text())
    cli_args = yaml.safe_load((runs / "cli" / "args.yaml").read_text())
    for key in ("name", "save_dir"):
        assert gui_args.pop(key) != cli_args.pop(key)
    assert gui_args == cli_args
    assert gui_args["optimizer"] == "auto" and gui_args["freeze"] is None
    start = next(e for e in read_events(runs / "gui" / EVENTS_FILE) if e["type"] == "start")
    assert start["frozen"] == [] and start["total"] - start["trainable"] == 16
