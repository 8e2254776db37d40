"""Files added while a dataset is loading are not lost (a Live snapshot taken then)."""

from __future__ import annotations

from pathlib import Path

from penguin_studio.ui.context import AppContext


def test_a_reload_asked_during_a_load_runs_after_it(qtbot, tiny_dataset: Path) -> None:
    context = AppContext()
    with qtbot.waitSignal(context.dataset_changed, timeout=30000):
        context.open_path(tiny_dataset)
    opened: list = []
    context.dataset_changed.connect(opened.append)
    context.reload()
    assert context.loading
    context.reload()  # e.g. a snapshot saved while the first reload still lists the folder
    qtbot.waitUntil(lambda: len(opened) == 2 and not context.loading, timeout=30000)
    qtbot.wait(200)
    assert len(opened) == 2  # once more, not once per request
