"""Live's sliders give exactly the boxes of ultralytics' predict(conf, iou) on that frame.

Live keeps each frame's raw candidates, unclipped NMS-space boxes included, and re-filters
them with the one filter Detect uses; these tests pin that against ``predict`` itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core import engine
from penguin_studio.core.inference import predict
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.live import FilterSettings, LivePipeline, load_detector
from penguin_studio.core.inference.video import VideoSource, write_sample_video

pytestmark = pytest.mark.slow

#: Slider positions for the tiny one-epoch model (it scores everything below 0.01);
#: (0.002, 0.9) only matches with the unclipped NMS boxes (see filtering.py).
SETTINGS = [(0.001, 0.3), (0.002, 0.9), (0.004, 0.7)]


def same_boxes(ours: Detections, theirs) -> bool:
    return (np.array_equal(ours.xyxy, theirs.xyxy.numpy())
            and np.array_equal(ours.conf, theirs.conf.numpy())
            and np.array_equal(ours.cls, theirs.cls.numpy().astype(int)))


@pytest.fixture(scope="module")
def frames(tiny_dataset_master: Path) -> list[np.ndarray]:
    paths = sorted((tiny_dataset_master / "images").rglob("*.jpg"))[:6]
    return [predict.read_image(p) for p in paths]


def test_live_detector_filters_to_predicts_boxes(frames, tiny_weights: Path) -> None:
    detector = load_detector(tiny_weights)
    detect = predict.Predictor(tiny_weights)
    model = engine.load_model(tiny_weights)
    needed_unclipped = 0
    for frame in frames:
        live_raw = detector.raw(frame)
        detect_raw = detect.raw(frame)[0]
        assert live_raw.nms_xyxy is not None
        for conf, iou in SETTINGS:
            theirs = model.predict(frame, conf=conf, iou=iou, verbose=False)[0].boxes
            live = filter_detections(live_raw, conf, iou, nms=detector.nms)
            assert same_boxes(live, theirs), (conf, iou)
            assert same_boxes(filter_detections(detect_raw, conf, iou), theirs)
            clipped = Detections(live_raw.xyxy, live_raw.conf, live_raw.cls)
            needed_unclipped += not same_boxes(filter_detections(clipped, conf, iou), theirs)
    assert needed_unclipped > 0  # the frames exercise what the unclipped boxes are for


def test_live_pipeline_shows_predicts_boxes_at_each_setting(tiny_weights: Path,
                                                            tmp_path: Path) -> None:
    clip = write_sample_video(tmp_path / "clip.mp4", seconds=0.4, fps=20, size=(320, 240))
    pipeline = LivePipeline(VideoSource.file(clip), tiny_weights, pace="fast",
                            settings=FilterSettings(conf=0.001, iou=0.7))
    pipeline.start()
    assert pipeline.join(60), "the pipeline did not finish"
    assert pipeline.state == "ended"
    model = engine.load_model(tiny_weights)
    for conf, iou in SETTINGS:
        pipeline.set_filter(FilterSettings(conf=conf, iou=iou))  # ended: re-filters the frame
        latest = pipeline.latest()
        assert latest is not None and latest.settings.conf == conf
        theirs = model.predict(latest.frame.image, conf=conf, iou=iou, verbose=False)[0].boxes
        assert same_boxes(latest.shown, theirs), (conf, iou)
