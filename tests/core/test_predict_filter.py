"""Predict once, re-filter many times: the boxes equal ultralytics' own predict()."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from penguin_studio.cli import main
from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.errors import NotACheckpointError, UserError
from penguin_studio.core.inference import outputs, predict
from penguin_studio.core.inference.filtering import Detections, filter_detections

pytestmark = pytest.mark.slow

#: The tiny one-epoch model scores everything below 0.01: these pairs still keep, merge
#: and drop boxes. (0.002, 0.9) needs the unclipped NMS boxes to match (see filtering.py).
PAIRS = [(0.001, 0.3), (0.002, 0.9), (0.004, 0.7), (0.0055, 0.5), (0.001, 0.99), (0.25, 0.7)]


@pytest.fixture(scope="module")
def cached(tiny_weights, tiny_dataset_master):
    return predict.predict_source(tiny_weights, tiny_dataset_master / "images")


def test_refilter_equals_predict_at_several_thresholds(cached, tiny_weights):
    from penguin_studio.core import engine

    model = engine.load_model(tiny_weights)
    assert len(cached.items) == 12 and all(len(item.raw) for item in cached.items)
    kept = []
    for conf, iou in PAIRS:
        for index, item in enumerate(cached.items):
            theirs = model.predict(str(item.path), conf=conf, iou=iou, verbose=False)[0].boxes
            ours = cached.filtered(index, conf, iou)
            assert np.array_equal(ours.xyxy, theirs.xyxy.numpy()), (conf, iou, item.path)
            assert np.array_equal(ours.conf, theirs.conf.numpy())
            assert np.array_equal(ours.cls, theirs.cls.numpy().astype(int))
            kept.append(len(ours))
    assert max(kept) > 0 and min(kept) == 0  # some thresholds keep boxes, others none


def test_filter_without_nms_and_per_class():
    raw = Detections([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60]], [0.9, 0.8, 0.3],
                     [0, 0, 1])
    assert len(filter_detections(raw, 0.5, 0.5)) == 1  # the overlapping twin is merged
    assert filter_detections(raw, 0.5, 0.5, nms=False).conf.tolist() == pytest.approx([0.9,
                                                                                      0.8])
    assert filter_detections(raw, 0.1, 0.5, classes=[1]).cls.tolist() == [1]
    assert len(filter_detections(raw, 0.1, 0.5, max_det=1)) == 1


def test_unreadable_image_in_a_folder_is_skipped_and_reported(tiny_weights,
                                                             tiny_dataset_master, tmp_path,
                                                             capfd):
    folder = tmp_path / "photos"
    shutil.copytree(tiny_dataset_master / "images" / "val", folder)
    (folder / "broken.jpg").write_bytes(b"not a jpeg at all")
    (folder / "notes.txt").write_text("ignored: not an image")
    code = main(["predict", "--weights", str(tiny_weights), "--source", str(folder),
                 "--conf", "0.001", "--json"])
    out, err = capfd.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert len(doc["images"]) == 2
    assert doc["skipped"] == [{"image": str(folder / "broken.jpg"),
                               "reason": "cannot be read as an image"}]
    assert "warning: skipped" in err and "broken.jpg" in err
    box = doc["images"][0]["boxes"][0]
    assert set(box) == {"xyxy", "confidence", "class_id", "class_name"}
    assert box["class_name"] in ("penguin", "rock") and len(box["xyxy"]) == 4


def write_video(path: Path, frames: int = 3) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (96, 64))
    for i in range(frames):
        frame = np.full((64, 96, 3), 40 * i, np.uint8)
        cv2.circle(frame, (30 + 10 * i, 32), 12, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def test_video_is_predicted_saved_and_exported(tiny_weights, tmp_path):
    video = write_video(tmp_path / "clip.mp4")
    preds = predict.predict_source(tiny_weights, video)
    assert preds.kind == "video" and [i.frame for i in preds.items] == [0, 1, 2]
    assert predict.load_pixels(preds.items[2]).shape == (64, 96, 3)
    saved = outputs.save_annotated(preds, tmp_path / "out", conf=0.001)
    assert saved == [tmp_path / "out" / "clip_detections.mp4"]
    check = cv2.VideoCapture(str(saved[0]))
    assert int(check.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    check.release()
    labels = outputs.export_yolo_labels(preds, tmp_path / "labels", conf=0.001, iou=0.5)
    assert [p.name for p in labels] == [f"clip_00000{i}.txt" for i in range(3)]
    boxes = read_labels(labels[0])
    assert len(boxes) == len(preds.filtered(0, 0.001, 0.5))
    assert all(0 <= b.cx <= 1 and 0 < b.w <= 1 for b in boxes)


def test_annotated_images_are_saved(cached, tmp_path):
    written = outputs.save_annotated(cached, tmp_path / "shown", conf=0.001)
    assert len(written) == 12 and all(p.is_file() for p in written)
    original = predict.read_image(cached.items[0].path)
    assert not np.array_equal(predict.read_image(written[0]), original)  # boxes drawn


def test_bad_sources_and_weights(tiny_weights, tmp_path, capfd):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 2048)
    with pytest.raises(UserError, match="Cannot decode the video broken.mp4"):
        predict.predict_source(tiny_weights, broken)
    not_a_model = tmp_path / "weights.pt"
    not_a_model.write_text("not a checkpoint")
    with pytest.raises(NotACheckpointError):
        predict.Predictor(not_a_model)
    assert main(["predict", "--weights", str(not_a_model), "--source", str(broken)]) == 1
    assert "not a PyTorch checkpoint" in capfd.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="holds no images"):
        predict.predict_source(tiny_weights, empty)
    only_broken = tmp_path / "only_broken"
    only_broken.mkdir()
    (only_broken / "a.png").write_bytes(b"nope")
    with pytest.raises(UserError, match="No image of only_broken could be read"):
        predict.predict_source(tiny_weights, only_broken)


def test_class_mismatch_is_a_warning_not_an_error():
    assert predict.class_mismatch(["penguin", "rock"], ["penguin", "rock"]) is None
    assert predict.class_mismatch(["penguin", "rock"], []) is None
    text = predict.class_mismatch(["person", "car"], ["penguin", "rock"])
    assert "person" in text and "penguin" in text
