"""The window as a new user meets it: it opens on the sample project, every panel shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from penguin_studio.ui import settings
from penguin_studio.ui.app import create_application
from penguin_studio.ui.main_window import MainWindow, about_text
from penguin_studio.ui.panel_registry import PANELS


@pytest.fixture
def window(qtbot):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_first_launch_opens_the_sample_project(window: MainWindow, qtbot, tmp_path: Path) -> None:
    settings.app_settings().remove("last_project")
    with qtbot.waitSignal(window.context.dataset_changed, timeout=120_000) as blocker:
        window.context.open_startup_project(None)
    dataset = blocker.args[0]
    assert dataset.image_count > 0
    assert "penguin" in dataset.names
    for spec in PANELS:
        panel = window.show_panel(spec.key)
        assert window.stack.currentWidget() is panel
        qtbot.wait(10)
    shot = tmp_path / "window.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_missing_last_project_falls_back_to_sample_and_says_so(window: MainWindow, qtbot,
                                                              tmp_path: Path) -> None:
    settings.remember_project(str(tmp_path / "gone" / "data.yaml"))
    messages: list[str] = []
    window.context.status_message.connect(lambda text, _ms: messages.append(text))
    with qtbot.waitSignal(window.context.dataset_changed, timeout=120_000):
        window.context.open_startup_project(None)
    qtbot.waitUntil(lambda: any("is gone" in m for m in messages), timeout=5000)
    assert "sample" in window.statusBar().currentMessage()


def test_about_names_qt_torch_and_ultralytics() -> None:
    text = about_text()
    for name in ("Qt", "torch", "ultralytics"):
        assert name in text


def test_screenshot_command_renders_each_panel(tmp_path: Path, tiny_dataset: Path) -> None:
    out = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-m", "penguin_studio", "--screenshot", str(out), "--panel", "train",
         str(tiny_dataset)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000


def test_window_start_does_not_import_the_engine() -> None:
    code = ("import sys; from penguin_studio.ui.app import create_application;"
            "from penguin_studio.ui.main_window import MainWindow;"
            "app = create_application(offscreen=True); w = MainWindow(); w.show();"
            "print(sorted(m for m in ('torch', 'ultralytics', 'pyqtgraph') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_screenshot_of_a_yaml_pointing_nowhere_fails_fast(tmp_path: Path) -> None:
    bad = tmp_path / "data.yaml"
    bad.write_text("train: nowhere/images\nval: nowhere/images\nnames: [penguin]\n")
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "penguin_studio", "--screenshot", str(out),
                             str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "nowhere/images" in errors[0]
    assert not out.exists()


def test_an_error_while_opening_does_not_block_the_window(window: MainWindow, qtbot,
                                                          tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("a: [unclosed\n")
    with qtbot.waitSignal(window.context.error, timeout=10000):
        window.context.open_path(bad)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=5000)
    box = window.findChild(QMessageBox)
    assert "broken.yaml, line 1: a [ list ] opened here is not closed" in box.text()
    box.close()
