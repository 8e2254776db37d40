"""Create the QApplication and the main window; the offscreen screenshot mode.

Start-up is kept light: nothing here imports torch, ultralytics or pyqtgraph.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from penguin_studio import APP_NAME, __version__

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SETTLE_MS = 200  # after the panel's jobs: long enough for its debounce timers to fire


def _prepare_environment(offscreen: bool) -> None:
    # opencv-python points Qt at its bundled Qt5 plugins; Qt 6 must not load those.
    if "cv2" in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", ""):
        os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH")
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def create_application(argv: list[str] | None = None, offscreen: bool = False):
    """The one QApplication, styled; reused when one exists (tests)."""
    _prepare_environment(offscreen)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Penguin Studio")
    app.setStyle("Fusion")
    qss = RESOURCES / "style.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    from penguin_studio.ui import gui_gc

    gui_gc.install(app)  # widgets die on the GUI thread, never in a worker (a deadlock)
    return app


def run_app(path: str | None, panel: str | None) -> int:
    """Show the window at once, then open PATH (or last project, or the sample)."""
    app = create_application()
    from PySide6.QtCore import QTimer

    from penguin_studio.ui.main_window import MainWindow

    window = MainWindow()
    if panel:
        window.show_panel(panel)
    window.show()
    if os.environ.get("PENGUIN_STUDIO_STARTUP_PROBE"):
        # bench_startup.py: report the moment the window is on screen, then quit.
        QTimer.singleShot(0, lambda: (print(f"SHOWN {time.time():.6f}", flush=True),
                                      app.quit()))
    QTimer.singleShot(0, lambda: window.context.open_startup_project(path))
    return app.exec()


def take_screenshot(path: str | None, out: Path, panel: str | None,
                    size: tuple[int, int] = (1280, 800), timeout_s: float = 180.0) -> int:
    """Render the window offscreen once the project has loaded, save a PNG, return 0."""
    _app = create_application(offscreen=True)  # held until the window is grabbed
    from PySide6.QtCore import QEventLoop, QTimer

    from penguin_studio.ui.main_window import MainWindow

    window = MainWindow()
    window.resize(*size)
    outcome: dict[str, str] = {}
    loop = QEventLoop()
    window.context.dataset_changed.connect(lambda _ds: (outcome.setdefault("ok", ""), loop.quit()))
    window.context.error.connect(lambda _t, msg: (outcome.setdefault("error", msg), loop.quit()))
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    window.show()
    window.context.open_startup_project(path)
    loop.exec()
    if "error" in outcome or "ok" not in outcome:
        reason = outcome.get("error", f"the project did not load within {timeout_s:.0f} s")
        print(f"error: {reason}", file=sys.stderr)
        window.close()
        return 1
    if panel == "editor":  # the Dataset panel with the first image open in the editor
        images = window.context.dataset.images()
        if images:
            window.context.request_edit(images[0])
    elif panel:
        window.show_panel(panel)
    _settle(window)
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        print(f"error: could not write {out}", file=sys.stderr)
        return 1
    print(f"Saved {out}")
    window.close()
    return 0


def _settle(window) -> None:
    """Before the grab: the shown panel's own jobs are over (its ``wait_until_idle``, an
    event loop woken when they end), then the events they left behind have run."""
    from PySide6.QtCore import QEventLoop, QTimer

    settle = getattr(window.stack.currentWidget(), "wait_until_idle", None)
    if callable(settle):
        settle()
    # Not waiting for work (that was above) but for what its results scheduled: debounced
    # re-counts (QTimers of 40-120 ms), layouts and repaints. One event loop for a fixed
    # moment runs them as they come, where a processEvents loop spun and slept.
    loop = QEventLoop()
    QTimer.singleShot(SETTLE_MS, loop.quit)
    loop.exec()
