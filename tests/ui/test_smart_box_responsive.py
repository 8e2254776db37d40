"""The GUI thread keeps running while Smart box works with SAM: opening images (which
starts their embedding), clicks (which run the prompt decoder) and switching images all
happen in the tool's worker thread, never as a stall of the event loop.

MobileSAM is built with ultralytics' own builder and random weights (no network, no
download): the mechanics and the timing are checked, never the quality of the boxes.
"""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.widgets import smart_box_weights

BEAT_MS = 5
GOAL_S = 0.050  # the issue: the GUI thread never blocked > 50 ms
#: What the GUI thread itself may compute between two beats beyond the goal (a beat is
#: late by up to its own period, and CPU time is counted in scheduler ticks).
CPU_MARGIN_S = 0.020
#: The CI machine's 2 cores are shared with other engineers' tests and training runs (load
#: 1-9 while this was written): a GUI thread that is ready to run can still wait this long
#: for a core or for the GIL held by a descheduled worker; only a freeze beyond this is a
#: failure. Measured (random-weight MobileSAM, 2 images, 4 clicks): longest gap 14-57 ms,
#: of it 9-18 ms of GUI-thread work, idle loop 5-9 ms, clicks 65-84 ms, at load 1-1.5.
LOADED_MARGIN_S = 1.0


class Heartbeat:
    """A QTimer on the GUI thread; the longest gap between two beats is the longest time
    the event loop could not run.

    Besides wall-clock gaps it records the GUI thread's CPU time in each gap, less the time
    Python's cyclic collector took in it: the app runs that collector on a GUI-thread timer
    (ui/gui_gc.py), and with torch and ultralytics loaded a full collection took 0.5-1 s
    of the GUI thread whenever its threshold happened to be crossed (reported apart, in
    ``collector``: it is no Smart box work).
    """

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.cpu: list[float] = []  # GUI-thread CPU time spent inside each gap
        self.collector: list[float] = []  # collector passes on the GUI thread
        self._in_gap_gc = 0.0
        self._gc_start = 0.0
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._beat)

    def _gc(self, phase: str, _info: dict) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if phase == "start":
            self._gc_start = time.thread_time()
        else:
            took = time.thread_time() - self._gc_start
            self._in_gap_gc += took
            self.collector.append(took)

    def _beat(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu.append(cpu - self._last_cpu - self._in_gap_gc)
        self._last, self._last_cpu, self._in_gap_gc = now, cpu, 0.0

    def start(self) -> None:
        self.gaps.clear()
        self.cpu.clear()
        self.collector.clear()
        gc.callbacks.append(self._gc)
        self._last, self._last_cpu, self._in_gap_gc = time.perf_counter(), time.thread_time(), 0.0
        self.timer.start(BEAT_MS)

    def stop(self) -> tuple[float, float]:
        """(longest gap, most GUI-thread CPU time spent in one gap), in seconds."""
        self.timer.stop()
        gc.callbacks.remove(self._gc)
        return max(self.gaps, default=0.0), max(self.cpu, default=0.0)


@pytest.fixture
def mobile_sam(tmp_path: Path) -> Path:
    import torch

    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.sam import build

    path = tmp_path / "weights" / "mobile_sam.pt"
    path.parent.mkdir()
    torch.save(build.build_mobile_sam().state_dict(), path)
    return path


def _embedded(tool, key: str) -> bool:
    engine = tool.worker._engine
    return engine is not None and engine.needs_embedding and engine.cached(key)


def _click(qtbot, canvas, x: float, y: float) -> None:
    pos = canvas.image_to_view(x, y)
    qtbot.mouseMove(canvas.viewport(), pos)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pos)


@pytest.mark.slow
def test_the_gui_thread_never_stalls_while_sam_embeds_and_decodes(
        qtbot, open_dataset_panel, tiny_dataset: Path, mobile_sam: Path, monkeypatch) -> None:
    from torch_guard import torch_forbidden_on_gui_thread

    smart_box_weights.choose_weights(str(mobile_sam))
    panel = open_dataset_panel(tiny_dataset)
    editor, canvas = panel.editor, panel.editor.canvas
    tool = editor.smart_box
    beat = Heartbeat()
    beat.start()
    qtbot.wait(1000)  # the idle event loop: what the machine alone costs
    idle, _ = beat.stop()
    seconds: list[float] = []
    with torch_forbidden_on_gui_thread(monkeypatch) as gui_torch:
        beat.start()
        for row in (0, 1):
            record = panel.browser.model.record_at(row)
            with qtbot.waitSignal(editor.image_shown, timeout=60_000):
                panel.browser.open_requested.emit(record)
            # embedded at once (row 0) or already, as the next image of the queue (row 1)
            qtbot.waitUntil(lambda key=str(record.path): _embedded(tool, key), timeout=180_000)
            if not tool.active:
                panel.activateWindow()
                canvas.setFocus()
                qtbot.waitUntil(canvas.hasFocus)
                qtbot.keyClick(canvas, Qt.Key.Key_S)
            w, h = canvas.image_size
            for fx, fy in ((0.5, 0.5), (0.3, 0.6)):
                with qtbot.waitSignal(tool.result_shown, timeout=60_000) as shown:
                    _click(qtbot, canvas, fx * w, fy * h)
                seconds.append(shown.args[0].seconds)
        busy, cpu = beat.stop()
    sam = tool.worker._engine
    assert sam.name.startswith("MobileSAM")
    assert gui_torch == []  # all torch work ran in the worker
    assert len(read_labels(label_path_for(record.path))) >= 1  # the clicks made boxes
    print(f"longest GUI-thread gap: {busy * 1000:.0f} ms while SAM worked ({cpu * 1000:.0f} "
          f"ms of it computing on the GUI thread), {idle * 1000:.0f} ms idle; collector "
          f"passes {[round(c * 1000) for c in beat.collector if c > 0.005]} ms; clicks "
          f"{[round(s * 1000) for s in seconds]} ms; encoder runs {sam.encoder_calls}")
    # the GUI thread's own work between two beats: the goal, whatever the machine's load
    assert cpu <= GOAL_S + CPU_MARGIN_S, f"the GUI thread computed {cpu * 1000:.0f} ms at once"
    assert busy <= GOAL_S + LOADED_MARGIN_S, (
        f"GUI thread blocked {busy * 1000:.0f} ms (idle loop: {idle * 1000:.0f} ms)")
    smart_box_weights.choose_weights("grabcut")
