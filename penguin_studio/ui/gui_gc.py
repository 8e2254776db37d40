"""Python's garbage collector runs on the GUI thread only.

Why: the cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed. When that is a worker thread and the garbage holds Qt widgets (a closed dialog, a
panel of an earlier test), shiboken destroys them there: the widget's destructor takes a Qt
lock and waits for the GIL while the GUI thread holds the GIL and waits for that lock. The
window freezes for good (seen in the test suite: a QThread parsing labels, the GUI thread
building a page). pyqtgraph documents the same cure: switch automatic collection off and
collect from a timer on the GUI thread, generation by generation as the thresholds say.

A library import leaves long-lived objects that every full collection would scan again:
with torch and ultralytics loaded (about 200,000 objects) one full collection took 85 ms on
an idle 2-core machine and 0.5-1 s on a loaded one, all of it on the GUI thread. What an
import creates lives as long as the process, so after a large import the collector does one
full collection and moves the survivors to the permanent generation (``gc.freeze``); later
collections scan only newer objects.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
#: New modules since the last freeze that make the next check freeze (torch alone: ~1,000).
FREEZE_AFTER_MODULES = 100


class GuiThreadCollector(QObject):
    """Collects on a GUI-thread timer what the automatic collector would have collected."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        gc.disable()
        self._thresholds = gc.get_threshold()
        self._modules_at_freeze = 0  # the first check freezes what start-up imported
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold (like CPython)."""
        if gc.isenabled():  # a library switched it back on (ultralytics does, see engine)
            gc.disable()
        if len(sys.modules) >= self._modules_at_freeze + FREEZE_AFTER_MODULES:
            self._freeze_long_lived()
            return
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


    def _freeze_long_lived(self) -> None:
        """One full collection, then the survivors (mostly what imports made) stay out of
        every later collection."""
        gc.collect()
        gc.freeze()
        self._modules_at_freeze = len(sys.modules)


def install(app: QObject) -> GuiThreadCollector:
    """Once per application: the collector lives as long as the QApplication."""
    existing = app.findChild(GuiThreadCollector)
    return existing if existing is not None else GuiThreadCollector(app)
