"""Start-up: process start to a shown main window, against a bare PySide6 + pyqtgraph window.

Runs each 5 times as cold processes (new interpreter each time), alternating, and prints the
medians and their ratio. The app shows its window before it imports torch, ultralytics or
pyqtgraph, so it should be *faster* than a bare window that imports pyqtgraph.
Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 5
BARE = (
    "import time, sys\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "import pyqtgraph as pg\n"
    "app = QApplication(sys.argv)\n"
    "w = QMainWindow(); w.setCentralWidget(pg.PlotWidget()); w.resize(1280, 800); w.show()\n"
    "QTimer.singleShot(0, lambda: (print(f'SHOWN {time.time():.6f}', flush=True), app.quit()))\n"
    "app.exec()\n"
)


def time_process(args: list[str], env: dict[str, str]) -> float:
    start = time.time()
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120).stdout
    shown = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("SHOWN"))
    return shown - start


def main() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PENGUIN_STUDIO_STARTUP_PROBE="1",
               PENGUIN_STUDIO_HOME=tempfile.mkdtemp(prefix="bench-startup-"))
    app_args = [sys.executable, "-m", "penguin_studio"]
    bare_args = [sys.executable, "-c", BARE]
    time_process(app_args, env)  # warm the OS file cache once for both
    time_process(bare_args, env)
    app_times, bare_times = [], []
    for _ in range(RUNS):
        app_times.append(time_process(app_args, env))
        bare_times.append(time_process(bare_args, env))
    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    print(f"penguin-studio: window shown after {app_median:.3f} s (median of {RUNS})")
    print(f"bare PySide6 + pyqtgraph window: {bare_median:.3f} s (median of {RUNS})")
    print(f"ratio app / bare: {app_median / bare_median:.2f} (target: app ≤ 1.5 s)")
    print(json.dumps({"benchmark": "startup", "app_s": round(app_median, 3),
                      "bare_s": round(bare_median, 3),
                      "ratio": round(app_median / bare_median, 3),
                      "app_runs": [round(t, 3) for t in app_times],
                      "bare_runs": [round(t, 3) for t in bare_times],
                      "target_s": 1.5, "ok": app_median <= 1.5}))


if __name__ == "__main__":
    main()
