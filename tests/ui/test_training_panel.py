"""The Train panel for real: wizard → child process → monitor, kill, stop, resume, history."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from PySide6.QtWidgets import QMessageBox

from penguin_studio import cli
from penguin_studio.core.training import runs, verdict
from penguin_studio.core.training.config import TrainConfig

pytestmark = pytest.mark.slow
TRAIN_TIMEOUT_MS = 180_000


@pytest.fixture(autouse=True)
def _no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> list:
    """Message boxes would block the test; record them instead."""
    shown: list = []

    def record(*args, **_kw):
        shown.append(args[1:3])
        return QMessageBox.StandardButton.Ok

    def record_open(box: QMessageBox) -> None:  # the window's non-blocking error boxes
        shown.append((box.windowTitle(), box.text()))

    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, record)
    monkeypatch.setattr(QMessageBox, "open", record_open)
    return shown


@pytest.fixture
def window(qtbot, tiny_dataset: Path):
    from penguin_studio.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=20_000):
        win.context.open_path(tiny_dataset)
    yield win
    win.close()


@pytest.fixture
def hyp(tmp_path: Path) -> Path:
    path = tmp_path / "fast.yaml"
    path.write_text("plots: false\n")
    return path


def _fill_wizard(panel, hyp: Path, name: str) -> None:
    """Scratch, yolov8n, 2 epochs at 64 px, batch 2, no cache, CPU, a hyp file."""
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("scratch")
    wiz.go(1)
    wiz.model_page.arch_combo.setCurrentText("yolov8n.yaml")
    wiz.go(2)
    s = wiz.settings_page
    s.epochs.setValue(2)
    s.imgsz.setValue(64)
    s.batch.setValue(2)
    s.cache.setCurrentText("none")
    s.device.setCurrentText("cpu")
    s.set_hyp(str(hyp))
    s.name.setText(name)
    wiz.go(3)


def _wait_planned(qtbot, wizard) -> None:
    qtbot.waitUntil(lambda: wizard._planned is not None or bool(wizard.review_page.error.text()),
                    timeout=20_000)
    assert wizard._planned is not None, wizard.review_page.error.text()


def test_wizard_equals_cli_and_a_killed_child_leaves_the_window_alive(
        qtbot, window, tiny_dataset: Path, hyp: Path) -> None:
    panel = window.show_panel("train")
    _fill_wizard(panel, hyp, "gui")
    _wait_planned(qtbot, panel.wizard)
    command = panel.wizard.review_page.command_text.toPlainText()
    assert command.startswith("yolo detect train model=yolov8n.yaml") and "epochs=2" in command
    assert "mode: scratch" in panel.wizard.review_page.config_text.toPlainText()
    assert panel.wizard.start_button.isEnabled()
    panel.wizard.start_button.click()
    sup = panel.supervisor
    assert sup is not None and panel.tabs.currentWidget() is panel.monitor

    second_epoch: list = []
    sup.event.connect(lambda e: second_epoch.append(e)
                      if e["type"] == "batch" and e["epoch"] == 1 else None)
    qtbot.waitUntil(lambda: bool(second_epoch), timeout=TRAIN_TIMEOUT_MS)
    # the review page never offers the folder this run now uses
    qtbot.waitUntil(lambda: "gui2" in panel.wizard.review_page.summary.text(), timeout=20_000)
    with qtbot.waitSignal(sup.ended, timeout=30_000):
        sup.process.kill()  # what the system's out-of-memory killer does

    monitor = panel.monitor
    assert monitor.state == "failed"
    assert monitor.error_label.isVisible() and "killed" in monitor.error_label.text()
    assert monitor.resume_button.isEnabled()  # epoch 1's last.pt is there
    run_dir = tiny_dataset.parent / "runs" / "gui"
    record = runs.load_run(run_dir)
    assert record.status == "failed" and record.resumable
    t0 = time.perf_counter()
    qtbot.wait(50)  # the event loop still turns
    assert window.isVisible() and time.perf_counter() - t0 < 1.0

    assert cli.main(["train", "--data", str(tiny_dataset), "--mode", "scratch", "--model",
                     "yolov8n.yaml", "--epochs", "2", "--imgsz", "64", "--batch", "2",
                     "--cache", "none", "--device", "cpu", "--hyp", str(hyp),
                     "--name", "cli"]) == 0
    gui_args = yaml.safe_load((run_dir / "args.yaml").read_text())
    cli_args = yaml.safe_load((run_dir.parent / "cli" / "args.yaml").read_text())
    for key in ("name", "save_dir"):
        assert gui_args.pop(key) != cli_args.pop(key)
    assert gui_args == cli_args


def test_stop_in_first_epoch_then_resume_from_the_monitor(qtbot, window,
                                                          tiny_dataset: Path) -> None:
    panel = window.show_panel("train")
    config = TrainConfig.for_mode("scratch", tiny_dataset, epochs=2, imgsz=64, batch=2,
                                  cache="none", device="cpu", name="stopme",
                                  extra={"plots": False})
    sup = panel.start(config)
    first_batch: list = []
    sup.event.connect(lambda e: first_batch.append(e) if e["type"] == "batch" else None)
    qtbot.waitUntil(lambda: bool(first_batch), timeout=TRAIN_TIMEOUT_MS)
    with qtbot.waitSignal(sup.ended, timeout=TRAIN_TIMEOUT_MS) as ended:
        panel.monitor.stop_button.click()
    assert ended.args[0].status == "stopped" and ended.args[0].resumable
    assert panel.monitor.state == "stopped" and panel.monitor.resume_button.isEnabled()
    assert "ETA" not in panel.monitor.progress_label.text()  # nothing is running any more
    qtbot.waitUntil(lambda: panel.supervisor is None, timeout=10_000)

    panel.monitor.resume_button.click()
    sup = panel.supervisor
    assert sup is not None
    with qtbot.waitSignal(sup.ended, timeout=TRAIN_TIMEOUT_MS) as ended:
        pass
    assert ended.args[0].status == "completed", ended.args[0].message
    assert panel.monitor.state == "completed"
    run_dir = tiny_dataset.parent / "runs" / "stopme"
    useless = verdict.learned_nothing(runs.load_run(run_dir).best)  # 2 epochs at 64 px
    assert ("learned nothing" in panel.monitor.state_label.text()) == useless
    assert ("is ready" in panel.monitor.state_label.text()) != useless
    assert runs.read_results(run_dir / "results.csv")["epoch"] == [1.0, 2.0]
    steps = panel.monitor.curves.batch_step.values  # the live plots after the resume
    assert len(steps) == 10 and np.all(np.diff(steps) > 0)

    qtbot.waitUntil(lambda: panel.supervisor is None, timeout=10_000)
    history = panel.history
    history.refresh()
    qtbot.waitUntil(lambda: [r.status for r in history.records] == ["completed"],
                    timeout=10_000)
    history.table.selectRow(0)
    dialog = history.compare_selected()
    qtbot.addWidget(dialog)
    curve = dialog.plot.getPlotItem().listDataItems()[0]
    assert list(curve.getData()[0]) == [1.0, 2.0]

    png, csv_file = tiny_dataset.parent / "plots.png", tiny_dataset.parent / "metrics.csv"
    panel.monitor.plots.save_png(png)
    panel.monitor.curves.to_csv(csv_file)
    assert png.read_bytes()[:4] == b"\x89PNG"
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("epoch,") and len(lines) == 1 + 2 + 2 + 10  # epochs, batches


def test_model_manager_import_warns_once(fresh_home: Path, qtbot, window, tiny_weights: Path,
                                         _no_modal_boxes: list) -> None:
    """Imports into a home of its own: the imported best.pt must not reach later tests."""
    from penguin_studio.core import appdirs
    from penguin_studio.core.training import models

    (appdirs.config_dir() / models.TRUST_FLAG).unlink(missing_ok=True)
    panel = window.show_panel("train")
    dialog = panel.open_models()
    dialog.import_file(str(tiny_weights))
    dialog.import_file(str(tiny_weights))
    warnings = [box for box in _no_modal_boxes if "trusted" in box[0]]
    assert len(warnings) == 1 and "run code" in warnings[0][1]
    status = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
              for r in range(dialog.table.rowCount())}
    assert status["best.pt"] == "imported" and status["yolo11n.pt"] == "not downloaded"
    combo = panel.wizard.model_page.named_combo
    assert combo.findData("best.pt") >= 0  # offered as start weights at once
    (appdirs.weights_dir() / "best.pt").unlink()


def test_wizard_shows_frozen_layers_and_the_finetune_preset(qtbot, window,
                                                            tiny_weights: Path) -> None:
    panel = window.show_panel("train")
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("freeze")
    wiz.model_page.select_weights_file(str(tiny_weights))  # architecture read in background
    layers = wiz.model_page.layer_list
    qtbot.waitUntil(lambda: layers.count() == 23, timeout=30_000)
    frozen = [layers.item(i).text() for i in range(layers.count())
              if layers.item(i).text().startswith("frozen")]
    assert len(frozen) == 10 and "SPPF" in frozen[-1]
    wiz.model_page.freeze_spin.setValue(4)
    assert sum(layers.item(i).text().startswith("frozen") for i in range(23)) == 4
    assert wiz.config().freeze == 4

    wiz.recipe_page.set_recipe("finetune")
    diff = wiz.settings_page.diff
    rows = {diff.item(r, 0).text(): (diff.item(r, 1).text(), diff.item(r, 2).text())
            for r in range(diff.rowCount())}
    assert rows["optimizer"] == ("auto", "SGD") and rows["lr0"] == ("0.01", "0.001")
    assert wiz.config().freeze is None
    wiz.go(3)
    _wait_planned(qtbot, wiz)
    assert "optimizer=SGD lr0=0.001" in wiz.review_page.command_text.toPlainText()


def test_missing_named_model_is_refused_at_once(qtbot, window, tiny_dataset: Path,
                                               _no_modal_boxes: list) -> None:
    panel = window.show_panel("train")
    config = TrainConfig.for_mode("freeze", tiny_dataset, weights="yolo11n.pt")
    sup = panel.start(config)
    # waited on the monitor, not on sup.failed: the thread may emit it before a wait connects
    qtbot.waitUntil(lambda: panel.monitor.state == "failed", timeout=30_000)
    # "at once": refused by the checks before launch, no training process (torch) started
    assert sup.process is None and not (tiny_dataset.parent / "runs").exists()
    assert "yolo11n.pt is not on this computer" in panel.monitor.error_label.text()
    assert any("yolo11n.pt is not on this computer" in text for _t, text in _no_modal_boxes)


def test_monitor_stays_fluid_with_100k_batches(qtbot) -> None:
    from penguin_studio.ui.train.monitor import TrainingMonitor

    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.resize(1200, 700)
    monitor.show()
    rng = np.random.default_rng(0)
    nb = 1000
    losses = rng.random((100_000, 3))
    for i in range(100_000):
        monitor.curves.feed({"type": "batch", "epoch": i // nb, "batch": i % nb + 1,
                             "batches": nb, "epochs": 100, "lr": 0.01, "loss": {
                                 "box_loss": losses[i, 0], "cls_loss": losses[i, 1],
                                 "dfl_loss": losses[i, 2]}})
    times = []
    for i in range(5):
        monitor.curves.feed({"type": "epoch", "epoch": i + 1, "epochs": 100,
                             "metrics": {"metrics/mAP50(B)": 0.1 * i}})
        t0 = time.perf_counter()
        monitor.plots.refresh(monitor.curves)
        monitor.plots.layout_widget.grab()  # a full repaint
        times.append(time.perf_counter() - t0)
    assert len(monitor.curves.batch_step) == 100_000
    assert float(np.median(times)) < 0.5, times  # measured ~0.05-0.1 s on 2 loaded cores
