"""Live snapshots: the split is chosen on screen ("to label" first), a visible confirmation
opens the picture in the editor, and a recording never overwrites the video being played."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_panel import no_camera, show_live_panel

from penguin_studio.core.dataset.to_label import TO_LABEL
from penguin_studio.core.inference.video import write_sample_video
from penguin_studio.ui.live.panel import LivePanel

pytestmark = pytest.mark.slow


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_sample_video(tmp_path / "clip.mp4", seconds=1.5, fps=20, size=(320, 240))


@pytest.fixture
def panels(qtbot, open_dataset_panel, tiny_dataset: Path, tiny_weights: Path, monkeypatch):
    """A Dataset panel and a Live panel sharing one context, as in the main window."""
    no_camera(monkeypatch)
    dataset_panel = open_dataset_panel(tiny_dataset)
    live = show_live_panel(qtbot, dataset_panel.context)
    live.set_weights(tiny_weights)
    yield dataset_panel, live
    live.shutdown()


def start(qtbot, live: LivePanel, clip: Path) -> None:
    live.set_source(clip)
    live.loop_check.setChecked(True)
    with qtbot.waitSignal(live.state_changed, timeout=30000,
                          check_params_cb=lambda s, _m: s == "running"):
        live.start()
    qtbot.waitUntil(lambda: live.bridge.latest() is not None, timeout=20000)


def test_snapshot_goes_to_label_and_opens_in_the_editor(qtbot, panels, clip: Path,
                                                        tiny_dataset: Path) -> None:
    dataset_panel, live = panels
    assert live.snapshot_split.currentData() == TO_LABEL  # the default, on screen
    start(qtbot, live, clip)
    context = dataset_panel.context
    with qtbot.waitSignal(live.snapshot_saved, timeout=30000) as saved, \
            qtbot.waitSignal(context.dataset_changed, timeout=30000):
        live.snapshot_button.click()
    image = saved.args[0].image
    assert image.parent == tiny_dataset.parent / "images" / "to-label"
    assert image not in context.dataset.images()
    confirmation = live.snapshot_confirmation
    assert confirmation.isVisible() and "to label" in confirmation.text.text()

    with qtbot.waitSignal(dataset_panel.editor.image_shown, timeout=30000):
        confirmation.open_button.click()
    assert dataset_panel.editor.current_record.path == image
    assert dataset_panel.editor.current_record.split == TO_LABEL

    live.snapshot_split.setCurrentIndex(live.snapshot_split.findData("val"))
    with qtbot.waitSignal(live.snapshot_saved, timeout=30000) as saved:
        live.snapshot_button.click()
    assert saved.args[0].image.parent == tiny_dataset.parent / "images" / "val"
    assert "val split" in confirmation.text.text()


def test_recording_over_the_played_video_is_refused(qtbot, panels, clip: Path) -> None:
    _dataset_panel, live = panels
    start(qtbot, live, clip)
    before = clip.read_bytes()
    live.start_recording(clip)
    assert not live.pipeline.recording and not live.record_button.isChecked()
    assert "Not writing the recording" in live.capture_note.text()
    assert clip.read_bytes() == before
