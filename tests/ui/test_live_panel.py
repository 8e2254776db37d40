"""The Live panel, driven like a user would: a generated video, the tiny model, real threads."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from live_panel import open_live_panel
from local_servers import mjpeg_server, silent_server
from PySide6.QtCore import QThread, QTimer
from renamed_weights import renamed_weights
from threads import live_threads

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.inference.live import verify_recording
from penguin_studio.core.inference.video import write_sample_video
from penguin_studio.ui.live import panel as live_module
from penguin_studio.ui.live.panel import LivePanel

pytestmark = pytest.mark.slow

CLIP_FRAMES = 30
#: Played at its own rate, a clip ends on the clock however slowly frames are processed: a
#: test that must see frames, pause or record before the end plays this one (8 s), so that
#: a loaded machine, where the 1.5 s clip ended first, still gets there.
LONG_CLIP_S = 8.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live-ui") / "penguins.mp4"
    return write_sample_video(path, seconds=CLIP_FRAMES / 20, fps=20, size=(320, 240))


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live-ui-long") / "penguins.mp4"
    return write_sample_video(path, seconds=LONG_CLIP_S, fps=20, size=(320, 240))


@pytest.fixture
def panel(qtbot, tiny_dataset: Path, tiny_weights: Path, monkeypatch) -> LivePanel:
    widget = open_live_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    yield widget
    widget.shutdown()


def start_and_wait(qtbot, panel: LivePanel, state: str = "running", timeout: int = 30000):
    with qtbot.waitSignal(panel.state_changed, timeout=timeout,
                          check_params_cb=lambda s, _m: s == state) as blocker:
        panel.start()
    return blocker.args


def wait_frames(qtbot, panel: LivePanel, count: int) -> None:
    qtbot.waitUntil(lambda: panel.pipeline.stats_snapshot().displayed >= count, timeout=20000)


def test_no_camera_message_names_what_was_tried(panel: LivePanel) -> None:
    note = panel.picker.camera_note.text()
    assert note.startswith("No camera found") and "/dev/video*" in note
    assert panel.picker.kind == "sample"


def test_the_sample_video_is_drawn_on_first_use_and_played(qtbot, panel: LivePanel) -> None:
    assert panel.picker.kind == "sample"  # what a new user without a camera starts with
    sample = live_module.sample_video_path()
    sample.unlink(missing_ok=True)
    start_and_wait(qtbot, panel)
    assert sample.is_file()
    wait_frames(qtbot, panel, 2)
    assert panel.bridge.latest().frame.image.shape == (480, 640, 3)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.state == "stopped" and not live_threads(), timeout=5000)


def test_plays_the_video_with_boxes_and_live_sliders(qtbot, panel: LivePanel,
                                                     long_clip: Path, tmp_path: Path) -> None:
    panel.set_source(long_clip)
    panel.conf_slider.set_value(0.001)
    start_and_wait(qtbot, panel)
    toggles = panel.class_toggles
    assert [toggles.item(i).text() for i in range(toggles.count())] == ["penguin", "rock"]
    wait_frames(qtbot, panel, 5)
    assert panel.view.paints >= 5
    result = panel.bridge.latest()
    assert len(result.shown) > 0
    assert not np.array_equal(result.annotated, result.frame.image), "no box was drawn"
    overlay = panel.view.overlay_lines[0]
    assert "FPS" in overlay and "inference" in overlay and "latency" in overlay

    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "paused", timeout=20000)
    paused_frame = panel.bridge.latest().frame
    panel.conf_slider.slider.setValue(0.9)  # as if dragged: the paused frame is re-filtered
    qtbot.waitUntil(lambda: len(panel.bridge.latest().shown) == 0, timeout=20000)
    assert panel.bridge.latest().frame is paused_frame
    assert np.array_equal(panel.view.source_pixels, paused_frame.image), "boxes still painted"
    panel.conf_slider.slider.setValue(0.001)
    qtbot.waitUntil(lambda: len(panel.bridge.latest().shown) > 0, timeout=20000)
    for class_id in range(toggles.count()):
        toggles.set_visible(class_id, False)
    qtbot.waitUntil(lambda: len(panel.bridge.latest().shown) == 0, timeout=20000)
    for class_id in range(toggles.count()):
        toggles.set_visible(class_id, True)

    panel.view.grab().save(str(tmp_path / "live.png"))
    shot = cv2.imread(str(tmp_path / "live.png"))
    assert shot is not None and shot.std() > 10, "the view painted nothing"

    with qtbot.waitSignal(panel.state_changed, timeout=60000,
                          check_params_cb=lambda s, _m: s == "ended") as ended:
        panel.pause_button.click()  # resume
    assert ended.args[1].startswith("End of penguins.mp4")
    assert "End of penguins.mp4" in panel.capture_note.text()
    assert not panel.banner.isVisible()
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def test_snapshots_go_into_the_dataset_and_recording_plays(qtbot, panel: LivePanel,
                                                          long_clip: Path, tmp_path: Path,
                                                          tiny_dataset: Path) -> None:
    panel.set_source(long_clip)
    panel.conf_slider.set_value(0.001)
    start_and_wait(qtbot, panel)
    wait_frames(qtbot, panel, 2)
    target = tmp_path / "annotated.avi"
    panel.start_recording(target)
    assert panel.record_button.isChecked() and panel.pipeline.recording
    # listening from now: on a loaded machine the clip can still end during the snapshots
    recorded = qtbot.waitSignal(panel.recording_saved, timeout=60000)

    with qtbot.waitSignal(panel.snapshot_saved, timeout=20000) as saved, \
            qtbot.waitSignal(panel._context.dataset_changed, timeout=20000) as reopened:
        panel.snapshot_button.click()
    image = saved.args[0].image
    assert image.parent == tiny_dataset.parent / "images" / "to-label" and image.is_file()
    assert saved.args[0].proposals is None
    assert image in reopened.args[0].to_label  # the dataset now lists the snapshot…
    assert image not in reopened.args[0].images()  # …but trains on it only once labelled
    assert panel.snapshot_confirmation.isVisible()
    assert image.name in panel.snapshot_confirmation.text.text()

    with qtbot.waitSignal(panel.snapshot_saved, timeout=20000) as saved:
        panel.proposals_button.click()
    assert saved.args[0].proposals is not None and saved.args[0].proposals.is_file()
    assert saved.args[0].boxes > 0

    recorded.wait()  # the video ends; the recording is closed and read back
    report = recorded.args[0]
    assert report.path == target and report.frames_written > 0
    assert report.frames_readable == report.frames_written == verify_recording(target)
    assert not panel.record_button.isChecked()


def test_a_snapshot_with_proposals_from_a_model_of_other_classes_keeps_the_frame(
        qtbot, panel: LivePanel, clip: Path, tiny_weights: Path, tmp_path: Path) -> None:
    other = renamed_weights(tiny_weights, tmp_path / "other.pt", ["penguin", "seal"])
    panel.set_weights(other)
    panel.set_source(clip)
    panel.loop_check.setChecked(True)  # frames until stopped, however slowly they come
    panel.conf_slider.set_value(0.001)
    start_and_wait(qtbot, panel)
    wait_frames(qtbot, panel, 2)
    with qtbot.waitSignal(panel.snapshot_saved, timeout=20000) as saved:
        panel.proposals_button.click()
    report = saved.args[0]
    assert report.image.is_file() and report.proposals is None
    assert "(penguin, seal) differ from the dataset's (penguin, rock)" in report.refused
    assert report.refused in panel.snapshot_confirmation.text.text()


def test_a_source_that_fails_to_open_shows_the_message(qtbot, panel: LivePanel,
                                                       tmp_path: Path) -> None:
    fake = tmp_path / "not-a-video.mp4"
    fake.write_text("hello")
    panel.set_source(fake)
    _state, message = start_and_wait(qtbot, panel, "failed")
    assert "cannot decode this file" in message
    assert panel.banner.isVisible() and "cannot decode" in panel.banner_text.text()

    panel.set_source(tmp_path / "missing.mp4")
    panel.start()
    assert "Video file not found" in panel.banner_text.text()

    panel.set_weights("")
    panel.start()
    assert "Pick a model first" in panel.banner_text.text()


def test_a_dead_url_never_hangs_the_window(qtbot, panel: LivePanel) -> None:
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    panel.bridge.options["open_timeout_s"] = 2
    with silent_server() as port:
        panel.set_source(f"rtsp://127.0.0.1:{port}/live")
        start = time.monotonic()
        _state, message = start_and_wait(qtbot, panel, "failed", timeout=8000)
    timer.stop()
    assert time.monotonic() - start < 5
    assert "did not answer" in message or "Cannot open the stream" in message
    assert len(ticks) >= 20, "the GUI thread was blocked while the URL was opening"
    assert max(np.diff(ticks)) < 0.5
    assert panel.reconnect_button.isVisible()


def test_a_dropped_stream_stops_cleanly_and_offers_reconnect(qtbot, panel: LivePanel) -> None:
    with mjpeg_server(frames=15) as url:
        panel.set_source(url)
        _state, message = start_and_wait(qtbot, panel, "dropped")
        assert "dropped" in message
        assert panel.banner.isVisible() and panel.reconnect_button.isVisible()
        assert panel.view.has_frame, "the last frame stays on screen"
        qtbot.waitUntil(lambda: not live_threads(), timeout=5000)
        with qtbot.waitSignal(panel.state_changed, timeout=15000,
                              check_params_cb=lambda s, _m: s == "running"):
            panel.reconnect_button.click()
        assert not panel.banner.isVisible()
        panel.stop_button.click()
        qtbot.waitUntil(lambda: not live_threads(), timeout=5000)


def _qthreads_running(widget, context) -> list[QThread]:
    """Running QThreads owned by the widget, and the job threads of the context's runner
    (where every panel's jobs run)."""
    jobs = list(context.jobs._threads)
    return [t for t in [*widget.findChildren(QThread), *jobs] if t.isRunning()]


def test_closing_the_panel_stops_every_thread(qtbot, panel: LivePanel, clip: Path) -> None:
    panel.set_source(clip)
    panel.loop_check.setChecked(True)
    start_and_wait(qtbot, panel)
    wait_frames(qtbot, panel, 2)
    panel.refresh_cameras()  # a job thread in flight as well
    assert live_threads()
    panel.close()
    assert not live_threads(), live_threads()
    assert not _qthreads_running(panel, panel._context)


def test_closing_the_window_stops_every_thread(qtbot, tiny_dataset: Path, tiny_weights: Path,
                                               clip: Path) -> None:
    from penguin_studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.context.dataset = open_dataset(tiny_dataset)
    panel = window.show_panel("live")
    panel.set_weights(tiny_weights)
    panel.set_source(clip)
    panel.loop_check.setChecked(True)
    window.show()
    start_and_wait(qtbot, panel)
    wait_frames(qtbot, panel, 2)
    window.close()
    assert not live_threads(), live_threads()
    assert not _qthreads_running(window, window.context)
