"""The live pipeline on a real (tiny) model: detection, filtering, recording, snapshots."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from threads import live_threads

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.live import (
    FilterSettings,
    LivePipeline,
    Recorder,
    class_color,
    draw_detections,
    save_snapshot,
    verify_recording,
)
from penguin_studio.core.inference.video import VideoSource, write_sample_video

pytestmark = pytest.mark.slow

CLIP_FRAMES = 24
LOW = FilterSettings(conf=0.001, iou=0.7)  # the 1-epoch tiny model only scores ~0.005


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live-pipeline") / "clip.mp4"
    return write_sample_video(path, seconds=CLIP_FRAMES / 20, fps=20, size=(160, 120))


def run_to_end(pipeline: LivePipeline, timeout: float = 60) -> None:
    pipeline.start()
    assert pipeline.join(timeout), "the pipeline did not finish"


def test_runs_every_frame_then_reports_the_end(clip: Path, tiny_weights: Path) -> None:
    states: list[str] = []
    frames = []
    pipeline = LivePipeline(VideoSource.file(clip), tiny_weights, pace="fast", settings=LOW,
                            on_state=lambda s, _m: states.append(s),
                            on_frame=lambda: frames.append(1))
    run_to_end(pipeline)
    assert states == ["opening", "loading", "running", "ended"]
    assert pipeline.message == f"End of clip.mp4 ({CLIP_FRAMES} frames)."
    stats = pipeline.stats_snapshot()
    assert stats.processed == CLIP_FRAMES == len(frames) and stats.dropped == 0
    assert stats.mean_infer_ms > 0
    assert pipeline.names == ["penguin", "rock"]
    assert not live_threads()


def test_sliders_refilter_the_cached_candidates(clip: Path, tiny_weights: Path) -> None:
    pipeline = LivePipeline(VideoSource.file(clip), tiny_weights, pace="fast", settings=LOW)
    run_to_end(pipeline)
    result = pipeline.latest()
    assert len(result.raw) > 0 and len(result.shown) > 0, "no candidate at conf 0.001"
    expected = filter_detections(result.raw, 0.001, 0.7)
    np.testing.assert_allclose(result.shown.xyxy, expected.xyxy)
    assert not np.array_equal(result.annotated, result.frame.image), "no box was drawn"

    pipeline.set_filter(FilterSettings(conf=0.99))  # ended: the last frame is redone at once
    strict = pipeline.latest()
    assert strict.frame is result.frame and strict.raw is result.raw
    assert len(strict.shown) == 0
    assert np.array_equal(strict.annotated, strict.frame.image)

    only_rocks = FilterSettings(conf=0.001, classes=frozenset({1}))
    pipeline.set_filter(only_rocks)
    assert set(pipeline.latest().shown.cls.tolist()) <= {1}


def test_draw_detections_draws_boxes_in_class_colours_on_a_copy() -> None:
    image = np.full((100, 120, 3), 255, np.uint8)
    dets = Detections([[10, 40, 60, 90], [70, 20, 110, 60]], [0.9, 0.6], [0, 1])
    out = draw_detections(image, dets, ["penguin", "rock"])
    assert (image == 255).all(), "the frame itself must stay clean"
    assert tuple(out[65, 10]) == class_color(0)  # left edge of the first box
    assert tuple(out[40, 110]) == class_color(1)  # right edge of the second box


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_recording_writes_a_file_that_plays(clip: Path, tiny_weights: Path, tmp_path: Path,
                                            suffix: str) -> None:
    target = tmp_path / f"recording{suffix}"

    def on_state(state: str, _message: str) -> None:
        if state == "running":  # still before the first frame: record them all
            pipeline.start_recording(target)

    pipeline = LivePipeline(VideoSource.file(clip), tiny_weights, pace="fast", settings=LOW,
                            on_state=on_state)
    run_to_end(pipeline)
    report = pipeline.stop_recording()
    assert report is not None and report.path == target
    assert report.frames_written == CLIP_FRAMES
    assert report.frames_readable == CLIP_FRAMES == verify_recording(target)
    cap = cv2.VideoCapture(str(target))
    ok, first = cap.read()
    cap.release()
    assert ok and first.shape == (120, 160, 3)


def test_recorder_keeps_the_source_timeline(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "timeline.avi", fps=10, size=(64, 48))
    frame = np.zeros((48, 64, 3), np.uint8)
    for media_s in (0.0, 0.1, 0.4):  # the third frame took three source frames to process
        recorder.write(frame, media_s)
    assert recorder.frames == 5
    recorder.write(cv2.resize(frame, (32, 24)), 60.0)  # after a pause; another size
    report = recorder.close()
    assert report.frames_written == 6 == report.frames_readable


@pytest.mark.parametrize(("name", "says"), [("video.gif", "choose a .mp4 or .avi"),
                                            ("missing/video.mp4", "folder does not exist")])
def test_recording_refuses_bad_targets(tmp_path: Path, name: str, says: str) -> None:
    with pytest.raises(UserError, match=says):
        Recorder(tmp_path / name, fps=10, size=(64, 48))


def test_a_source_that_cannot_open_fails_with_its_message(tmp_path: Path,
                                                          tiny_weights: Path) -> None:
    fake = tmp_path / "broken.mp4"
    fake.write_bytes(b"\x00" * 1000)
    pipeline = LivePipeline(VideoSource.file(fake), tiny_weights)
    run_to_end(pipeline, timeout=15)
    assert pipeline.state == "failed"
    assert "cannot decode this file" in pipeline.message
    assert not live_threads()


def test_stop_and_pause_end_every_thread(clip: Path, tiny_weights: Path) -> None:
    pipeline = LivePipeline(VideoSource.file(clip), tiny_weights, loop=True, settings=LOW)
    pipeline.start()
    deadline = time.monotonic() + 30
    while pipeline.latest() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    pipeline.pause()
    assert pipeline.state == "paused"
    pipeline.resume()
    pipeline.stop()
    assert pipeline.join(5)
    assert pipeline.state == "stopped"
    assert not live_threads()


# ----- snapshots and model choice -----------------------------------------------------------


def test_snapshot_adds_an_unlabelled_image_to_the_train_folder(tiny_dataset: Path) -> None:
    dataset = open_dataset(tiny_dataset)
    image = np.random.default_rng(0).integers(0, 255, (90, 120, 3), dtype=np.uint8)
    reports = [save_snapshot(dataset, image, split="train") for _ in range(3)]
    paths = [r.image for r in reports]
    assert len(set(paths)) == 3, "snapshots taken in the same millisecond must not clobber"
    for path in paths:
        assert path.parent == tiny_dataset.parent / "images" / "train"
        assert not (tiny_dataset.parent / "labels" / "train" / f"{path.stem}.txt").exists()
        assert cv2.imread(str(path)).shape == (90, 120, 3)
    assert not list(paths[0].parent.glob(".snapshot.*")), "temporary files left behind"
    reopened = open_dataset(tiny_dataset)
    assert set(paths) <= set(reopened.images("train"))
    assert "unlabelled" in reports[0].message()


def test_snapshot_with_detections_saves_unreviewed_proposals(tiny_dataset: Path) -> None:
    dataset = open_dataset(tiny_dataset)
    image = np.zeros((100, 200, 3), np.uint8)
    dets = Detections([[20, 10, 60, 50], [150, 40, 230, 90]], [0.9, 0.5], [0, 1])
    report = save_snapshot(dataset, image, dets, ["penguin", "rock"])
    assert report.boxes == 2 and report.proposals is not None
    truth = tiny_dataset.parent / "labels" / "train" / f"{report.image.stem}.txt"
    assert not truth.exists(), "proposals must never become ground truth by themselves"
    assert "labels" not in report.proposals.parts
    from penguin_studio.core.inference import prelabel  # the format the editor reviews

    props = prelabel.load_proposals(report.image, tiny_dataset.parent)
    assert props is not None and props.pending == [0, 1]
    assert [p.conf for p in props.proposals] == pytest.approx([0.9, 0.5])
    boxes = [p.box for p in props.proposals]
    assert [b.cls for b in boxes] == [0, 1]
    assert boxes[0].cx == pytest.approx(0.2) and boxes[0].w == pytest.approx(0.2)
    assert boxes[1].xyxy[2] == pytest.approx(1.0)  # clipped to the image


def test_snapshot_needs_a_dataset() -> None:
    with pytest.raises(UserError, match="Open a dataset first"):
        save_snapshot(None, np.zeros((8, 8, 3), np.uint8))
