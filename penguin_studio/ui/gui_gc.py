"""Python's garbage collector runs on the GUI thread only.

Why: the cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed. When that is a worker thread and the garbage holds Qt widgets (a closed dialog, a
panel of an earlier test), shiboken destroys them there: the widget's destructor takes a Qt
lock and waits for the GIL while the GUI thread holds the GIL and waits for that lock. The
window freezes for good (seen in the test suite: a QThread parsing labels, the GUI thread
building a page). pyqtgraph documents the same cure: switch automatic collection off and
collect from a timer on the GUI thread, generation by generation as the thresholds say.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Collects on a GUI-thread timer what the automatic collector would have collected."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        gc.disable()
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold (like CPython)."""
        if gc.isenabled():  # a library switched it back on (ultralytics does, see engine)
            gc.disable()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def install(app: QObject) -> GuiThreadCollector:
    """Once per application: the collector lives as long as the QApplication."""
    existing = app.findChild(GuiThreadCollector)
    return existing if existing is not None else GuiThreadCollector(app)
