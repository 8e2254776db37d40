"""Model-assisted labelling in the Dataset panel, driven like a person: keys, drags, menus.

Proposals are crafted by hand (the core's own file format, written with its own
``ImageProposals.to_json``) where the exact boxes matter, and made by the real engine
(``tiny_weights`` at a very low confidence) where the pre-label action itself is tested.
The .txt label files and proposals files checked are the ones on disk.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from renamed_weights import renamed_weights

from penguin_studio.core.dataset.labels import Box, atomic_write_text, read_labels
from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference import prelabel as pl
from penguin_studio.ui.dataset.browser_model import PROPOSALS
from penguin_studio.ui.dataset.panel import DatasetPanel
from penguin_studio.ui.dataset.prelabel_actions import PrelabelChoice
from penguin_studio.ui.dataset.records import UNLABELLED

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
CRAFTED = [(Box(0, 0.30, 0.40, 0.20, 0.30), 0.91), (Box(1, 0.70, 0.60, 0.16, 0.12), 0.62),
           (Box(0, 0.55, 0.30, 0.10, 0.20), 0.40)]


def write_proposals(image: Path, root: Path, items=CRAFTED) -> Path:
    props = pl.ImageProposals(image, pl.proposals_path(image, root), "crafted.pt", 0.25, "",
                              [pl.Proposal(b.cls, b.cx, b.cy, b.w, b.h, c) for b, c in items])
    atomic_write_text(props.path, props.to_json())
    return props.path


def statuses(image: Path, root: Path) -> list[str]:
    return [p.status for p in pl.load_proposals(image, root).proposals]


def lines(image: Path) -> list[str]:
    return [b.to_line() for b in read_labels(label_path_for(image))]


@pytest.fixture
def unlabelled(tiny_dataset: Path) -> list[Path]:
    """The tiny dataset with the labels of its val and test images removed."""
    dataset = open_dataset(tiny_dataset)
    images = dataset.images("val") + dataset.images("test")
    for image in images:
        label_path_for(image).unlink()
    return images


@pytest.fixture
def crafted(open_dataset_panel, tiny_dataset: Path, unlabelled: list[Path]):
    """A panel on the dataset whose first two unlabelled images have crafted proposals."""
    root = tiny_dataset.parent
    for image in unlabelled[:2]:
        write_proposals(image, root)
    return open_dataset_panel(tiny_dataset), root, unlabelled


def edit(qtbot, panel: DatasetPanel, image: Path) -> None:
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.edit_image(image)
    panel.activateWindow()
    panel.editor.canvas.setFocus()
    qtbot.waitUntil(lambda: panel.editor.canvas.hasFocus())


def key(qtbot, panel: DatasetPanel, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(panel.editor.canvas, k, modifier)


def drag(qtbot, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    viewport = canvas.viewport()
    a, b = canvas.image_to_view(*start), canvas.image_to_view(*end)
    qtbot.mouseMove(viewport, a)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(viewport, b)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def test_browser_badges_and_filter(crafted) -> None:
    panel, _root, images = crafted
    model = panel.browser.model
    assert [model.record(p).pending for p in images] == [3, 3, 0]
    assert "3 model proposals to review" in model.tooltip(model.record(images[0]))
    panel.browser.filters.show_proposals()
    assert model.filter.status == PROPOSALS
    assert [r.path for r in model.visible_records()] == images[:2]


def test_accept_reject_and_undo_with_one_key_each(qtbot, crafted) -> None:
    panel, root, images = crafted
    image, editor = images[0], panel.editor
    edit(qtbot, panel, image)
    canvas = editor.canvas
    assert [i for i, _b, _c in canvas.proposals] == [0, 1, 2]
    assert canvas.selected_proposal == 0  # the first one is ready for a key
    assert editor.proposals.banner.isVisible()
    assert "3 proposals to review" in editor.proposals.banner.label.text()
    assert "(Y or Return or Enter)" in editor.actions_by_name["accept"].toolTip()

    key(qtbot, panel, Qt.Key.Key_Y)
    assert lines(image) == [CRAFTED[0][0].to_line()]
    assert statuses(image, root) == ["accepted", "unreviewed", "unreviewed"]
    assert canvas.selected_proposal == 1 and len(canvas.proposals) == 2
    key(qtbot, panel, Qt.Key.Key_N)
    assert statuses(image, root) == ["accepted", "rejected", "unreviewed"]
    assert lines(image) == [CRAFTED[0][0].to_line()]  # rejecting never writes labels
    assert panel.browser.model.record(image).pending == 1
    key(qtbot, panel, Qt.Key.Key_Return)  # Enter accepts too
    assert statuses(image, root) == ["accepted", "rejected", "accepted"]
    assert not editor.proposals.banner.isVisible()

    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert statuses(image, root) == ["accepted", "unreviewed", "unreviewed"]
    assert canvas.selected_proposal == 1  # undo brings the proposal back, selected
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    assert statuses(image, root) == ["unreviewed"] * 3
    assert not label_path_for(image).exists()  # unlabelled again, not "background"
    assert panel.browser.model.record(image).summary.status == UNLABELLED
    assert panel.browser.model.record(image).pending == 3
    key(qtbot, panel, Qt.Key.Key_Z, CTRL | SHIFT)  # redo
    assert lines(image) == [CRAFTED[0][0].to_line()]
    assert statuses(image, root)[0] == "accepted"


def test_drag_or_class_key_adjusts_a_proposal(qtbot, crafted) -> None:
    panel, root, images = crafted
    image, canvas = images[0], panel.editor.canvas
    edit(qtbot, panel, image)
    w, h = canvas.image_size
    box = CRAFTED[0][0]
    drag(qtbot, canvas, (box.cx * w, box.cy * h), (box.cx * w + 20, box.cy * h + 10))
    (stored,) = read_labels(label_path_for(image))
    assert stored.cls == 0 and stored.w == pytest.approx(box.w, abs=1e-4)
    assert stored.cx * w == pytest.approx(box.cx * w + 20, abs=1.5)
    assert stored.cy * h == pytest.approx(box.cy * h + 10, abs=1.5)
    adjusted = pl.load_proposals(image, root).proposals[0]
    assert adjusted.status == "adjusted" and adjusted.box.to_line() == stored.to_line()
    assert canvas.selected == 0  # the new ground-truth box, ready to refine
    # a class number on a selected proposal adjusts its class
    canvas.select_proposal(1)
    key(qtbot, panel, Qt.Key.Key_1)
    assert [b.cls for b in read_labels(label_path_for(image))] == [0, 0]
    assert pl.load_proposals(image, root).proposals[1].status == "adjusted"
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    key(qtbot, panel, Qt.Key.Key_Z, CTRL)
    restored = pl.load_proposals(image, root).proposals
    assert [p.status for p in restored] == ["unreviewed"] * 3
    assert [p.box for p in restored] == [b for b, _c in CRAFTED]  # moved back where it was
    assert not label_path_for(image).exists()
    canvas.select_proposal(2)
    key(qtbot, panel, Qt.Key.Key_Delete)  # Delete on a proposal rejects it
    assert statuses(image, root) == ["unreviewed", "unreviewed", "rejected"]
    key(qtbot, panel, Qt.Key.Key_X)  # X rejects too (the next one got selected)
    assert statuses(image, root).count("rejected") == 2
    assert not label_path_for(image).exists()


def test_accept_all_reject_all_and_next_image_to_review(qtbot, crafted) -> None:
    panel, root, images = crafted
    first, second = images[0], images[1]
    editor = panel.editor
    edit(qtbot, panel, panel.browser.model.record_at(0).path)  # a labelled train image
    assert editor.proposals.pending_count == 0 and not editor.proposals.banner.isVisible()
    with qtbot.waitSignal(editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_D, SHIFT)  # skips the images with nothing to review
    assert editor.current_record.path == first
    key(qtbot, panel, Qt.Key.Key_Y, SHIFT)
    assert lines(first) == [b.to_line() for b, _c in CRAFTED]
    assert statuses(first, root) == ["accepted"] * 3
    with qtbot.waitSignal(editor.image_shown, timeout=10000):
        key(qtbot, panel, Qt.Key.Key_D, SHIFT)
    assert editor.current_record.path == second
    key(qtbot, panel, Qt.Key.Key_N, SHIFT)
    assert statuses(second, root) == ["rejected"] * 3
    assert not label_path_for(second).exists()
    messages = []
    editor.status_message.connect(lambda text, _ms: messages.append(text))
    key(qtbot, panel, Qt.Key.Key_D, SHIFT)
    assert editor.current_record.path == second and "No image after" in messages[-1]
    key(qtbot, panel, Qt.Key.Key_A, SHIFT)  # the first one is done too
    assert editor.current_record.path == second and "No image before" in messages[-1]
    model = panel.browser.model
    assert model.record(first).pending == 0 and model.record(second).pending == 0
    panel.browser.filters.show_proposals()
    assert model.visible_records() == []


def test_unreadable_label_file_stays_locked(qtbot, crafted) -> None:
    panel, root, images = crafted
    image = images[0]
    broken = "0 0.5 0.5 oops 0.1\n"
    label_path_for(image).write_text(broken, encoding="utf-8")
    edit(qtbot, panel, image)
    refused = []
    panel.editor.canvas.edit_refused.connect(refused.append)
    key(qtbot, panel, Qt.Key.Key_Y)
    key(qtbot, panel, Qt.Key.Key_Y, SHIFT)
    assert refused and label_path_for(image).read_text(encoding="utf-8") == broken
    assert statuses(image, root) == ["unreviewed"] * 3


def test_damaged_proposals_file_is_reported_not_fatal(open_dataset_panel,
        qtbot, tiny_dataset, unlabelled) -> None:
    root = tiny_dataset.parent
    path = write_proposals(unlabelled[0], root)
    path.write_text("{not json", encoding="utf-8")
    panel = open_dataset_panel(tiny_dataset)
    try:
        edit(qtbot, panel, unlabelled[0])
        banner = panel.editor.proposals.banner
        assert banner.isVisible() and "damaged" in banner.label.text()
        assert panel.editor.canvas.proposals == []
    finally:
        panel.shutdown()
        panel.context.shutdown()


@pytest.mark.slow
def test_prelabel_action_runs_the_model_then_review(open_dataset_panel,
        qtbot, tiny_dataset, unlabelled,
                                                    tiny_weights) -> None:
    root = tiny_dataset.parent
    panel = open_dataset_panel(tiny_dataset)
    try:
        tools = panel.proposal_tools
        asked = []
        tools.prelabel.ask = lambda ds, n: asked.append(n) or PrelabelChoice(tiny_weights,
                                                                             0.001)
        with qtbot.waitSignal(tools.prelabel.finished, timeout=60000) as done:
            tools.prelabel.start()
            assert panel.job_strip.isVisible()
        report = done.args[0]
        assert asked == [len(unlabelled)]
        assert report.images == len(unlabelled) and report.proposals > 0
        assert not panel.job_strip.isVisible()
        qtbot.waitUntil(lambda: not tools.busy, timeout=20000)
        for image in unlabelled:
            stored = json.loads(pl.proposals_path(image, root).read_text())
            assert {p["status"] for p in stored["proposals"]} <= {"unreviewed"}
            assert not label_path_for(image).exists()  # apart from ground truth
        model = panel.browser.model
        assert model.filter.status == PROPOSALS
        assert [r.path for r in model.visible_records()] == \
            [p for p in unlabelled if pl.load_proposals(p, root).pending]
        first = model.visible_records()[0].path
        with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
            tools.review()
        assert panel.editor.current_record.path == first
        panel.editor.canvas.setFocus()
        key(qtbot, panel, Qt.Key.Key_Y)
        assert len(read_labels(label_path_for(first))) == 1
        assert statuses(first, root)[0] == "accepted"
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_prelabel_with_a_file_that_is_not_a_model(open_dataset_panel,
        qtbot, tiny_dataset, unlabelled,
                                                  tmp_path) -> None:
    panel = open_dataset_panel(tiny_dataset)
    try:
        fake = tmp_path / "notes.pt"
        fake.write_text("not a model", encoding="utf-8")
        tools = panel.proposal_tools
        tools.prelabel.ask = lambda ds, n: PrelabelChoice(fake, 0.25)
        with qtbot.waitSignal(tools.prelabel.finished, timeout=30000) as done:
            tools.prelabel.start()
        assert done.args == [None]
        assert len(panel.errors) == 1 and "not a PyTorch checkpoint" in panel.errors[0]
        assert not panel.job_strip.isVisible()
        assert not (tiny_dataset.parent / pl.PROPOSALS_DIR).exists()
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_prelabel_refuses_a_model_of_other_classes(open_dataset_panel, qtbot, tiny_dataset,
                                                   unlabelled, tiny_weights, tmp_path) -> None:
    other = renamed_weights(tiny_weights, tmp_path / "coco.pt", ["person", "car", "dog"])
    panel = open_dataset_panel(tiny_dataset)
    try:
        tools = panel.proposal_tools
        tools.prelabel.ask = lambda ds, n: PrelabelChoice(other, 0.25)
        with qtbot.waitSignal(tools.prelabel.finished, timeout=30000) as done:
            tools.prelabel.start()
        assert done.args == [None]
        assert len(panel.errors) == 1
        assert "classes (person, car, dog) differ from the dataset's (penguin, rock)" in \
            panel.errors[0]
        assert not (tiny_dataset.parent / pl.PROPOSALS_DIR).exists()
    finally:
        panel.shutdown()
        panel.context.shutdown()


@pytest.mark.slow
def test_cancel_stops_prelabelling(open_dataset_panel,
        qtbot, tiny_dataset, unlabelled, tiny_weights) -> None:
    panel = open_dataset_panel(tiny_dataset)
    try:
        tools = panel.proposal_tools
        tools.prelabel.ask = lambda ds, n: PrelabelChoice(tiny_weights, 0.25)
        messages = []
        panel.context.status_message.connect(lambda text, _ms: messages.append(text))
        with qtbot.waitSignal(tools.prelabel.finished, timeout=60000) as done:
            tools.prelabel.start()
            panel.job_strip.cancel_button.click()  # the model is still loading
        assert done.args == [None] and not panel.errors
        assert any("cancelled" in m for m in messages)
        assert not panel.job_strip.isVisible() and not tools.prelabel.busy
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_dialog_defaults_to_the_newest_trained_model(qtbot, tiny_dataset) -> None:
    import os

    from penguin_studio.ui.dataset.prelabel_actions import PrelabelDialog

    root = tiny_dataset.parent
    older = root / "runs" / "old" / "weights" / "best.pt"
    newer = root / "runs" / "detect" / "new" / "weights" / "best.pt"
    for i, path in enumerate((older, newer)):  # runs/detect/<name>: plain ultralytics' layout
        path.parent.mkdir(parents=True)
        path.write_bytes(b"weights")
        args = path.parent.parent / "args.yaml"  # the weights catalogue's rule: run start
        args.write_text("epochs: 1\n")
        os.utime(args, (1_000_000 + i, 1_000_000 + i))
    dialog = PrelabelDialog(open_dataset(tiny_dataset), unlabelled=3)
    qtbot.addWidget(dialog)
    choice = dialog.choice()
    assert choice.weights == newer and choice.conf == pytest.approx(0.25)
    dialog.weights.clear()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
