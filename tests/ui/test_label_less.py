"""Label less in the Dataset panel: effort counts through undo, the informative order, and
auto-train driven through the editor's own save path (real training, tiny data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from penguin_studio.core.dataset.labels import Box, atomic_write_text
from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference import prelabel as pl
from penguin_studio.core.labelling import effort as ef
from penguin_studio.core.training import runs
from penguin_studio.ui.dataset import undo_commands
from penguin_studio.ui.dataset.browser_model import INFORMATIVE

CTRL = Qt.KeyboardModifier.ControlModifier
PROPOSED = [(Box(0, 0.30, 0.40, 0.20, 0.30), 0.91), (Box(1, 0.70, 0.60, 0.16, 0.12), 0.62)]


@pytest.fixture
def unlabelled(tiny_dataset: Path) -> list[Path]:
    dataset = open_dataset(tiny_dataset)
    images = dataset.images("val") + dataset.images("test")
    for image in images:
        label_path_for(image).unlink()
    return images


def edit(qtbot, panel, image: Path) -> None:
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.edit_image(image)
    panel.activateWindow()
    panel.editor.canvas.setFocus()
    qtbot.waitUntil(lambda: panel.editor.canvas.hasFocus())


def counts(panel) -> dict[str, int]:
    return dict(panel.label_less.effort.total.counts)


def test_effort_counts_follow_the_undo_stack_and_persist(qtbot, open_dataset_panel,
                                                         tiny_dataset: Path,
                                                         unlabelled: list[Path]) -> None:
    root = tiny_dataset.parent
    image = unlabelled[0]
    props = pl.ImageProposals(image, pl.proposals_path(image, root), "m.pt", 0.25, "",
                              [pl.Proposal(b.cls, b.cx, b.cy, b.w, b.h, c) for b, c in PROPOSED])
    atomic_write_text(props.path, props.to_json())
    panel = open_dataset_panel(tiny_dataset)
    edit(qtbot, panel, image)
    canvas = panel.editor.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Y)  # accept
    qtbot.keyClick(canvas, Qt.Key.Key_N)  # reject
    undo_commands.add_box(panel.editor.doc, Box(0, 0.5, 0.5, 0.1, 0.1))  # drawn by hand
    assert {k: v for k, v in counts(panel).items() if v} == {"accepted": 1, "rejected": 1,
                                                             "drawn": 1}
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert {k: v for k, v in counts(panel).items() if v} == {"accepted": 1}
    assert panel.label_less.effort.session.counts["accepted"] == 1
    stored = ef.EffortStore(open_dataset(tiny_dataset).state_dir)  # as after a restart
    assert stored.total.counts["accepted"] == 1 and stored.total.counts["drawn"] == 0
    stats = panel.show_page("stats")
    qtbot.waitUntil(lambda: stats.effort.cells[("accepted", 1)].text() == "1")
    assert "Time saved" in stats.effort.saved.text()


def test_most_informative_first_sorts_the_browser_and_d_follows_it(
        qtbot, open_dataset_panel, tiny_dataset: Path, unlabelled: list[Path]) -> None:
    panel = open_dataset_panel(tiny_dataset)
    filters, model = panel.browser.filters, panel.browser.model
    with qtbot.waitSignal(panel.label_less.queue_ready, timeout=20000) as blocker:
        filters.order.setCurrentIndex(filters.order.findData(INFORMATIVE))
    queue = [item.path for item in blocker.args[0].items]
    assert sorted(queue) == sorted(unlabelled)  # no model yet: every unlabelled image
    visible = [r.path for r in model.visible_records()]
    assert visible[:len(queue)] == queue  # queue first, then the labelled ones
    assert model.record(queue[0]).score is not None
    edit(qtbot, panel, queue[0])
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        qtbot.keyClick(panel.editor.canvas, Qt.Key.Key_D)
    assert panel.editor.current_record.path == queue[1]


def _label(qtbot, panel, image: Path) -> None:
    edit(qtbot, panel, image)
    undo_commands.add_box(panel.editor.doc, Box(0, 0.5, 0.5, 0.2, 0.2))
    qtbot.waitUntil(lambda: str(image) in panel.label_less.labelled)


def test_auto_train_starts_once_queues_and_pauses_without_losing_labels(
        qtbot, open_dataset_panel, tiny_dataset: Path, unlabelled: list[Path]) -> None:
    panel = open_dataset_panel(tiny_dataset)
    ll = panel.label_less
    said: list[str] = []
    panel.context.status_message.connect(lambda text, _ms: said.append(text))
    start = len(ll.labelled)
    assert start == 12 - len(unlabelled) and start >= 6
    assert not ll.switch.isChecked()  # half or more labelled: off by default
    ll.switch.setChecked(True)
    ll.first = ll.scheduler.first = start + 2
    ll.every = ll.scheduler.every = 1
    ll.config_overrides = dict(epochs=1, time=None, imgsz=64, batch=4, cache="none")
    user_run = tiny_dataset.parent / "runs" / "mine"  # the user's own run is training
    user_run.mkdir(parents=True)
    (user_run / "args.yaml").write_text("epochs: 3\n")
    runs.write_status(user_run, status="running", pid=os.getpid())
    _label(qtbot, panel, unlabelled[0])
    _label(qtbot, panel, unlabelled[1])
    assert ll.train_job is None and any("your own training" in t for t in said)
    runs.write_status(user_run, status="completed")
    assert ll.maybe_train() == "start" and ll.training
    _label(qtbot, panel, unlabelled[2])  # due again while the run goes: queued
    assert ll.scheduler.queued and ll.training
    with qtbot.waitSignal(ll.autotrain_finished, timeout=180000) as first:
        pass
    assert first.args[0] is not None and first.args[0].status == "completed"
    proposal_runs = [r for r in runs.list_runs(tiny_dataset) if r.purpose == runs.PROPOSAL]
    assert len(proposal_runs) == 1
    from penguin_studio.ui.train.history import _row

    assert _row(proposal_runs[0])[1].endswith("· proposal model")  # History marks it
    qtbot.waitUntil(lambda: ll.training, timeout=10000)  # the queued trigger starts now
    labels = {p: label_path_for(p).read_text() for p in unlabelled[:3]}
    with qtbot.waitSignal(ll.autotrain_finished, timeout=60000):
        ll.switch.setChecked(False)  # pause: the child stops
    assert not ll.training and "paused" in ll.line.text()
    assert {p: label_path_for(p).read_text() for p in unlabelled[:3]} == labels


def test_a_failed_proposal_run_is_one_status_line_and_the_next_trigger_retries(
        qtbot, open_dataset_panel, tiny_dataset: Path, unlabelled: list[Path]) -> None:
    panel = open_dataset_panel(tiny_dataset)
    ll = panel.label_less
    said: list[str] = []
    panel.context.status_message.connect(lambda text, _ms: said.append(text))
    ll.switch.setChecked(True)
    ll.first = ll.scheduler.first = len(ll.labelled) + 1
    ll.every = ll.scheduler.every = 1
    ll.config_overrides = dict(epochs=1, time=None, imgsz=64, batch=4, cache="none",
                               device="cuda:9")  # no such GPU: the child fails
    with qtbot.waitSignal(ll.autotrain_finished, timeout=120000) as finished:
        _label(qtbot, panel, unlabelled[0])
    result = finished.args[0]
    assert result is None or result.status == "failed"
    assert any(t.startswith("Auto-train") and ("fail" in t.lower() or "cuda" in t.lower())
               for t in said)
    assert panel.errors == []  # no dialog: background work the user did not ask for
    assert label_path_for(unlabelled[0]).exists()  # the label is saved regardless
    ll.config_overrides["device"] = "cpu"
    assert ll.scheduler.due(len(ll.labelled) + 1)  # the next labelled image tries again
    assert panel.status_widgets() == [ll.status_button]  # the status bar's auto-train line
    assert ll.status_button.text().endswith("· Pause")
    ll.status_button.click()  # one click pauses
    assert not ll.switch.isChecked() and ll.status_button.text() == "Auto-train paused · Resume"
