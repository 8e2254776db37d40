"""Video sources: parsing, cheap camera probing, bounded opening, newest-frame capture."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from local_servers import closed_port, mjpeg_server, silent_server
from threads import live_threads

from penguin_studio.core.inference.video import (
    CaptureThread,
    Frame,
    FrameSlot,
    SourceError,
    VideoSource,
    open_source,
    parse_source,
    probe_cameras,
    write_sample_video,
)

CLIP_FRAMES, CLIP_FPS = 30, 20.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live-video") / "clip.mp4"
    return write_sample_video(path, seconds=CLIP_FRAMES / CLIP_FPS, fps=CLIP_FPS,
                              size=(160, 120))


# ----- servers that misbehave -------------------------------------------------------------


# ----- parsing ------------------------------------------------------------------------------


def test_parse_source_recognises_cameras_urls_and_files(clip: Path) -> None:
    assert parse_source(0) == VideoSource.camera(0)
    assert parse_source("2").target == 2
    assert parse_source("/dev/video3").target == 3
    url = parse_source("rtsp://admin:hunter2@cam.local:554/live")
    assert url.kind == "url" and url.is_live
    assert "hunter2" not in url.label and "admin" in url.label
    video = parse_source(str(clip))
    assert video.kind == "file" and not video.is_live and video.label == "clip.mp4"


@pytest.mark.parametrize(("text", "says"), [
    ("", "No source given"),
    ("ftp://example.com/video.mp4", "Cannot read 'ftp://'"),
    ("/no/such/video.mp4", "Video file not found"),
])
def test_parse_source_rejects_bad_input_with_one_line(text: str, says: str) -> None:
    with pytest.raises(SourceError, match=says) as info:
        parse_source(text)
    assert "\n" not in str(info.value)


def test_parse_source_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        parse_source(tmp_path)


# ----- cameras ------------------------------------------------------------------------------


def test_probe_lists_linux_cameras_by_name_without_opening_them(tmp_path: Path) -> None:
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for node, name, index in (("video0", "Integrated Webcam", "0"),
                              ("video1", "Integrated Webcam", "1"),  # its metadata node
                              ("video2", "USB Microscope", "0")):
        (dev / node).touch()
        (sysfs / node).mkdir(parents=True)
        (sysfs / node / "name").write_text(name + "\n")
        (sysfs / node / "index").write_text(index + "\n")
    (dev / "videoX").touch()  # not a device node name
    probe = probe_cameras(dev_dir=dev, sys_dir=sysfs)
    assert [(c.index, c.name) for c in probe.cameras] == [(0, "Integrated Webcam"),
                                                         (2, "USB Microscope")]
    assert probe.cameras[1].label == f"Camera 2: USB Microscope — {dev}/video2"


def test_no_camera_message_names_what_was_tried(tmp_path: Path) -> None:
    probe = probe_cameras(dev_dir=tmp_path, sys_dir=tmp_path)
    assert probe.cameras == []
    message = probe.message()
    assert message.startswith("No camera found") and f"{tmp_path}/video*" in message
    assert "none present" in message


def test_missing_camera_fails_fast_naming_the_device() -> None:
    start = time.monotonic()
    with pytest.raises(SourceError, match="Camera 63 could not be opened") as info:
        open_source(VideoSource.camera(63), timeout_s=2)
    assert time.monotonic() - start < 4
    if "linux" in __import__("sys").platform:
        assert "/dev/video63" in str(info.value)


# ----- opening files and URLs -------------------------------------------------------------


def test_a_file_that_is_not_a_video_gives_a_clear_message(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_text("this is not a video\n")
    with pytest.raises(SourceError, match="cannot decode this file"):
        open_source(VideoSource.file(fake))


def test_video_file_reports_fps_size_and_length(clip: Path) -> None:
    opened = open_source(VideoSource.file(clip))
    try:
        assert opened.fps == pytest.approx(CLIP_FPS)
        assert opened.size == (160, 120)
        assert opened.frame_count == CLIP_FRAMES
    finally:
        opened.release()


def test_url_to_a_closed_port_fails_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(SourceError, match="Cannot open the stream"):
        open_source(VideoSource.url(f"rtsp://127.0.0.1:{closed_port()}/live"), timeout_s=3)
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_url_that_never_answers_gives_up_within_the_timeout(scheme: str) -> None:
    with silent_server() as port:
        start = time.monotonic()
        with pytest.raises(SourceError) as info:
            open_source(VideoSource.url(f"{scheme}://127.0.0.1:{port}/live"), timeout_s=2)
        elapsed = time.monotonic() - start
    assert elapsed < 4.5, f"took {elapsed:.1f} s"
    assert "127.0.0.1" in str(info.value)


# ----- newest frame only --------------------------------------------------------------------


def _frame(i: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), i, i / 10, time.perf_counter())


def test_frame_slot_keeps_only_the_newest_frame() -> None:
    slot = FrameSlot()
    for i in range(3):
        slot.put(_frame(i))
    assert slot.take(timeout=0).index == 2
    assert slot.dropped == 2
    assert slot.take(timeout=0.01) is None


def _drain(capture: CaptureThread, slot: FrameSlot, limit: int = 1000) -> list[Frame]:
    """Consume like the inference worker does, until the capture ends or ``limit`` frames."""
    frames: list[Frame] = []
    while len(frames) < limit:
        if capture.on_demand:
            slot.request()
        frame = slot.take(timeout=0.05)
        if frame is None and capture.finished.is_set():
            frame = slot.take(timeout=0)
            if frame is None:
                break
        if frame is not None:
            frames.append(frame)
    return frames


def test_file_plays_at_its_own_frame_rate_then_ends(clip: Path) -> None:
    slot = FrameSlot()
    capture = CaptureThread(open_source(VideoSource.file(clip)), slot, pace="source")
    start = time.monotonic()
    capture.start()
    frames = _drain(capture, slot)
    elapsed = time.monotonic() - start
    capture.join(2)
    assert elapsed > 0.8 * CLIP_FRAMES / CLIP_FPS, "played faster than the video's own speed"
    assert capture.outcome == "ended"
    assert capture.message == f"End of clip.mp4 ({CLIP_FRAMES} frames)."
    assert len(frames) + slot.dropped >= CLIP_FRAMES - 1


def test_as_fast_as_possible_reads_every_frame_on_demand(clip: Path) -> None:
    slot = FrameSlot()
    capture = CaptureThread(open_source(VideoSource.file(clip)), slot, pace="fast")
    start = time.monotonic()
    capture.start()
    frames = _drain(capture, slot)
    capture.join(2)
    assert [f.index for f in frames] == list(range(CLIP_FRAMES))
    assert slot.dropped == 0
    assert time.monotonic() - start < CLIP_FRAMES / CLIP_FPS
    assert frames[1].media_s > frames[0].media_s


def test_loop_starts_the_file_again(clip: Path) -> None:
    slot = FrameSlot()
    capture = CaptureThread(open_source(VideoSource.file(clip)), slot, pace="fast", loop=True)
    capture.start()
    frames = _drain(capture, slot, limit=CLIP_FRAMES + 10)
    capture.stop()
    capture.join(2)
    assert len(frames) == CLIP_FRAMES + 10
    assert capture.outcome == "stopped" and not capture.is_alive()


def test_stream_that_hangs_up_is_reported_as_dropped() -> None:
    with mjpeg_server(frames=8) as url:
        slot = FrameSlot()
        capture = CaptureThread(open_source(VideoSource.url(url), timeout_s=3), slot)
        capture.start()
        frames = _drain(capture, slot)
        capture.join(3)
    assert frames, "the stream delivered nothing"
    assert capture.outcome == "dropped"
    assert "dropped" in capture.message and "Reconnect" in capture.message
    assert not capture.is_alive()


def test_sample_video_plays_back(clip: Path) -> None:
    cap = cv2.VideoCapture(str(clip))
    count = 0
    while cap.grab():
        count += 1
    cap.release()
    assert count == CLIP_FRAMES


# ----- the pipeline on misbehaving live sources ---------------------------------------------


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.mark.slow
def test_a_stream_that_goes_silent_is_declared_dropped(tiny_weights: Path) -> None:
    from penguin_studio.core.inference.live import LivePipeline

    states: list[tuple[str, str]] = []
    with mjpeg_server(frames=6, stall=True) as url:
        pipeline = LivePipeline(VideoSource.url(url), tiny_weights, stall_timeout_s=1.0,
                                on_state=lambda s, m: states.append((s, m)))
        start = time.monotonic()
        pipeline.start()
        assert _wait_for(lambda: bool(states) and states[-1][0] == "dropped", 20)
        assert time.monotonic() - start < 15
        assert pipeline.latest() is not None, "frames before the stall were shown"
        assert "No frame from" in states[-1][1] and "Reconnect" in states[-1][1]
    assert _wait_for(lambda: not live_threads(), 8), live_threads()


def test_stop_while_a_dead_url_is_opening_returns_at_once() -> None:
    from penguin_studio.core.inference.live import LivePipeline

    with silent_server() as port:
        pipeline = LivePipeline(VideoSource.url(f"rtsp://127.0.0.1:{port}/x"), "unused.pt",
                                open_timeout_s=3)
        pipeline.start()
        assert _wait_for(lambda: pipeline.state == "opening", 2)
        start = time.monotonic()
        pipeline.stop()
        assert pipeline.join(2)
        assert time.monotonic() - start < 1
        assert pipeline.state == "stopped"
    assert _wait_for(lambda: not live_threads(), 6), live_threads()
