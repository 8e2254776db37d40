"""Evaluate and Detect never show results made with another dataset or model, nor keep old
results under a new error; the status bar follows the edits instead of "Opened …"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from live_panel import no_camera, show_live_panel

from penguin_studio.ui.context import AppContext

pytestmark = pytest.mark.slow


@pytest.fixture
def other_dataset(tiny_dataset_master: Path, tmp_path: Path) -> Path:
    root = tmp_path / "otters"
    shutil.copytree(tiny_dataset_master, root)
    data_yaml = root / "data.yaml"
    data_yaml.write_text(data_yaml.read_text().replace(str(tiny_dataset_master), str(root)))
    return data_yaml


@pytest.fixture
def context(qtbot, tiny_dataset: Path):
    ctx = AppContext()
    with qtbot.waitSignal(ctx.dataset_changed, timeout=20_000):
        ctx.open_path(tiny_dataset)
    ctx.errors = []
    ctx.error.connect(lambda _title, message: ctx.errors.append(message))
    yield ctx
    ctx.shutdown()


def _open(qtbot, ctx: AppContext, data: Path) -> None:
    with qtbot.waitSignal(ctx.dataset_changed, timeout=20_000):
        ctx.open_path(data)


def _idle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.job.busy, timeout=120_000)


def test_evaluate_clears_its_results_on_a_new_dataset_model_or_error(
        qtbot, context, tiny_dataset: Path, tiny_weights: Path, other_dataset: Path,
        tmp_path: Path) -> None:
    from penguin_studio.ui.evaluate.panel import EvaluatePanel

    panel = EvaluatePanel(context)
    qtbot.addWidget(panel)
    panel.show()
    panel.weights.set_path(str(tiny_weights))
    panel.run()
    _idle(qtbot, panel)
    assert panel.evaluation is not None and panel.classes.rowCount() == 3

    context.reload()  # the same dataset again (a snapshot was added): results stay
    qtbot.waitUntil(lambda: not context.loading, timeout=20_000)
    assert panel.evaluation is not None

    _open(qtbot, context, other_dataset)
    assert panel.evaluation is None and panel.classes.rowCount() == 0
    assert "mAP50" not in panel.summary.text()

    panel.weights.set_path(str(tiny_weights))
    panel.run()
    _idle(qtbot, panel)
    assert panel.evaluation is not None
    copy = tmp_path / "another.pt"
    shutil.copy(tiny_weights, copy)
    panel.weights.set_path(str(copy))  # another model: the figures were not made with it
    assert panel.evaluation is None and "another.pt" in panel.summary.text()

    panel.weights.set_path(str(tiny_weights))
    panel.run()
    _idle(qtbot, panel)
    assert panel.evaluation is not None
    shutil.rmtree(other_dataset.parent / "images" / "val")  # the split is gone now
    panel.run()
    _idle(qtbot, panel)
    assert context.errors and panel.evaluation is None
    assert panel.classes.rowCount() == 0 and "failed" in panel.summary.text()
    panel.shutdown()


def test_detect_clears_its_boxes_on_a_new_dataset_model_or_error(
        qtbot, context, tiny_dataset: Path, tiny_weights: Path, other_dataset: Path,
        tmp_path: Path) -> None:
    from penguin_studio.ui.detect.panel import DetectPanel

    panel = DetectPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    assert str(tiny_dataset.parent) in panel.source  # the dataset's own images by default
    panel.weights.set_path(str(tiny_weights))
    panel.run()
    _idle(qtbot, panel)
    assert panel.session.current is not None and panel.items.count() > 0

    _open(qtbot, context, other_dataset)
    assert panel.session.current is None and panel.items.count() == 0
    assert str(other_dataset.parent) in panel.source  # follows the new dataset

    panel.weights.set_path(str(tiny_weights))
    panel.run()
    _idle(qtbot, panel)
    assert panel.session.current is not None
    copy = tmp_path / "another.pt"
    shutil.copy(tiny_weights, copy)
    panel.weights.set_path(str(copy))
    assert panel.session.current is None and "another.pt" in panel._hint()

    folder = tmp_path / "photos"
    shutil.copytree(other_dataset.parent / "images" / "val", folder)
    panel.set_source(str(folder))  # predicts at once
    _idle(qtbot, panel)
    assert panel.session.current is not None
    shutil.rmtree(folder)  # run again on a folder that is gone: an error, no old boxes
    panel.run()
    _idle(qtbot, panel)
    assert context.errors or panel.message.text()
    assert panel.session.current is None and panel.items.count() == 0
    panel.shutdown()


def test_status_bar_follows_the_edits_not_the_opening(qtbot, open_dataset_panel,
                                                      tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset.labels import Box
    from penguin_studio.ui import context as context_module

    panel = open_dataset_panel(tiny_dataset)
    messages: list = []
    panel.context.status_message.connect(lambda text, ms: messages.append((text, ms)))
    panel.context.reload()
    qtbot.waitUntil(lambda: any(t.startswith("Opened") for t, _ in messages), timeout=20_000)
    opened = next(ms for t, ms in messages if t.startswith("Opened"))
    assert 0 < opened <= context_module.OPENED_PROBLEMS_MS  # it goes away on its own
    record = panel.browser.model.all_records()[0]
    panel.edit_image(record.path)
    doc = panel.editor.doc
    doc.set_boxes([*doc.boxes, Box(0, 0.5, 0.5, 0.2, 0.2)])
    qtbot.waitUntil(lambda: messages[-1][0].startswith("Saved"), timeout=2000)
    text, ms = messages[-1]
    assert text.startswith(f"Saved {doc.label_path.name}: ") and ms > 0


def test_live_drops_the_last_frame_on_a_new_model_dataset_or_failure(
        qtbot, context, tiny_weights: Path, other_dataset: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from penguin_studio.core.inference.video import write_sample_video

    no_camera(monkeypatch)
    clip = write_sample_video(tmp_path / "clip.mp4", seconds=0.5, fps=20, size=(160, 120))
    panel = show_live_panel(qtbot, context)

    def play_to_the_end() -> None:
        panel.set_weights(tiny_weights)
        panel.set_source(clip)
        with qtbot.waitSignal(panel.state_changed, timeout=60_000,
                              check_params_cb=lambda s, _m: s == "ended"):
            panel.start()
        assert panel.view.has_frame and panel.snapshot_button.isEnabled()

    play_to_the_end()
    copy = tmp_path / "another.pt"
    copy.write_bytes(tiny_weights.read_bytes())
    panel.set_weights(copy)  # another model: the boxes on screen are not its boxes
    assert not panel.view.has_frame and not panel.snapshot_button.isEnabled()

    play_to_the_end()
    _open(qtbot, context, other_dataset)
    assert not panel.view.has_frame and not panel.snapshot_button.isEnabled()

    play_to_the_end()
    fake = tmp_path / "not-a-video.mp4"
    fake.write_text("hello")
    panel.set_source(fake)
    with qtbot.waitSignal(panel.state_changed, timeout=30_000,
                          check_params_cb=lambda s, _m: s == "failed"):
        panel.start()
    assert not panel.view.has_frame and panel.banner.isVisible()
    panel.grab().save(str(tmp_path / "live-failed.png"))
    panel.shutdown()
