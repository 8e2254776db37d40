"""The Detect panel: one model run, then sliders and toggles only re-filter what is drawn."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from penguin_studio.core.colors import class_rgb
from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference import predict
from penguin_studio.core.inference.filtering import filter_detections
from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def context(qtbot, tiny_dataset):
    ctx = AppContext()
    ctx.dataset = open_dataset(tiny_dataset)
    ctx.errors = []
    ctx.error.connect(lambda title, message: ctx.errors.append(message))
    yield ctx
    ctx.shutdown()


@pytest.fixture
def panel(qtbot, context, tiny_weights):
    from penguin_studio.ui.detect.panel import DetectPanel

    widget = DetectPanel(context)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    widget.weights.set_path(str(tiny_weights))
    yield widget
    widget.shutdown()


def run_on(panel, qtbot, source: Path) -> None:
    panel.set_source(str(source))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)


def test_sliders_change_the_boxes_drawn_without_running_the_model(panel, qtbot, tiny_dataset,
                                                                  monkeypatch, tmp_path):
    run_on(panel, qtbot, tiny_dataset.parent / "images" / "train")
    preds = panel.session.current
    assert preds is not None and panel.items.count() == len(preds.items) > 1
    assert panel.canvas.drawn_boxes() == []  # the 1-epoch model is never 25 % sure

    calls = []
    monkeypatch.setattr(predict.Predictor, "raw", lambda *a, **k: calls.append(a))
    panel.conf.set_value(0.0)
    drawn = panel.canvas.drawn_boxes()
    raw = preds.items[panel.session.index].raw
    assert len(drawn) == len(filter_detections(raw, 0.0, 0.7)) > 0
    panel.iou.set_value(0.3)
    fewer = panel.canvas.drawn_boxes()
    expected = filter_detections(raw, 0.0, 0.3)
    assert len(fewer) == len(expected) < len(drawn)
    assert [b.xyxy for b in fewer] == [tuple(b) for b in expected.xyxy.tolist()]
    assert fewer[0].label.split()[0] in ("penguin", "rock")

    shown_class = int(expected.cls[0])
    panel.classes.set_visible(shown_class, False)
    name = preds.model.names[shown_class]
    assert all(not b.label.startswith(name) for b in panel.canvas.drawn_boxes())
    panel.classes.set_visible(shown_class, True)
    panel.items.setCurrentRow(1)
    assert panel.session.index == 1 and panel.canvas.has_image()
    assert calls == []  # nothing above ran the model again

    monkeypatch.undo()
    panel.save_annotated_to(str(tmp_path / "annotated"))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=30_000)
    assert len(list((tmp_path / "annotated").iterdir())) == len(preds.items)
    panel.export_labels_to(str(tmp_path / "labels"))
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=30_000)
    assert len(list((tmp_path / "labels").glob("*.txt"))) == len(preds.items)
    assert "Wrote" in panel.message.text()


def test_tta_toggle_runs_once_more_and_shows_both_times(panel, qtbot, tiny_dataset):
    run_on(panel, qtbot, tiny_dataset.parent / "images" / "val")
    assert "Inference" in panel.info.text() and "TTA" not in panel.info.text()
    panel.tta.setChecked(True)
    qtbot.waitUntil(lambda: not panel.job.busy and True in panel.session.runs, timeout=60_000)
    assert panel.session.current.augment
    assert "with TTA" in panel.info.text()
    panel.tta.setChecked(False)  # cached: no new run
    assert not panel.job.busy and not panel.session.current.augment


def test_unreadable_image_is_skipped_and_said(panel, qtbot, tiny_dataset, tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(tiny_dataset.parent / "images" / "val", folder)
    (folder / "broken.jpg").write_bytes(b"garbage")
    run_on(panel, qtbot, folder)
    assert panel.items.count() == 2
    assert "Skipped broken.jpg (cannot be read as an image)" in panel.message.text()


def test_undecodable_video_gives_one_clear_message(panel, qtbot, context, tmp_path):
    video = tmp_path / "holiday.mp4"
    video.write_bytes(b"\x00" * 4096)
    run_on(panel, qtbot, video)
    assert len(context.errors) == 1 and "Cannot decode the video holiday.mp4" in \
        context.errors[0]


def test_prelabel_action_writes_proposals_not_labels(panel, qtbot, context):
    image = context.dataset.images("val")[0]
    label_path_for(image).unlink()
    panel.prelabel(0.001)
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=60_000)
    from penguin_studio.core.inference.prelabel import load_proposals

    assert load_proposals(image, context.dataset.root).pending
    assert not label_path_for(image).exists()
    assert "Proposed" in panel.message.text()


def test_detect_panel_screenshot(panel, qtbot, tiny_dataset, tmp_path):
    run_on(panel, qtbot, tiny_dataset.parent / "images" / "val")
    panel.conf.set_value(0.0)
    shot = tmp_path / "detect.png"
    assert panel.grab().save(str(shot)) and shot.stat().st_size > 10_000
    # what a person sees: the box drawn last (on top) is in its class's colour, where it is
    top = panel.canvas.drawn_boxes()[-1]
    cls = next(c for c, name in enumerate(panel.session.current.model.names)
               if top.label.startswith(f"{name} "))
    assert top.color == class_rgb(cls)
    image = panel.grab().toImage()
    x1, y1, x2, y2 = top.xyxy
    edges = [(x1, y1 + (y2 - y1) * f) for f in (0.55, 0.7, 0.85)] + \
            [(x1 + (x2 - x1) * f, y2) for f in (0.3, 0.5, 0.7)]
    hits = sum(_colour_near(image, _on_panel(panel, x, y), top.color) for x, y in edges)
    assert hits >= 4, f"the box's edges are not drawn in {top.color} ({hits} of 6 seen)"


def _on_panel(panel, x: float, y: float):
    from PySide6.QtCore import QPointF

    view = panel.canvas.mapFromScene(QPointF(x, y))
    return panel.canvas.viewport().mapTo(panel, view)


def _colour_near(image, point, rgb, reach: int = 2, tolerance: int = 40) -> bool:
    for dx in range(-reach, reach + 1):
        for dy in range(-reach, reach + 1):
            c = image.pixelColor(point.x() + dx, point.y() + dy)
            if max(abs(c.red() - rgb[0]), abs(c.green() - rgb[1]),
                   abs(c.blue() - rgb[2])) <= tolerance:
                return True
    return False


def dataset_files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and ".penguin-studio" not in p.parts}


def test_save_annotated_never_overwrites_the_source_images(panel, qtbot, context,
                                                          tiny_dataset, monkeypatch):
    """Choosing images/val as the target (the issue's accident) is refused with a message;
    the proposed default is a new folder beside the dataset, and it works."""
    from penguin_studio.ui.detect import panel as detect_module

    root = tiny_dataset.parent
    run_on(panel, qtbot, root / "images" / "val")
    before = dataset_files(root)
    monkeypatch.setattr(detect_module, "ask_output_folder",
                        lambda *a: str(root / "images" / "val"))
    panel.save_button.click()
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=30_000)
    assert dataset_files(root) == before, "an original image was written over"
    message = panel.message.text()
    assert message.startswith("Not saving annotated images in") and "val" in message
    assert context.errors and "\n" not in context.errors[-1]

    panel.export_labels_to(str(root / "labels" / "val"))  # ground truth stays too
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=30_000)
    assert dataset_files(root) == before
    assert panel.message.text().startswith("Not saving YOLO labels in")

    asked = []
    monkeypatch.setattr(detect_module, "ask_output_folder",
                        lambda _p, _t, _w, default: asked.append(default) or str(default))
    panel.save_button.click()
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=30_000)
    default = asked[0]
    assert default.parent == root / "detections" and default.name.startswith("run-best-")
    assert len(list(default.iterdir())) == len(panel.session.current.items)
    assert dataset_files(root).items() >= before.items()
    assert panel.message.text().startswith("Saved")


def test_the_output_question_offers_the_new_folder(qtbot, tmp_path):
    """One click on Save accepts the proposed folder; Cancel writes nothing."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from penguin_studio.ui.detect.output_target import ask_output_folder

    seen = []

    def press(text: str) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, lambda: press(text))
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    default = tmp_path / "detections" / "run-best-20260101-120000"
    QTimer.singleShot(0, lambda: press("Save"))
    assert ask_output_folder(None, "Save annotated images", "the images", default) == \
        str(default)
    assert str(default) in seen[0]
    QTimer.singleShot(0, lambda: press("Cancel"))
    assert ask_output_folder(None, "Save annotated images", "the images", default) is None
