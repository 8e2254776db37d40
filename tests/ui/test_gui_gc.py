"""The cyclic garbage collector runs on the GUI thread only (see penguin_studio/ui/gui_gc.py)."""

from __future__ import annotations

import gc
import sys
import threading
import weakref

from penguin_studio.ui import gui_gc
from penguin_studio.ui.app import create_application


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_the_app_collects_cycles_on_a_gui_thread_timer(qtbot) -> None:
    app = create_application()
    collector = gui_gc.install(app)
    assert gui_gc.install(app) is collector  # one per application
    assert not gc.isenabled()  # a worker thread can never trigger a collection

    seen_in: list[str] = []
    victim = _Node()
    weakref.finalize(victim, lambda: seen_in.append(threading.current_thread().name))
    del victim
    garbage = [_Node() for _ in range(2000)]  # enough allocations to pass generation 0
    del garbage
    qtbot.waitUntil(lambda: bool(seen_in), timeout=5000)
    assert seen_in == [threading.main_thread().name]


def test_after_a_large_import_the_survivors_are_frozen_and_new_cycles_still_die(qtbot) -> None:
    """Full collections would otherwise rescan torch's and ultralytics' objects on the GUI
    thread every time (0.5-1 s on a loaded machine)."""
    app = create_application()
    collector = gui_gc.install(app)
    kept = [_Node() for _ in range(1000)]  # long-lived objects made since the last freeze
    frozen_before = gc.get_freeze_count()
    # as if a library was just imported (set, not decreased: an earlier test may have
    # removed modules from sys.modules since the last freeze)
    collector._modules_at_freeze = len(sys.modules) - gui_gc.FREEZE_AFTER_MODULES
    collector.check()
    assert gc.get_freeze_count() >= frozen_before + len(kept)

    freed = []
    victim = _Node()
    weakref.finalize(victim, lambda: freed.append(True))
    del victim
    garbage = [_Node() for _ in range(2000)]
    del garbage
    qtbot.waitUntil(lambda: bool(freed), timeout=5000)  # a cycle made after it is collected


def test_loading_a_labels_cache_leaves_automatic_collection_off(tiny_dataset) -> None:
    """ultralytics' cache loader turns the collector on again after every load; through the
    engine it keeps the state it found, so a validation in a worker thread cannot collect."""
    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.data import dataset, utils

    cache = tiny_dataset.parent / "probe.cache"
    utils.save_dataset_cache_file("probe", cache, {"labels": []}, "1.0")
    gc.disable()
    assert dataset.load_dataset_cache_file(cache)["labels"] == []
    assert not gc.isenabled()
